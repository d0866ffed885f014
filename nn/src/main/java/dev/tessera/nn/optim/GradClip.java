package dev.tessera.nn.optim;

import dev.tessera.nn.Parameter;
import dev.tessera.tensor.Tensor;

/**
 * Gradient clipping by global norm.
 *
 * <pre>{@code
 * loss.backward();
 * double norm = GradClip.clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 * }</pre>
 */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales all gradients in place by {@code maxNorm / (norm + 1e-6)} when their global L2 norm
     * exceeds {@code maxNorm} (PyTorch's clip_grad_norm_). Parameters without a gradient are
     * skipped.
     *
     * @return the global norm before clipping (may be infinite or NaN; then nothing is scaled)
     */
    public static double clipGradNorm(Iterable<Parameter> params, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("clipGradNorm: maxNorm must be > 0, got " + maxNorm);
        double total = gradNorm(params);
        double scale = maxNorm / (total + 1e-6);
        if (scale < 1 && Double.isFinite(total)) {
            for (Parameter p : params) if (p.grad() != null) p.grad().scaleInPlace(scale);
        }
        return total;
    }

    /** The global L2 norm of all gradients (0 when none has one). */
    public static double gradNorm(Iterable<Parameter> params) {
        double sumSq = 0;
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g != null) sumSq += g.square().sum().item();
        }
        return Math.sqrt(sumSq);
    }

    /** Clamps every gradient element to {@code [-limit, limit]} in place. */
    public static void clipGradValue(Iterable<Parameter> params, double limit) {
        if (!(limit > 0)) throw new IllegalArgumentException("clipGradValue: limit must be > 0, got " + limit);
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g != null) g.copyFrom(g.clamp(-limit, limit));
        }
    }
}
