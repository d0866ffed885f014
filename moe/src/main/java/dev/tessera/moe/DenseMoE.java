package dev.tessera.moe;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Linear;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * Soft-gated mixture of experts: {@code y = sum_e softmax(gate(x) / T)_e * expert_e(x)} over the
 * last dimension. Every expert sees every token and receives gradients, which makes this layer the
 * oracle that {@link SparseMoE} with {@code k = E} and no capacity limit reproduces.
 *
 * <p>Options: the gate temperature {@code T}; an entropy regularizer whose value
 * {@code coef * mean_t H(g_t)} is available after each forward from {@link #auxLoss()} (a negative
 * coefficient rewards spread-out gates, a positive one rewards decisive gates); and gate dropout,
 * which in training mode zeroes each (token, expert) gate weight with probability {@code p} and
 * renormalizes the survivors (a row that would lose every expert keeps them all).
 *
 * <pre>{@code
 * var gate = new Linear(384, 7, new Rng(0));
 * List<Layer> experts = ...;                       // any modules mapping [..., 384] -> [..., out]
 * var moe = new DenseMoE(gate, experts, DenseMoE.Options.DEFAULT, new Rng(1));
 * Variable y = moe.forward(x);                     // add moe.auxLoss() to the training loss
 * }</pre>
 */
public final class DenseMoE extends Module implements Layer {

    /**
     * Gating options.
     *
     * @param temperature divides the gate logits before the softmax (must be positive)
     * @param entropyCoef weight of the mean gate entropy in {@link #auxLoss()} (0 disables it)
     * @param gateDropout probability in [0, 1) of dropping a gate weight in training mode
     */
    public record Options(double temperature, double entropyCoef, double gateDropout) {
        /** Temperature 1, no regularizer, no gate dropout. */
        public static final Options DEFAULT = new Options(1.0, 0.0, 0.0);

        /** Validates the ranges. */
        public Options {
            if (!(temperature > 0)) throw new IllegalArgumentException("DenseMoE: temperature must be positive, got " + temperature);
            if (!(gateDropout >= 0 && gateDropout < 1)) {
                throw new IllegalArgumentException("DenseMoE: gateDropout must be in [0, 1), got " + gateDropout);
            }
            if (!Double.isFinite(entropyCoef)) throw new IllegalArgumentException("DenseMoE: entropyCoef must be finite, got " + entropyCoef);
        }
    }

    private final Linear gate;
    private final List<Layer> experts;
    private final Options options;
    private final Rng rng;
    private Variable lastAux;
    private Tensor lastGates;

    /**
     * A layer gated by {@code gate} ({@code [..., d] -> [..., E]}) over {@code experts} (E of them,
     * each {@code [..., d] -> [..., out]}). Experts that are {@link Module}s are registered as
     * children {@code experts0, experts1, ...}; others (lambdas) are used as given.
     */
    public DenseMoE(Linear gate, List<? extends Layer> experts, Options options, Rng rng) {
        this.gate = child("gate", Objects.requireNonNull(gate, "DenseMoE: gate is null"));
        this.experts = List.copyOf(experts);
        if (this.experts.size() != gate.outFeatures()) {
            throw new IllegalArgumentException("DenseMoE: gate has " + gate.outFeatures() + " outputs but " + this.experts.size()
                    + " experts were given");
        }
        for (int e = 0; e < this.experts.size(); e++) {
            if (this.experts.get(e) instanceof Module m) child("expert" + e, m);
        }
        this.options = Objects.requireNonNull(options, "DenseMoE: options is null");
        this.rng = Objects.requireNonNull(rng, "DenseMoE: rng is null");
    }

    /** The gate. */
    public Linear gate() {
        return gate;
    }

    /** Number of experts. */
    public int numExperts() {
        return experts.size();
    }

    /** The options. */
    public Options options() {
        return options;
    }

    /** Gate probabilities {@code [..., E]} for {@code x}, before gate dropout. */
    public Variable gates(Variable x) {
        return logits(x).softmax(-1);
    }

    private Variable logits(Variable x) {
        Variable logits = gate.forward(x);
        return options.temperature() != 1.0 ? logits.div(options.temperature()) : logits;
    }

    @Override
    public Variable forward(Variable x) {
        Variable logits = logits(x);
        Variable g = logits.softmax(-1);
        int e = experts.size();
        // H = -sum g log g, with log g from logSoftmax so that tiny gates stay finite
        lastAux = options.entropyCoef() == 0 ? zero(x.dtype(), x.value().device())
                : g.mul(logits.logSoftmax(-1)).sum(-1).neg().mean().mul(options.entropyCoef());
        if (isTraining() && options.gateDropout() > 0) g = dropGates(g);
        lastGates = g.value();
        Variable[] outs = new Variable[e];
        for (int i = 0; i < e; i++) outs[i] = experts.get(i).forward(x);
        Variable stacked = Variable.stack(-2, outs);         // [..., E, out]
        return stacked.mul(g.unsqueeze(-1)).sum(-2);
    }

    /** Zeroes gate weights with probability p and renormalizes the survivors of each row. */
    private Variable dropGates(Variable g) {
        int[] s = g.shape();
        int e = s[s.length - 1], rows = g.numel() / e;
        double[] mask = new double[rows * e];
        double p = options.gateDropout();
        for (int r = 0; r < rows; r++) {
            boolean any = false;
            for (int i = 0; i < e; i++) {
                boolean keep = rng.nextDouble() >= p;
                mask[r * e + i] = keep ? 1 : 0;
                any |= keep;
            }
            // a token without any expert would produce nothing; keep the whole row instead
            if (!any) for (int i = 0; i < e; i++) mask[r * e + i] = 1;
        }
        Variable m = Variable.constant(Tensor.of(mask, s).to(g.dtype()).to(g.value().device()));
        Variable kept = g.mul(m);
        return kept.div(kept.sumKeepDims(-1));
    }

    /**
     * The auxiliary loss of the last forward ({@code entropyCoef * mean gate entropy}; a zero
     * constant when the regularizer is off). Add it to the training loss.
     */
    public Variable auxLoss() {
        if (lastAux == null) throw new IllegalStateException("DenseMoE.auxLoss: no forward has run yet");
        return lastAux;
    }

    /** The gate weights {@code [..., E]} used by the last forward (after gate dropout). */
    public Tensor lastGates() {
        if (lastGates == null) throw new IllegalStateException("DenseMoE.lastGates: no forward has run yet");
        return lastGates;
    }

    /** A scalar zero made on {@code device} itself (no host copy, so it may be part of a captured CUDA graph). */
    static Variable zero(DType dtype, Device device) {
        return Variable.constant(Tensor.zeros(dtype, device));
    }

    @Override
    public String toString() {
        return "DenseMoE(" + experts.size() + " experts, T " + options.temperature() + ")";
    }
}
