package dev.tessera.moe;

/**
 * Top-k expert selection on plain arrays (integer work, no gradients).
 *
 * <pre>{@code
 * int[] choice = Routing.topK(scores, tokens, experts, 2);   // choice[t * 2 + j]: j-th expert of token t
 * }</pre>
 */
public final class Routing {
    private Routing() {}

    /**
     * For each of {@code tokens} rows of {@code scores [tokens, experts]} (row-major), the indices of
     * the {@code k} largest scores in descending order; equal scores go to the lower expert index.
     * NaN scores are never preferred over numbers.
     *
     * @return {@code [tokens * k]}, entry {@code t * k + j} is the j-th choice of token t
     */
    public static int[] topK(double[] scores, int tokens, int experts, int k) {
        if (k < 1 || k > experts) throw new IllegalArgumentException("topK: k must be in [1, " + experts + "], got " + k);
        if (scores.length != (long) tokens * experts) {
            throw new IllegalArgumentException("topK: scores has " + scores.length + " entries, expected " + tokens + " x " + experts);
        }
        int[] out = new int[tokens * k];
        boolean[] taken = new boolean[experts];
        for (int t = 0; t < tokens; t++) {
            java.util.Arrays.fill(taken, false);
            int base = t * experts;
            for (int j = 0; j < k; j++) {
                int best = -1;
                double bv = 0;
                for (int e = 0; e < experts; e++) {
                    if (taken[e]) continue;
                    double v = scores[base + e];
                    // strict '>' scanning upwards keeps the lower index on ties
                    if (best < 0 || v > bv || (Double.isNaN(bv) && !Double.isNaN(v))) {
                        best = e;
                        bv = v;
                    }
                }
                taken[best] = true;
                out[t * k + j] = best;
            }
        }
        return out;
    }
}
