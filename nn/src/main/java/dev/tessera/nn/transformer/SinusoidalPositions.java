package dev.tessera.nn.transformer;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Fixed sinusoidal positional encodings (Vaswani et al.):
 * {@code PE[p, 2i] = sin(p / 10000^(2i / d))}, {@code PE[p, 2i + 1] = cos(p / 10000^(2i / d))}, added to
 * x [B, T, d]. No parameters.
 *
 * <pre>{@code
 * var pos = new SinusoidalPositions(512, 64);
 * Variable h = pos.forward(embeddings);          // positions 0..T-1
 * Variable step = pos.forward(nextToken, 17);    // position 17 (incremental decoding)
 * }</pre>
 */
public final class SinusoidalPositions extends Module implements Layer {
    private final int maxLen, dim;
    private final Tensor table;

    /** Table for positions {@code 0 .. maxLen - 1} of width {@code dim}. */
    public SinusoidalPositions(int maxLen, int dim) {
        if (maxLen <= 0 || dim <= 0) throw new IllegalArgumentException("SinusoidalPositions: maxLen and dim must be positive, got "
                + maxLen + ", " + dim);
        this.maxLen = maxLen;
        this.dim = dim;
        double[] t = new double[maxLen * dim];
        for (int p = 0; p < maxLen; p++) {
            for (int c = 0; c < dim; c++) {
                double angle = p / Math.pow(10000.0, (c - (c & 1)) / (double) dim);
                t[p * dim + c] = (c & 1) == 0 ? Math.sin(angle) : Math.cos(angle);
            }
        }
        this.table = Tensor.of(t, maxLen, dim);
    }

    /** The encodings of positions {@code [offset, offset + length)} as [length, dim] (F64). */
    public Tensor encodings(int offset, int length) {
        if (offset < 0 || length <= 0 || offset + length > maxLen) {
            throw new IllegalArgumentException("SinusoidalPositions: positions [" + offset + ", " + (offset + length)
                    + ") outside [0, " + maxLen + ")");
        }
        return table.narrow(0, offset, length);
    }

    /** x [B, T, dim] plus the encodings of positions 0..T-1. */
    @Override
    public Variable forward(Variable x) {
        return forward(x, 0);
    }

    /** x [B, T, dim] plus the encodings of positions offset..offset+T-1. */
    public Variable forward(Variable x, int offset) {
        if (x.rank() != 3 || x.dim(2) != dim) {
            throw new IllegalArgumentException("SinusoidalPositions: x must be [B, T, " + dim + "], got " + Shape.str(x.shape()));
        }
        Tensor pe = encodings(offset, x.dim(1)).to(x.dtype()).to(x.device());
        return x.add(Variable.constant(pe));
    }
}
