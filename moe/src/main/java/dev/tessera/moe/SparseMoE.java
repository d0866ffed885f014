package dev.tessera.moe;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Linear;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Objects;

/**
 * Sparse mixture of feed-forward experts with a top-k router and per-expert capacity.
 *
 * <p>Forward on {@code x [..., d]} (T tokens): router logits {@code [T, E]} and probabilities
 * (in float32, or float64 for float64 inputs); top-k on the probabilities plus the optional
 * {@link AuxFreeBalancer} bias, ties to the lower expert index; gate weights are the chosen
 * probabilities renormalized to sum 1; capacity {@code C = ceil(cf * k * T / E)} ({@code cf <= 0}:
 * dropless) with overflow dropped by position (see {@link Dispatch}); the kept token rows are
 * gathered into an {@code [E, C, d]} buffer, all experts run as one batched matmul
 * ({@link ExpertFfn}), and the results are scatter-added back weighted by their gates. A dropped
 * assignment contributes nothing (a token whose every choice was dropped outputs zeros; add a
 * residual around the layer).
 *
 * <p>After each forward, {@link #auxLoss()} holds the Switch balance loss plus the router z-loss
 * and {@link #lastStats()} the routing statistics.
 *
 * <pre>{@code
 * var moe = new SparseMoE(384, 1024, new SparseMoE.Options(8, 2, 1.25, 0.01, 0.0, 0.0), DType.F32, new Rng(0));
 * Variable y = moe.forward(x);
 * Variable loss = task.add(moe.auxLoss());
 * }</pre>
 */
public final class SparseMoE extends Module implements Layer {

    /**
     * Layer options.
     *
     * @param experts        E
     * @param topK           k in [1, E]
     * @param capacityFactor cf; {@code <= 0} means dropless
     * @param alpha          weight of the Switch load-balancing loss (0 disables it)
     * @param zLossCoef      weight of the router z-loss (0 disables it)
     * @param biasGamma      update rate of the auxiliary-loss-free balancer (0: no balancer)
     * @param dropPolicy     which overflow assignments are dropped (token choice only)
     * @param routerKind     token choice (top-k per token) or expert choice (top-C per expert)
     */
    public record Options(int experts, int topK, double capacityFactor, double alpha, double zLossCoef, double biasGamma,
            DropPolicy dropPolicy, RouterKind routerKind) {

        /** Token-choice routing with overflow dropped by position. */
        public Options(int experts, int topK, double capacityFactor, double alpha, double zLossCoef, double biasGamma) {
            this(experts, topK, capacityFactor, alpha, zLossCoef, biasGamma, DropPolicy.POSITION, RouterKind.TOKEN_CHOICE);
        }

        /** Validates the ranges. */
        public Options {
            java.util.Objects.requireNonNull(dropPolicy, "SparseMoE: dropPolicy is null");
            java.util.Objects.requireNonNull(routerKind, "SparseMoE: routerKind is null");
            if (routerKind == RouterKind.EXPERT_CHOICE && (capacityFactor <= 0 || biasGamma > 0)) {
                throw new IllegalArgumentException("SparseMoE: expert-choice routing needs capacityFactor > 0 and no bias balancer, got cf "
                        + capacityFactor + ", biasGamma " + biasGamma);
            }
            if (experts <= 0) throw new IllegalArgumentException("SparseMoE: experts must be positive, got " + experts);
            if (topK < 1 || topK > experts) throw new IllegalArgumentException("SparseMoE: topK must be in [1, " + experts + "], got " + topK);
            if (alpha < 0 || zLossCoef < 0 || biasGamma < 0) {
                throw new IllegalArgumentException("SparseMoE: alpha, zLossCoef and biasGamma must be >= 0, got " + alpha + ", "
                        + zLossCoef + ", " + biasGamma);
            }
        }
    }

    private final Options options;
    private final Linear router;
    private final ExpertFfn experts;
    private final AuxFreeBalancer balancer;
    private Variable lastAux;
    private MoeStats lastStats;
    private double evalCapacityFactor = Double.NaN;
    private volatile RoutingListener routingListener;

