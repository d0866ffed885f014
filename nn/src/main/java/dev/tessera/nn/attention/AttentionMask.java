package dev.tessera.nn.attention;

import dev.tessera.tensor.Tensor;

/**
 * Boolean attention masks; {@code true} means "masked" (the key is not attended to).
 *
 * <pre>{@code
 * Tensor pad = AttentionMask.keyPadding(new int[] {3, 5}, 5);   // [2, 5], row 0 masks keys 3 and 4
 * Tensor causal = AttentionMask.causal(4, 4, 0);               // [4, 4], upper triangle masked
 * }</pre>
 */
public final class AttentionMask {
    private AttentionMask() {}

    /**
     * Causal mask [tq, tk]: query i sees keys {@code j <= i + offset}; {@code offset} is the number of
     * cached positions before the first query (0 for a full forward).
     */
    public static Tensor causal(int tq, int tk, int offset) {
        if (tq <= 0 || tk <= 0 || offset < 0) {
            throw new IllegalArgumentException("causal: expected tq > 0, tk > 0, offset >= 0, got tq " + tq + ", tk " + tk
                    + ", offset " + offset);
        }
        boolean[] m = new boolean[tq * tk];
        for (int i = 0; i < tq; i++) for (int j = 0; j < tk; j++) m[i * tk + j] = j > i + offset;
        return Tensor.of(m, tq, tk);
    }

    /** Key padding mask [B, t] from per-sequence lengths: position {@code j >= lengths[b]} is masked. */
    public static Tensor keyPadding(int[] lengths, int t) {
        if (t <= 0) throw new IllegalArgumentException("keyPadding: t must be positive, got " + t);
        boolean[] m = new boolean[lengths.length * t];
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < 0 || lengths[b] > t) {
                throw new IllegalArgumentException("keyPadding: lengths[" + b + "] must be in [0, " + t + "], got " + lengths[b]);
            }
            for (int j = lengths[b]; j < t; j++) m[b * t + j] = true;
        }
        return Tensor.of(m, lengths.length, t);
    }
}
