package dev.tessera.app.lm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shape of the language model.
 *
 * @param vocab          token ids (256 for bytes)
 * @param dModel         width
 * @param heads          query heads of the linear attention
 * @param kvHeads        key/value heads (grouped-query attention)
 * @param layers         blocks
 * @param intermediate   hidden width of each expert
 * @param positions      learned positions = longest context
 * @param experts        experts per MoE layer
 * @param topK           experts per token
 * @param capacityFactor training capacity factor ({@code <= 0}: dropless); inference is always dropless
 * @param balanceAlpha   weight of the Switch balance loss (0: balancing by the loss-free bias only)
 * @param biasGamma      update rate of the auxiliary-loss-free balancing bias (0: off)
 * @param tokenShift     mix each sublayer's input with the previous position's (see {@link LmModel})
 * @param seed           initialization seed
 */
public record LmConfig(int vocab, int dModel, int heads, int kvHeads, int layers, int intermediate, int positions, int experts, int topK,
                       double capacityFactor, double balanceAlpha, double biasGamma, boolean tokenShift, long seed) {

    /** Validates the shape. */
    public LmConfig {
        if (vocab < 2 || dModel <= 0 || layers <= 0 || intermediate <= 0 || positions <= 0) {
            throw new IllegalArgumentException("LmConfig: vocab >= 2 and positive dModel, layers, intermediate, positions needed, got " + vocab
                    + ", " + dModel + ", " + layers + ", " + intermediate + ", " + positions);
        }
        if (heads <= 0 || kvHeads <= 0 || dModel % heads != 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("LmConfig: need dModel % heads == 0 and heads % kvHeads == 0, got dModel " + dModel + ", heads "
                    + heads + ", kvHeads " + kvHeads);
        }
        if (experts <= 0 || topK < 1 || topK > experts) {
            throw new IllegalArgumentException("LmConfig: need 1 <= topK <= experts, got topK " + topK + ", experts " + experts);
        }
        if (balanceAlpha < 0 || biasGamma < 0) throw new IllegalArgumentException("LmConfig: balanceAlpha and biasGamma must be >= 0");
    }

    /** The reference model: width 384, 6 heads over 2 kv heads, 12 layers, 8 experts (top-2) of width 1024, 512 positions. */
    public static LmConfig reference(int vocab) {
        return new LmConfig(vocab, 384, 6, 2, 12, 1024, 512, 8, 2, 1.25, 0.0, 1e-3, true, 1);
    }

    /** The small default model that trains in minutes on two CPU cores: width 96, 2 layers, 8 experts of width 192, 128 positions. */
    public static LmConfig small(int vocab) {
        return new LmConfig(vocab, 96, 6, 2, 2, 192, 128, 8, 2, 1.25, 0.0, 1e-3, true, 1);
    }

    /** The same shape with another vocabulary size. */
    public LmConfig withVocab(int v) {
        return new LmConfig(v, dModel, heads, kvHeads, layers, intermediate, positions, experts, topK, capacityFactor, balanceAlpha, biasGamma, tokenShift,
                seed);
    }

    /** As checkpoint metadata. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocab", vocab);
        m.put("dModel", dModel);
        m.put("heads", heads);
        m.put("kvHeads", kvHeads);
        m.put("layers", layers);
        m.put("intermediate", intermediate);
        m.put("positions", positions);
        m.put("experts", experts);
        m.put("topK", topK);
        m.put("capacityFactor", capacityFactor);
        m.put("balanceAlpha", balanceAlpha);
        m.put("biasGamma", biasGamma);
        m.put("tokenShift", tokenShift);
        m.put("seed", seed);
        return m;
    }

    /** Reads {@link #toMap()}. */
    public static LmConfig fromMap(Map<String, Object> m) {
        return new LmConfig(i(m, "vocab"), i(m, "dModel"), i(m, "heads"), i(m, "kvHeads"), i(m, "layers"), i(m, "intermediate"),
                i(m, "positions"), i(m, "experts"), i(m, "topK"), d(m, "capacityFactor"), d(m, "balanceAlpha"), d(m, "biasGamma"),
                Boolean.TRUE.equals(m.get("tokenShift")), num(m, "seed").longValue());
    }

    private static Number num(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof Number n)) throw new IllegalArgumentException("lm checkpoint config: '" + k + "' is missing or not a number");
        return n;
    }

    private static int i(Map<String, Object> m, String k) {
        return num(m, k).intValue();
    }

    private static double d(Map<String, Object> m, String k) {
        return num(m, k).doubleValue();
    }
}
