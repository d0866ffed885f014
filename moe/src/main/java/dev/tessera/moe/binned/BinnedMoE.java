package dev.tessera.moe.binned;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.ModuleList;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A mixture of experts over ordinal score bins: a gate classifier predicts the bin of a row, one
 * expert regressor per bin predicts the score, and the output is the gate-weighted sum
 * {@code y = sum_b softmax(gate(x) / T)_b * expert_b(x)}.
 *
 * <p>Unlike {@link dev.tessera.moe.DenseMoE}, the parts are trained as separate supervised problems
 * ({@link BinnedMoETrainer}): the gate by cross-entropy against the true bin, each expert by squared
 * error on its bin's rows only; the mixture can then be fine-tuned end to end. Each expert regresses its bin's standardized target and maps back
 * through the bin's mean and standard deviation (buffers {@code center} and {@code scale}, set by
 * the trainer), so every expert starts near its bin's mean.
 *
 * <p>Options: the gate temperature {@code T} (applied when combining; {@code T > 1} softens the
 * classifier's probabilities, {@code T < 1} sharpens them); gate dropout (dropout on the gate
 * classifier's hidden units while it trains). The gate has one hidden layer; the experts have
 * {@code expertLayers} hidden layers of {@code expertHidden} units; activations are ReLU.
 *
 * <pre>{@code
 * var cfg = BinnedMoE.Config.of(features, ScoreBins.of(0, 10, 4, 8));
 * var moe = new BinnedMoE(cfg, new Rng(0));
 * BinnedMoETrainer.fit(moe, x, y, null, null, BinnedMoETrainer.Options.defaults(), null, System.out);
 * BinnedMoE.Prediction p = moe.predict(xTest, 1024);   // p.score(), p.gates(), p.experts()
 * }</pre>
 */
public final class BinnedMoE extends Module implements Layer {

    /**
     * Architecture.
     *
     * @param inputs       feature count
     * @param bins         the ordinal bins (one expert per bin)
     * @param gateHidden   hidden units of the gate classifier
     * @param expertHidden hidden units per expert layer
     * @param expertLayers hidden layers per expert (>= 1)
     * @param gateDropout  dropout probability on the gate's hidden units in training, in [0, 1)
     * @param temperature  divides the gate logits before the softmax when combining (> 0)
     */
    public record Config(int inputs, ScoreBins bins, int gateHidden, int expertHidden, int expertLayers, double gateDropout,
                         double temperature) {
        /** Validates the sizes and ranges. */
        public Config {
            if (inputs <= 0 || gateHidden <= 0 || expertHidden <= 0 || expertLayers < 1) {
                throw new IllegalArgumentException("BinnedMoE.Config: need inputs, gateHidden, expertHidden > 0 and expertLayers >= 1, got "
                        + inputs + ", " + gateHidden + ", " + expertHidden + ", " + expertLayers);
            }
            if (bins == null) throw new IllegalArgumentException("BinnedMoE.Config: bins is null");
            if (!(gateDropout >= 0 && gateDropout < 1)) {
                throw new IllegalArgumentException("BinnedMoE.Config: gateDropout must be in [0, 1), got " + gateDropout);
            }
            if (!(temperature > 0 && Double.isFinite(temperature))) {
                throw new IllegalArgumentException("BinnedMoE.Config: temperature must be positive, got " + temperature);
            }
        }

        /** Gate 64 hidden, experts 2 x 64 hidden, no gate dropout, temperature 1. */
        public static Config of(int inputs, ScoreBins bins) {
            return new Config(inputs, bins, 64, 64, 2, 0.0, 1.0);
        }

        /** This configuration with another temperature. */
        public Config withTemperature(double t) {
            return new Config(inputs, bins, gateHidden, expertHidden, expertLayers, gateDropout, t);
        }

        /** Expert layer sizes: {@code inputs -> expertHidden x expertLayers -> 1}. */
        public int[] expertDims() {
            int[] d = new int[expertLayers + 2];
            d[0] = inputs;
            for (int i = 1; i <= expertLayers; i++) d[i] = expertHidden;
            d[d.length - 1] = 1;
            return d;
        }

        /** The configuration as plain values (for a checkpoint's JSON sidecar). */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("inputs", inputs);
            m.put("lo", bins.lo());
            m.put("hi", bins.hi());
            m.put("thresholds", java.util.Arrays.stream(bins.thresholds()).boxed().toList());
            m.put("gateHidden", gateHidden);
            m.put("expertHidden", expertHidden);
            m.put("expertLayers", expertLayers);
            m.put("gateDropout", gateDropout);
            m.put("temperature", temperature);
            return m;
        }

        /** Reads {@link #toMap()}'s output back. */
        public static Config fromMap(Map<String, Object> m) {
            List<?> t = (List<?>) m.get("thresholds");
            double[] th = new double[t.size()];
            for (int i = 0; i < th.length; i++) th[i] = ((Number) t.get(i)).doubleValue();
            return new Config(num(m, "inputs").intValue(), new ScoreBins(num(m, "lo").doubleValue(), num(m, "hi").doubleValue(), th),
                    num(m, "gateHidden").intValue(), num(m, "expertHidden").intValue(), num(m, "expertLayers").intValue(),
                    num(m, "gateDropout").doubleValue(), num(m, "temperature").doubleValue());
        }

        private static Number num(Map<String, Object> m, String k) {
            if (!(m.get(k) instanceof Number n)) throw new IllegalArgumentException("BinnedMoE.Config: missing number '" + k + "' in " + m);
            return n;
        }
    }

    /**
     * Outputs for a set of rows, in float64.
     *
     * @param score   the combined prediction per row
     * @param gates   {@code gates[b][i]}: the gate weight of expert {@code b} for row {@code i}
     * @param experts {@code experts[b][i]}: expert {@code b}'s prediction for row {@code i}
     */
    public record Prediction(double[] score, double[][] gates, double[][] experts) {}

    private final Config config;
    private final Mlp gate;
    private final ModuleList<Mlp> experts;
    private double temperature;

    /** A freshly initialized model (weights drawn from {@code rng}: the gate first, then the experts in order). */
    public BinnedMoE(Config config, Rng rng) {
        this.config = config;
        this.temperature = config.temperature();
        int bins = config.bins().count();
        this.gate = child("gate", new Mlp(new int[] {config.inputs(), config.gateHidden(), bins}, Activation.RELU, config.gateDropout(), rng));
        this.experts = child("experts", new ModuleList<>());
        for (int b = 0; b < bins; b++) experts.add(new Mlp(config.expertDims(), Activation.RELU, 0.0, rng));
        double[] center = new double[bins], scale = new double[bins];
        for (int b = 0; b < bins; b++) {
            center[b] = 0.5 * (config.bins().lower(b) + config.bins().upper(b));
            scale[b] = 0.5 * (config.bins().upper(b) - config.bins().lower(b));
        }
        buffer("center", Tensor.of(center, bins).to(DType.F32));
        buffer("scale", Tensor.of(scale, bins).to(DType.F32));
    }

    /** The configuration (its temperature is the one set at construction; see {@link #temperature()}). */
    public Config config() {
        return config;
    }

    /** Number of bins (= experts). */
    public int numBins() {
        return experts.size();
    }

    /** The gate classifier {@code [n, inputs] -> [n, bins]} (logits). */
    public Mlp gate() {
        return gate;
    }

    /** Expert {@code b}'s network (it outputs the standardized score of its bin). */
    public Mlp expert(int b) {
        return experts.get(b);
    }

    /** The gate temperature used when combining. */
    public double temperature() {
        return temperature;
    }

    /** Changes the gate temperature used when combining (e.g. after tuning it on validation data). */
    public void setTemperature(double t) {
        if (!(t > 0 && Double.isFinite(t))) throw new IllegalArgumentException("BinnedMoE.setTemperature: must be positive, got " + t);
        this.temperature = t;
    }

    /** Sets each bin's target mean and standard deviation (the experts' output de-standardization). */
    public void setTargetStats(double[] center, double[] scale) {
        int b = numBins();
        if (center.length != b || scale.length != b) {
            throw new IllegalArgumentException("BinnedMoE.setTargetStats: need " + b + " centers and scales, got " + center.length + " and " + scale.length);
        }
        for (double s : scale) if (!(s > 0)) throw new IllegalArgumentException("BinnedMoE.setTargetStats: scales must be positive, got " + s);
        setBuffer("center", Tensor.of(center, b).to(DType.F32));
        setBuffer("scale", Tensor.of(scale, b).to(DType.F32));
    }

    /** Each bin's target mean. */
    public double[] centers() {
        return buffer("center").toDoubleArray();
    }

    /** Each bin's target standard deviation. */
    public double[] scales() {
        return buffer("scale").toDoubleArray();
    }

    /** Gate logits {@code [n, bins]}. */
    public Variable gateLogits(Variable x) {
        checkInput(x);
        return gate.forward(x);
    }

    /** Gate probabilities {@code softmax(logits / T)} {@code [n, bins]}. */
    public Variable gateProbs(Variable x) {
        Variable l = gateLogits(x);
        return (temperature == 1.0 ? l : l.div(temperature)).softmax(-1);
    }

    /** Expert {@code b}'s standardized output {@code [n]} (what the trainer fits to {@code (y - center_b) / scale_b}). */
    public Variable expertRaw(int b, Variable x) {
        checkInput(x);
        return experts.get(b).forward(x).reshape(-1);
    }

    /** All experts' predictions in score units {@code [n, bins]}. */
    public Variable expertOutputs(Variable x) {
        checkInput(x);
        Variable[] outs = new Variable[numBins()];
        for (int b = 0; b < outs.length; b++) outs[b] = experts.get(b).forward(x);
        Variable raw = Variable.concat(-1, outs);
        return raw.mul(Variable.constant(buffer("scale"))).add(Variable.constant(buffer("center")));
    }

    /** The combined prediction {@code [n]}. */
    @Override
    public Variable forward(Variable x) {
        return gateProbs(x).mul(expertOutputs(x)).sum(-1);
    }

    /** Predicts in eval mode without recording gradients, {@code batch} rows at a time. */
    public Prediction predict(Tensor x, int batch) {
        if (batch <= 0) throw new IllegalArgumentException("BinnedMoE.predict: batch must be positive, got " + batch);
        checkInput(Variable.constant(x));
        int n = x.dim(0), bins = numBins();
        double[] score = new double[n];
        double[][] gates = new double[bins][n], outs = new double[bins][n];
        boolean was = isTraining();
        eval();
        try (var g = Grad.disabled()) {
            for (int s = 0; s < n; s += batch) {
                int len = Math.min(batch, n - s);
                Variable xb = Variable.constant(x.narrow(0, s, len));
                double[] p = gateProbs(xb).value().toDoubleArray();
                double[] e = expertOutputs(xb).value().toDoubleArray();
                for (int i = 0; i < len; i++) {
                    double sum = 0;
                    for (int b = 0; b < bins; b++) {
                        gates[b][s + i] = p[i * bins + b];
                        outs[b][s + i] = e[i * bins + b];
                        sum += p[i * bins + b] * e[i * bins + b];
                    }
                    score[s + i] = sum;
                }
            }
        } finally {
            setTraining(was);
        }
        return new Prediction(score, gates, outs);
    }

    private void checkInput(Variable x) {
        if (x.rank() != 2 || x.dim(1) != config.inputs()) {
            throw new IllegalArgumentException("BinnedMoE: input must be [n, " + config.inputs() + "], got " + Shape.str(x.shape()));
        }
    }

    @Override
    public String toString() {
        return "BinnedMoE(" + config.bins() + ", gate " + config.gateHidden() + ", experts " + java.util.Arrays.toString(config.expertDims())
                + ", T " + temperature + ")";
    }
}
