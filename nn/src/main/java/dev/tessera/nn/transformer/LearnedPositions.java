package dev.tessera.nn.transformer;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.init.Init;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Learned absolute positional embeddings: a [maxLen, dim] parameter (normal, std 0.02) whose rows are
 * added to x [B, T, dim].
 *
 * <pre>{@code
 * var pos = new LearnedPositions(128, 64, DType.F32, new Rng(1));
 * Variable h = pos.forward(embeddings);
 * }</pre>
 */
public final class LearnedPositions extends Module implements Layer {
    private final int maxLen, dim;
    private final Parameter weight;

    /** Embeddings for positions {@code 0 .. maxLen - 1}. */
    public LearnedPositions(int maxLen, int dim, DType dtype, Rng rng) {
        if (maxLen <= 0 || dim <= 0) throw new IllegalArgumentException("LearnedPositions: maxLen and dim must be positive, got "
                + maxLen + ", " + dim);
        this.maxLen = maxLen;
        this.dim = dim;
        this.weight = param("weight", Init.normal(Tensor.empty(dtype, maxLen, dim), rng, 0, 0.02));
    }

    /** The [maxLen, dim] table. */
    public Parameter weight() {
        return weight;
    }

    /** x [B, T, dim] plus rows 0..T-1. */
    @Override
    public Variable forward(Variable x) {
        return forward(x, 0);
    }

    /** x [B, T, dim] plus rows offset..offset+T-1. */
    public Variable forward(Variable x, int offset) {
        if (x.rank() != 3 || x.dim(2) != dim) {
            throw new IllegalArgumentException("LearnedPositions: x must be [B, T, " + dim + "], got " + Shape.str(x.shape()));
        }
        int t = x.dim(1);
        if (offset < 0 || offset + t > maxLen) {
            throw new IllegalArgumentException("LearnedPositions: positions [" + offset + ", " + (offset + t) + ") outside [0, " + maxLen + ")");
        }
        return x.add(weight.var().narrow(0, offset, t));
    }
}
