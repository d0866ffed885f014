package dev.tessera.moe;

import dev.tessera.nn.Module;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;

/**
 * Auxiliary-loss-free load balancing: a per-expert bias added to the router scores for
 * selection only (the gate weights still come from the unbiased probabilities), moved after each
 * optimizer step, without gradients, by {@code b_i += gamma * sign(mean_load - load_i)}. The bias
 * is a buffer ({@code bias}), so it is saved and restored with the model.
 *
 * <pre>{@code
 * optimizer.step();
 * moe.balancer().update(moe.lastStats().load());
 * }</pre>
 */
public final class AuxFreeBalancer extends Module {
    private final double gamma;

    /** A zero bias over {@code experts} experts with update rate {@code gamma > 0}. */
    public AuxFreeBalancer(int experts, double gamma) {
        if (experts <= 0) throw new IllegalArgumentException("AuxFreeBalancer: experts must be positive, got " + experts);
        if (!(gamma > 0)) throw new IllegalArgumentException("AuxFreeBalancer: gamma must be positive, got " + gamma);
        this.gamma = gamma;
        buffer("bias", Tensor.zeros(DType.F64, experts));
    }

    /** The update rate. */
    public double gamma() {
        return gamma;
    }

    /** The current selection bias per expert. */
    public double[] bias() {
        return buffer("bias").toDoubleArray();
    }

    /** One control step from the per-expert loads of the last forward. */
    public void update(int[] load) {
        double[] b = bias();
        if (load.length != b.length) throw new IllegalArgumentException("AuxFreeBalancer.update: load has " + load.length + " experts, expected " + b.length);
        double mean = 0;
        for (int l : load) mean += l;
        mean /= load.length;
        for (int i = 0; i < b.length; i++) b[i] += gamma * Math.signum(mean - load[i]);
        setBuffer("bias", Tensor.of(b, b.length));
    }
}
