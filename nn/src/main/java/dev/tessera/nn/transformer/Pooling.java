package dev.tessera.nn.transformer;

import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Sequence pooling [B, T, d] to [B, d] for regression or classification heads.
 *
 * <pre>{@code
 * Variable pooled = Pooling.MASKED_MEAN.apply(hidden, padMask);
 * }</pre>
 */
public enum Pooling {
    /** Mean over all T positions (padding ignored). */
    MEAN,
    /** Mean over the non-padded positions; a sequence with none gives 0. */
    MASKED_MEAN,
    /** The first position (a CLS token). */
    CLS;

    /** Pools x [B, T, d]; keyPadding BOOL [B, T] (true = padded) is used by {@link #MASKED_MEAN} only (null = none padded). */
    public Variable apply(Variable x, Tensor keyPadding) {
        if (x.rank() != 3) throw new IllegalArgumentException("pooling " + this + ": x must be [B, T, d], got " + Shape.str(x.shape()));
        return switch (this) {
            case MEAN -> x.mean(1);
            case CLS -> x.select(1, 0);
            case MASKED_MEAN -> {
                if (keyPadding == null) yield x.mean(1);
                int b = x.dim(0), t = x.dim(1);
                if (keyPadding.dtype() != DType.BOOL || !Shape.same(keyPadding.shape(), new int[] {b, t})) {
                    throw new IllegalArgumentException("pooling MASKED_MEAN: keyPadding must be BOOL [" + b + ", " + t + "], got "
                            + keyPadding.dtype() + Shape.str(keyPadding.shape()));
                }
                Tensor keep = keyPadding.not().to(x.dtype()).reshape(b, t, 1);
                Tensor count = keep.sum(1).maximum(1.0);                        // [B, 1]
                yield x.mul(Variable.constant(keep)).sum(1).div(Variable.constant(count));
            }
        };
    }
}
