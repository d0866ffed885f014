package dev.tessera.moe.predict;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.init.Init;
import dev.tessera.nn.layers.Dropout;
import dev.tessera.nn.layers.LayerNorm;
import dev.tessera.nn.layers.Linear;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.io.TensorFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Predicts which experts a sparse MoE layer will route a token to, from a layer input (the same
 * layer's, or an earlier layer's to prefetch ahead): an MLP
 * {@code x [d] -> Linear(d, h) -> LayerNorm(h) -> ReLU -> Dropout(p) -> Linear(h, E)} giving one
 * score (logit) per expert; the predicted experts are the highest scores. Both linear layers are
 * Xavier-uniform initialised with zero biases. Trained with {@link #multiLabelCrossEntropy}
 * against the router's k choices ({@link PredictorTrainer}).
 *
 * <pre>{@code
 * var p = new ExpertPredictor(new ExpertPredictor.Config(64, 256, 32, 0.1), new Rng(0));
 * Tensor scores = p.scores(x);                   // [N, 32], eval mode, no gradients
 * }</pre>
 */
public final class ExpertPredictor extends Module implements Layer {

    /**
     * Shape of the predictor.
     *
     * @param inputDim d, the width of the layer input it reads
     * @param hidden   h (256 by default)
     * @param experts  E, the experts of the layer it predicts
     * @param dropout  dropout probability after the ReLU (0.1 by default)
     */
    public record Config(int inputDim, int hidden, int experts, double dropout) {
        /** Validates the sizes. */
        public Config {
            if (inputDim <= 0 || hidden <= 0 || experts <= 0) {
                throw new IllegalArgumentException("ExpertPredictor: inputDim, hidden and experts must be positive, got " + inputDim + ", " + hidden
                        + ", " + experts);
            }
            if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("ExpertPredictor: dropout must be in [0, 1), got " + dropout);
        }

        /** Hidden width 256, dropout 0.1. */
        public static Config of(int inputDim, int experts) {
            return new Config(inputDim, 256, experts, 0.1);
        }

        /** The config as string metadata (for a saved predictor). */
        public Map<String, String> toMetadata() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("input_dim", Integer.toString(inputDim));
            m.put("hidden", Integer.toString(hidden));
            m.put("experts", Integer.toString(experts));
            m.put("dropout", Double.toString(dropout));
            return m;
        }

        /** Reads {@link #toMetadata()} back. */
        public static Config fromMetadata(Map<String, String> m) {
            try {
                return new Config(Integer.parseInt(m.get("input_dim")), Integer.parseInt(m.get("hidden")), Integer.parseInt(m.get("experts")),
                        Double.parseDouble(m.get("dropout")));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("ExpertPredictor.Config: metadata " + m + " lacks input_dim/hidden/experts/dropout", e);
            }
        }
    }

    /** The {@code format} metadata value of a saved predictor. */
    public static final String FORMAT = "tessera-expert-predictor/1";

    private final Config config;
    private final Linear fc1, fc2;
    private final LayerNorm norm;
    private final Dropout drop;

    /** A float32 predictor initialised from {@code rng}. */
    public ExpertPredictor(Config config, Rng rng) {
        this.config = config;
        this.fc1 = child("fc1", new Linear(config.inputDim(), config.hidden(), true, DType.F32, rng));
        this.norm = child("norm", new LayerNorm(config.hidden(), 1e-5, true, DType.F32));
        this.drop = child("drop", new Dropout(config.dropout(), rng.split(0x5EED)));
        this.fc2 = child("fc2", new Linear(config.hidden(), config.experts(), true, DType.F32, rng));
        for (Linear l : new Linear[] {fc1, fc2}) {
            Init.xavierUniform(l.weight().value(), rng, 1.0);
            Init.zeros(l.bias().value());
        }
    }

    /** The shape. */
    public Config config() {
        return config;
    }

    /** Expert logits {@code [..., E]} for inputs {@code [..., d]}. */
    @Override
    public Variable forward(Variable x) {
        int[] s = x.shape();
        if (s.length == 0 || s[s.length - 1] != config.inputDim()) {
            throw new IllegalArgumentException("ExpertPredictor: input " + java.util.Arrays.toString(s) + " must end in " + config.inputDim());
        }
        return fc2.forward(drop.forward(norm.forward(fc1.forward(x)).relu()));
    }

    /**
     * Saves the weights as a safetensors file (atomically) whose metadata holds the
     * {@link Config} and {@code extra} (for example which layers the predictor connects).
     */
    public void save(Path file, Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(extra);
        meta.putAll(config.toMetadata());
        meta.put("format", FORMAT);
        TensorFiles.save(file, stateDict(), meta);
    }

    /** Loads a predictor written by {@link #save}, in evaluation mode. */
    public static ExpertPredictor load(Path file) throws IOException {
        TensorFiles.Loaded l = TensorFiles.read(file);
        if (!FORMAT.equals(l.metadata().get("format"))) {
            throw new IllegalArgumentException("ExpertPredictor.load: " + file + " has format '" + l.metadata().get("format") + "', expected '"
                    + FORMAT + "'");
        }
        ExpertPredictor p = new ExpertPredictor(Config.fromMetadata(l.metadata()), new Rng(0));
        p.loadStateDict(l.tensors());
        p.eval();
        return p;
    }

    /** Expert scores {@code [N, E]} for {@code x [N, d]} in evaluation mode without gradients (restores the mode). */
    public Tensor scores(Tensor x) {
        boolean was = isTraining();
        eval();
        try (var g = Grad.disabled()) {
            return forward(Variable.constant(x.dtype() == DType.F32 ? x : x.to(DType.F32))).value();
        } finally {
            setTraining(was);
        }
    }

    /**
     * Multi-label cross-entropy of expert logits {@code [N, E]} against the router's choices: the
     * cross-entropy between {@code softmax(logits)} and a target distribution over the k chosen
     * experts, {@code -(1/N) sum_t sum_j w[t, j] log softmax(logits_t)[experts[t, j]]}, where each
     * row of {@code weights [N * k]} sums to 1 ({@code 1/k} each for equal targets, or the gate
     * weights). Its minimum over the logits is the mean entropy of the targets ({@code log k} for
     * equal targets).
     *
     * @param experts {@code [N * k]} chosen experts, row-major
     */
    public static Variable multiLabelCrossEntropy(Variable logits, int[] experts, float[] weights, int k) {
        if (logits.rank() != 2) throw new IllegalArgumentException("multiLabelCrossEntropy: logits must be [N, E], got " + java.util.Arrays.toString(logits.shape()));
        int n = logits.dim(0), e = logits.dim(1);
        if (k < 1 || experts.length != (long) n * k || weights.length != experts.length) {
            throw new IllegalArgumentException("multiLabelCrossEntropy: experts has " + experts.length + " and weights " + weights.length
                    + " entries, expected N * k = " + n + " * " + k);
        }
        for (int v : experts) {
            if (v < 0 || v >= e) throw new IllegalArgumentException("multiLabelCrossEntropy: expert " + v + " not in [0, " + e + ")");
        }
        Variable picked = logits.logSoftmax(1).gather(1, Tensor.of(experts, n, k));
        Tensor w = Tensor.of(weights, n, k);
        if (picked.dtype() != DType.F32) w = w.to(picked.dtype());
        return picked.mul(Variable.constant(w)).sum().neg().div(n);
    }
}
