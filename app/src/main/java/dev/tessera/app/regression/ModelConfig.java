package dev.tessera.app.regression;

import dev.tessera.moe.MoeFfn;
import dev.tessera.nn.layers.Activation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link ModelBuilder} builds.
 *
 * @param type       linear, MLP or transformer
 * @param kind       the task kind (decides the transformer's shape: encoder + pooling, causal decoder, or
 *                   encoder-decoder)
 * @param seqLen     input length T (the window of linear and MLP models, the positions of a transformer)
 * @param latentDims hidden sizes of the MLP, or of the transformer's output head (empty: a linear head);
 *                   must be empty for a linear model
 * @param activation activation of the MLP hidden layers, the transformer FFN and its head
 * @param dModel     transformer width
 * @param layers     transformer layers (per stack)
 * @param ffnHidden  transformer FFN width (and each expert's width with MoE)
 * @param heads      query heads
 * @param kvHeads    key/value heads ({@code heads}: MHA, 1: MQA, another divisor: GQA)
 * @param dropout    dropout of the MLP, or of the transformer's attention, residual and FFN paths
 * @param moe        the sparse MoE replacing each transformer FFN, or null for dense FFNs
 */
public record ModelConfig(ModelType type, SyntheticTask.Kind kind, int seqLen, List<Integer> latentDims, Activation activation, int dModel,
                          int layers, int ffnHidden, int heads, int kvHeads, double dropout, MoeFfn.Config moe) {

    /** Validates the combination. */
    public ModelConfig {
        if (type == null || kind == null || activation == null) throw new IllegalArgumentException("ModelConfig: type, kind and activation are required");
        latentDims = List.copyOf(latentDims);
        if (seqLen < 1) throw new IllegalArgumentException("ModelConfig: seqLen must be >= 1, got " + seqLen);
        for (int d : latentDims) if (d <= 0) throw new IllegalArgumentException("ModelConfig: latent dims must be positive, got " + latentDims);
        if (type == ModelType.LINEAR && !latentDims.isEmpty()) {
            throw new IllegalArgumentException("ModelConfig: a linear model has no latent dims, got " + latentDims);
        }
        if (type != ModelType.TRANSFORMER && kind == SyntheticTask.Kind.SEQ2SEQ) {
            throw new IllegalArgumentException("ModelConfig: sequence-to-sequence tasks need a transformer (encoder-decoder), got " + type.cliName());
        }
        if (type != ModelType.TRANSFORMER && moe != null) throw new IllegalArgumentException("ModelConfig: MoE needs a transformer, got " + type.cliName());
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("ModelConfig: dropout must be in [0, 1), got " + dropout);
        if (type == ModelType.TRANSFORMER) {
            if (dModel <= 0 || layers <= 0 || ffnHidden <= 0 || heads <= 0 || kvHeads <= 0) {
                throw new IllegalArgumentException("ModelConfig: dModel, layers, ffnHidden, heads and kvHeads must be positive, got " + dModel + ", "
                        + layers + ", " + ffnHidden + ", " + heads + ", " + kvHeads);
            }
            if (dModel % heads != 0) throw new IllegalArgumentException("ModelConfig: dModel " + dModel + " is not divisible by heads " + heads);
            if (heads % kvHeads != 0) throw new IllegalArgumentException("ModelConfig: kvHeads " + kvHeads + " does not divide heads " + heads);
            if (moe != null) {
                if (moe.experts() < 1) throw new IllegalArgumentException("ModelConfig: MoE experts must be >= 1, got " + moe.experts());
                if (moe.topK() < 1 || moe.topK() > moe.experts()) {
                    throw new IllegalArgumentException("ModelConfig: MoE top-k must be in [1, " + moe.experts() + "], got " + moe.topK());
                }
                if (Double.isNaN(moe.capacityFactor()) || Double.isInfinite(moe.capacityFactor())) {
                    throw new IllegalArgumentException("ModelConfig: MoE capacity factor must be finite, got " + moe.capacityFactor());
                }
                if (!(moe.alpha() >= 0) || Double.isInfinite(moe.alpha())) {
                    throw new IllegalArgumentException("ModelConfig: MoE alpha must be finite and >= 0, got " + moe.alpha());
                }
                if (!(moe.zLossCoef() >= 0) || Double.isInfinite(moe.zLossCoef())) {
                    throw new IllegalArgumentException("ModelConfig: MoE z-loss coefficient must be finite and >= 0, got " + moe.zLossCoef());
                }
                if (!(moe.biasGamma() >= 0) || Double.isInfinite(moe.biasGamma())) {
                    throw new IllegalArgumentException("ModelConfig: MoE auxiliary-loss-free rate must be finite and >= 0, got " + moe.biasGamma());
                }
            }
        }
    }

    /** "mha", "mqa" or "gqa" (from heads and kvHeads). */
    public String attention() {
        return kvHeads == heads ? "mha" : kvHeads == 1 ? "mqa" : "gqa";
    }

    /** A JSON-friendly map (for checkpoints); {@link #fromMap} reverses it. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type.cliName());
        m.put("kind", kind.name());
        m.put("seqLen", seqLen);
        m.put("latentDims", latentDims);
        m.put("activation", activation.name());
        m.put("dModel", dModel);
        m.put("layers", layers);
        m.put("ffnHidden", ffnHidden);
        m.put("heads", heads);
        m.put("kvHeads", kvHeads);
        m.put("dropout", dropout);
        if (moe != null) {
            m.put("moe", Map.of("experts", moe.experts(), "topK", moe.topK(), "capacityFactor", moe.capacityFactor(), "alpha", moe.alpha(),
                    "zLoss", moe.zLossCoef(), "biasGamma", moe.biasGamma()));
        }
        return m;
    }

    /** The configuration saved by {@link #toMap}. */
    @SuppressWarnings("unchecked")
    public static ModelConfig fromMap(Map<String, Object> m) {
        Map<String, Object> moe = (Map<String, Object>) m.get("moe");
        return new ModelConfig(ModelType.parse((String) m.get("type")), SyntheticTask.Kind.valueOf((String) m.get("kind")), num(m, "seqLen"),
                ((List<Number>) m.get("latentDims")).stream().map(Number::intValue).toList(),
                Activation.valueOf(((String) m.get("activation")).toUpperCase(Locale.ROOT)), num(m, "dModel"), num(m, "layers"),
                num(m, "ffnHidden"), num(m, "heads"), num(m, "kvHeads"), ((Number) m.get("dropout")).doubleValue(),
                moe == null ? null : new MoeFfn.Config(num(moe, "experts"), num(moe, "topK"), ((Number) moe.get("capacityFactor")).doubleValue(),
                        ((Number) moe.get("alpha")).doubleValue(), optional(moe, "zLoss"), optional(moe, "biasGamma")));
    }

    /** A number saved by later versions (0 when a checkpoint predates it). */
    private static double optional(Map<String, Object> m, String key) {
        return m.get(key) instanceof Number n ? n.doubleValue() : 0.0;
    }

    private static int num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("ModelConfig: missing number '" + key + "' in " + m.keySet());
        return n.intValue();
    }
}