    /**
     * Observer of the routing decisions of each token-choice forward (for example a trace recorder,
     * {@code dev.tessera.moe.trace.TraceRecorder}). It is called on the forward's thread after the
     * experts are chosen and before they run, in training and in inference alike; it must only read
     * its arguments (the layer uses them afterwards). Expert-choice forwards are not reported: their
     * tokens have no fixed number of experts.
     */
    @FunctionalInterface
    public interface RoutingListener {
        /**
         * One forward's routing.
         *
         * @param layer  the layer that routed
         * @param input  the layer input as {@code [T, d]}, in the input's dtype
         * @param choice {@code [T * k]}: entry {@code t * k + j} is the j-th chosen expert of token t
         *               (before capacity drops)
         * @param gates  {@code [T * k]}: the gate weights (chosen probabilities renormalized to sum 1)
         * @param plan   the dispatch: which assignments the capacity kept
         */
        void onRouting(SparseMoE layer, Tensor input, int[] choice, Tensor gates, Dispatch plan);
    }

    /** A layer {@code dModel -> dModel} with experts of hidden width {@code hidden}. */
    public SparseMoE(int dModel, int hidden, Options options, DType dtype, Rng rng) {
        this.options = Objects.requireNonNull(options, "SparseMoE: options is null");
        this.router = child("router", new Linear(dModel, options.experts(), false, dtype == DType.F64 ? DType.F64 : DType.F32, rng));
        this.experts = child("experts", new ExpertFfn(options.experts(), dModel, hidden, dtype, rng));
        this.balancer = options.biasGamma() > 0 ? child("balancer", new AuxFreeBalancer(options.experts(), options.biasGamma())) : null;
    }

    /** The options. */
    public Options options() {
        return options;
    }

    /** The router ({@code [d] -> [E]}, no bias). */
    public Linear router() {
        return router;
    }

    /** The batched experts. */
    public ExpertFfn experts() {
        return experts;
    }

    /**
     * Sets the capacity factor of token-choice routing in eval mode ({@code <= 0}: dropless); by default
     * eval uses the training factor. Inference usually runs dropless, so that a token's output does not
     * depend on the other tokens of its batch (and cached decoding equals full recompute). Returns this.
     */
    public SparseMoE withEvalCapacityFactor(double cf) {
        if (options.routerKind() == RouterKind.EXPERT_CHOICE) {
            throw new IllegalArgumentException("SparseMoE.withEvalCapacityFactor: expert-choice routing has no token-choice capacity to override");
        }
        if (Double.isNaN(cf)) throw new IllegalArgumentException("SparseMoE.withEvalCapacityFactor: cf is NaN");
        this.evalCapacityFactor = cf;
        return this;
    }

    /** The capacity factor the next forward uses (the eval override in eval mode when set). */
    public double activeCapacityFactor() {
        return !isTraining() && !Double.isNaN(evalCapacityFactor) ? evalCapacityFactor : options.capacityFactor();
    }

    /** The auxiliary-loss-free balancer, or null when {@code biasGamma == 0}. */
    public AuxFreeBalancer balancer() {
        return balancer;
    }

    @Override
    public Variable forward(Variable x) {
        int d = experts.dModel(), e = options.experts(), k = options.topK();
        int[] xs = x.shape();
        if (xs.length == 0 || xs[xs.length - 1] != d) {
            throw new IllegalArgumentException("SparseMoE: input " + java.util.Arrays.toString(xs) + " must end in " + d);
        }
        Variable x2 = x.reshape(-1, d);
        int t = x2.dim(0);
        // the router stays in float32 (a float64 layer keeps float64 for the oracle tests)
        DType rd = router.weight().value().dtype();
        Variable logits = router.forward(x.dtype() == rd ? x2 : x2.to(rd));
        Variable probs = logits.softmax(-1);

        double[] scores = probs.value().toDoubleArray();
        if (options.routerKind() == RouterKind.EXPERT_CHOICE) return expertChoice(x, x2, logits, probs, scores, t);
        if (balancer != null) {
            double[] b = balancer.bias();
            for (int i = 0; i < scores.length; i++) scores[i] += b[i % e];
        }
        int[] choice = Routing.topK(scores, t, e, k);
        int capacity = Dispatch.capacity(activeCapacityFactor(), k, t, e);
        Dispatch plan;
        if (options.dropPolicy() == DropPolicy.PROBABILITY) {
            double[] priority = new double[t * k];
            double[] p = probs.value().toDoubleArray();
            for (int i = 0; i < t * k; i++) priority[i] = p[(i / k) * e + choice[i]];
            plan = Dispatch.planByPriority(choice, priority, t, e, k, capacity);
        } else {
            plan = Dispatch.plan(choice, t, e, k, capacity);
        }
        lastStats = MoeStats.of(plan, t, k);

        Variable aux = options.alpha() > 0 ? BalanceLoss.switchLoss(probs, plan.load(), k, options.alpha()) : DenseMoE.zero(rd, x.value().device());
        if (options.zLossCoef() > 0) aux = aux.add(BalanceLoss.zLoss(logits, options.zLossCoef()));
        lastAux = aux;

        Variable sel = probs.gather(1, onDeviceOf(x, Tensor.of(choice, t, k)));
        Variable gates = sel.div(sel.sumKeepDims(1)).reshape(t * k);
        if (gates.dtype() != x.dtype()) gates = gates.to(x.dtype());
        RoutingListener listener = routingListener;
        if (listener != null) listener.onRouting(this, x2.value(), choice, gates.value(), plan);

        return combine(x, x2, plan, gates, t);
    }

