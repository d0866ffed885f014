package dev.tessera.nn.transformer;

import dev.tessera.autograd.Variable;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Rotary position embedding (RoFormer), interleaved-pair convention: for position p and pair i of a
 * head vector x [.., D], with {@code theta_i = base^(-2i / D)},
 * {@code x'[2i] = x[2i] cos(p theta_i) - x[2i+1] sin(p theta_i)} and
 * {@code x'[2i+1] = x[2i] sin(p theta_i) + x[2i+1] cos(p theta_i)}.
 * Applied to queries and keys, the score between positions p and s depends only on p - s.
 *
 * <pre>{@code
 * var rope = new RotaryEmbedding(16, 10000);
 * Variable qr = rope.apply(q, 0);    // q [B, H, T, 16]
 * }</pre>
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final double base;

    /** Rotary embedding for heads of even width {@code headDim}. */
    public RotaryEmbedding(int headDim, double base) {
        if (headDim <= 0 || headDim % 2 != 0) throw new IllegalArgumentException("RotaryEmbedding: headDim must be positive and even, got " + headDim);
        if (!(base > 1)) throw new IllegalArgumentException("RotaryEmbedding: base must be > 1, got " + base);
        this.headDim = headDim;
        this.base = base;
    }

    /** Head width. */
    public int headDim() {
        return headDim;
    }

    /** Rotates x [B, H, T, headDim] whose position t is {@code offset + t}. */
    public Variable apply(Variable x, int offset) {
        if (x.rank() != 4 || x.dim(3) != headDim) {
            throw new IllegalArgumentException("RotaryEmbedding: x must be [B, H, T, " + headDim + "], got " + Shape.str(x.shape()));
        }
        if (offset < 0) throw new IllegalArgumentException("RotaryEmbedding: offset must be >= 0, got " + offset);
        int t = x.dim(2), half = headDim / 2;
        double[] cos = new double[t * half], sin = new double[t * half];
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < half; i++) {
                double angle = (offset + p) * Math.pow(base, -2.0 * i / headDim);
                cos[p * half + i] = Math.cos(angle);
                sin[p * half + i] = Math.sin(angle);
            }
        }
        Variable c = Variable.constant(Tensor.of(cos, t, half).to(x.dtype()).to(x.device()));
        Variable s = Variable.constant(Tensor.of(sin, t, half).to(x.dtype()).to(x.device()));
        int[] pairs = {x.dim(0), x.dim(1), t, half, 2};
        Variable xp = x.reshape(pairs);
        Variable x0 = xp.select(4, 0), x1 = xp.select(4, 1);
        Variable r0 = x0.mul(c).sub(x1.mul(s)), r1 = x0.mul(s).add(x1.mul(c));
        return Variable.stack(4, r0, r1).reshape(x.shape());
    }
}
