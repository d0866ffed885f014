package dev.tessera.nn.layers;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;

/**
 * RMS normalisation over the last dimension: {@code x / sqrt(mean(x^2) + eps) * gamma}; gamma
 * starts at 1 (fused forward and backward kernels).
 *
 * <pre>{@code
 * var norm = new RmsNorm(256);
 * Variable y = norm.forward(x);
 * }</pre>
 */
public final class RmsNorm extends Module implements Layer {
    private final int dim;
    private final double eps;
    private final Parameter gamma;

    /** F32, eps 1e-6, with gamma. */
    public RmsNorm(int dim) {
        this(dim, 1e-6, true, DType.F32);
    }

    /** An RMS norm with or without the scale gamma. */
    public RmsNorm(int dim, double eps, boolean affine, DType dtype) {
        if (dim <= 0) throw new IllegalArgumentException("RmsNorm: dim must be positive, got " + dim);
        if (!(eps >= 0)) throw new IllegalArgumentException("RmsNorm: eps must be >= 0, got " + eps);
        this.dim = dim;
        this.eps = eps;
        this.gamma = affine ? param("weight", Tensor.full(dtype, 1.0, dim)) : null;
    }

    /** The scale (null without affine). */
    public Parameter gamma() {
        return gamma;
    }

    /** The normalised size. */
    public int dim() {
        return dim;
    }

    @Override
    public Variable forward(Variable x) {
        return x.rmsNorm(gamma == null ? null : gamma.var(), eps);
    }
}