    /** Expert-choice forward: experts pick tokens; gates are the raw router probabilities. */
    private Variable expertChoice(Variable x, Variable x2, Variable logits, Variable probs, double[] scores, int t) {
        int e = options.experts(), k = options.topK();
        Dispatch plan = Dispatch.expertChoice(scores, t, e, Dispatch.capacity(options.capacityFactor(), k, t, e));
        lastStats = MoeStats.ofExpertChoice(plan, t, k);
        lastAux = options.zLossCoef() > 0 ? BalanceLoss.zLoss(logits, options.zLossCoef()) : DenseMoE.zero(logits.dtype(), x.value().device());
        Variable gates = probs.reshape(t * e);
        if (gates.dtype() != x.dtype()) gates = gates.to(x.dtype());
        return combine(x, x2, plan, gates, t);
    }

    /** Routing is planned on the host; its index tensors go to the device the activations live on. */
    private static Tensor onDeviceOf(Variable x, Tensor hostIndex) {
        var device = x.value().device();
        return device.equals(hostIndex.device()) ? hostIndex : hostIndex.to(device);
    }

    /**
     * Gathers the kept rows packed by expert (the occupied slots of the [E, C] capacity buffer without
     * its empty tail), runs each expert on its own rows only, and scatter-adds the gated results back.
     * Skipping the empty slots saves the GEMM rows a padded [E, C, d] buffer would spend on them
     * (a fifth of the expert FLOPs at cf 1.25 and even load).
     */
    private Variable combine(Variable x, Variable x2, Dispatch plan, Variable gates, int t) {
        int d = experts.dModel(), e = options.experts();
        int[] xs = x.shape();
        int c = plan.capacity();
        int n = plan.keptSlot().length;
        if (n == 0) return x.mul(0.0);
        int[] kept = plan.kept();
        int[] rowStart = new int[e];
        for (int i = 1; i < e; i++) rowStart[i] = rowStart[i - 1] + kept[i - 1];
        // kept assignment a sits in slot keptSlot[a] = expert * C + position, position < kept[expert]
        int[] rowToken = new int[n], rowChoice = new int[n];
        for (int a = 0; a < n; a++) {
            int slot = plan.keptSlot()[a], ex = slot / c, row = rowStart[ex] + slot % c;
            rowToken[row] = plan.keptToken()[a];
            rowChoice[row] = plan.keptChoice()[a];
        }
        Tensor tokens = onDeviceOf(x, Tensor.of(rowToken, n));
        Variable h = experts.forwardGrouped(x2.indexSelect(0, tokens), kept);
        Variable wk = gates.indexSelect(0, onDeviceOf(x, Tensor.of(rowChoice, n))).unsqueeze(1);
        Variable y = Variable.indexAdd(new int[] {t, d}, 0, tokens, h.mul(wk));
        return y.reshape(xs);
    }

    /**
     * Sets the routing observer ({@code null} removes it). A null listener costs one field read per
     * forward and changes nothing else.
     */
    public void setRoutingListener(RoutingListener listener) {
        this.routingListener = listener;
    }

    /** The routing observer, or null. */
    public RoutingListener routingListener() {
        return routingListener;
    }

    /** The auxiliary loss of the last forward (balance loss + z-loss; zero when both are off). */
    public Variable auxLoss() {
        if (lastAux == null) throw new IllegalStateException("SparseMoE.auxLoss: no forward has run yet");
        return lastAux;
    }

    /** The routing statistics of the last forward. */
    public MoeStats lastStats() {
        if (lastStats == null) throw new IllegalStateException("SparseMoE.lastStats: no forward has run yet");
        return lastStats;
    }

    /** Moves the balancer bias from the last forward's loads (call after the optimizer step); no-op without a balancer. */
    public void updateBalancer() {
        if (balancer != null) balancer.update(lastStats().load());
    }

    @Override
    public String toString() {
        return "SparseMoE(" + options + ")";
    }
}
