package dev.tessera.nn.layers;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;

/**
 * Layer normalisation over the last dimension: {@code (x - mean) / sqrt(var + eps) * gamma + beta}
 * with the biased variance; gamma starts at 1 and beta at 0 (fused forward and backward kernels).
 *
 * <pre>{@code
 * var ln = new LayerNorm(192);
 * Variable y = ln.forward(x);     // x [..., 192]
 * }</pre>
 */
public final class LayerNorm extends Module implements Layer {
    private final int dim;
    private final double eps;
    private final Parameter gamma, beta;

    /** F32, eps 1e-5, with gamma and beta. */
    public LayerNorm(int dim) {
        this(dim, 1e-5, true, DType.F32);
    }

    /** A layer norm with or without the affine gamma/beta. */
    public LayerNorm(int dim, double eps, boolean affine, DType dtype) {
        if (dim <= 0) throw new IllegalArgumentException("LayerNorm: dim must be positive, got " + dim);
        if (!(eps >= 0)) throw new IllegalArgumentException("LayerNorm: eps must be >= 0, got " + eps);
        this.dim = dim;
        this.eps = eps;
        this.gamma = affine ? param("weight", Tensor.full(dtype, 1.0, dim)) : null;
        this.beta = affine ? param("bias", Tensor.zeros(dtype, dim)) : null;
    }

    /** The scale (null without affine). */
    public Parameter gamma() {
        return gamma;
    }

    /** The shift (null without affine). */
    public Parameter beta() {
        return beta;
    }

    /** The normalised size. */
    public int dim() {
        return dim;
    }

    @Override
    public Variable forward(Variable x) {
        return x.layerNorm(gamma == null ? null : gamma.var(), beta == null ? null : beta.var(), eps);
    }
}
