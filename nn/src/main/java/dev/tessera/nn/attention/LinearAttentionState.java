package dev.tessera.nn.attention;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * The recurrent state of causal linear attention for incremental decoding: the running sums
 * {@code S = sum_j phi(k_j) v_j^T} [B, Hkv, D, Dv] and {@code z = sum_j phi(k_j)} [B, Hkv, D] over the
 * positions processed so far. Unlike a {@link KvCache} its size does not grow with the sequence: one
 * decoding step costs the same at position 10 and at position 10,000.
 *
 * <p>Holds plain tensors (decoding runs without gradients).
 *
 * <pre>{@code
 * var state = new LinearAttentionState();
 * Variable y0 = la.forward(prompt, state);   // [B, T, d]; state now sums the prompt
 * Variable y1 = la.forward(next, state);     // equals the last row of a full causal forward
 * }</pre>
 */
public final class LinearAttentionState {
    private Tensor s, z;
    private int length;

    /** An empty state (no position seen). */
    public LinearAttentionState() {}

    /** Number of positions summed into the state. */
    public int length() {
        return length;
    }

    /** {@code S} [B, Hkv, D, Dv], or null when empty. */
    public Tensor sums() {
        return s;
    }

    /** {@code z} [B, Hkv, D], or null when empty. */
    public Tensor normalizer() {
        return z;
    }

    /** Replaces the sums after {@code added} more positions; shapes must stay those of the first update. */
    void advance(Tensor newS, Tensor newZ, int added) {
        if (newS.rank() != 4 || newZ.rank() != 3 || newS.dim(0) != newZ.dim(0) || newS.dim(1) != newZ.dim(1) || newS.dim(2) != newZ.dim(2)) {
            throw new IllegalArgumentException("LinearAttentionState: expected S [B,Hkv,D,Dv] and z [B,Hkv,D], got S" + Shape.str(newS.shape())
                    + ", z" + Shape.str(newZ.shape()));
        }
        if (s != null && !Shape.same(s.shape(), newS.shape())) {
            throw new IllegalArgumentException("LinearAttentionState: state " + Shape.str(s.shape()) + " cannot continue with "
                    + Shape.str(newS.shape()) + " (another batch size or layer?)");
        }
        s = newS.contiguous();
        z = newZ.contiguous();
        length += added;
    }

    /** Empties the state. */
    public void clear() {
        s = null;
        z = null;
        length = 0;
    }
}
