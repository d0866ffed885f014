package dev.tessera.app.mheight;

import dev.tessera.lp.MinimumSupportBound;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Input encoding of (n, k, m, P) for the m-height model: one token per column of P (no positional
 * encoding, so the model is exactly invariant to column permutations). Each column is sign-normalised
 * (multiplied by the sign of its first non-zero entry), which makes the tokens exactly invariant to
 * column sign flips; row permutations and row sign flips are left to augmentation and TTA.
 *
 * <p>Two exact bounds enter as global features: the largest column 1-norm of P (SPEC section 4 (5)) and
 * the {@link MinimumSupportBound} on h_m (the largest h_m over the codewords that vanish on k - 1
 * positions, C(n, k - 1) small solves per row). The second is a lower bound on h_m for every m and the
 * model predicts a correction on top of it. Both are invariant under the exact invariances, so callers that
 * featurise the same rows many times (training steps, test-time augmentation) compute it once with
 * {@link #log2LowerBounds} and pass it in.
 */
public final class Features {
    /** Largest k supported (entries per token are padded to this). */
    public static final int KMAX = 6;
    /** Features per token: KMAX normalised entries, KMAX sorted magnitudes, log2 of the column 1-norm. */
    public static final int TOKEN_FEATURES = 2 * KMAX + 1;
    /** Global scalar features: log2 max column 1-norm, log2 max |p|, m / (n - k), log2 of the minimum-support bound on h_m. */
    public static final int GLOBAL_FEATURES = 4;
    /**
     * Where the minimum-support bound is infinite (a codeword with at most m nonzeros, so h_m is infinite)
     * the features carry this log2 value instead; {@link Predictor} reports such rows as infinite.
     */
    public static final double INFINITE_LOG2_BOUND = 64;
    /** Largest n (and m) the model's n/k/m embedding tables hold. */
    public static final int MAX_N = 31;
    /** Largest n the features support: the minimum-support bound enumerates subsets as int bit masks. */
    public static final int MAX_CODE_LENGTH = Math.min(MAX_N, dev.tessera.lp.Subsets.MAX_N);

    private Features() {
    }

    /**
     * A featurised batch; {@code lowerBound} is log2 of the minimum-support bound on h_m (capped at
     * {@link #INFINITE_LOG2_BOUND}), the base the model's correction is added to.
     */
    public record Batch(int size, int tokens, float[] tok, boolean[] pad, int[] n, int[] k, int[] m, float[] global, float[] lowerBound) {
    }

    /** log2 of the max column 1-norm of the row-major k x r matrix p (a lower bound on log2 h_{n-k}; 0 when P = 0). */
    public static double log2MaxColumnNorm(double[] p, int k, int r) {
        double best = 0;
        for (int t = 0; t < r; t++) {
            double s = 0;
            for (int i = 0; i < k; i++) s += Math.abs(p[i * r + t]);
            best = Math.max(best, s);
        }
        return best > 0 ? Math.log(best) / Math.log(2) : 0;
    }

    /**
     * Why the model cannot take a row (n, k, m), or null when it can: it needs 1 <= k <= {@link #KMAX},
     * k < n <= {@link #MAX_CODE_LENGTH} and 0 <= m < n.
     */
    public static String unsupported(int n, int k, int m) {
        if (k < 1 || k > KMAX) return "k must be in 1.." + KMAX + ", got " + k;
        if (n <= k || n > MAX_CODE_LENGTH) return "n must be in k+1.." + MAX_CODE_LENGTH + ", got n = " + n + " with k = " + k;
        if (m < 0 || m >= n) return "m must be in 0..n-1, got m = " + m + " with n = " + n;
        return null;
    }

    /**
     * log2 of the {@link MinimumSupportBound} on h_m of one row ({@code +inf} when h_m is infinite);
     * {@code p} is the row-major k x (n - k) matrix.
     */
    public static double log2LowerBound(int n, int k, int m, double[] p) {
        return Math.log(MinimumSupportBound.profile(n, k, p)[m]) / Math.log(2);
    }

    /** {@link #log2LowerBound} of every row, computed in parallel. */
    public static double[] log2LowerBounds(Rows rows) {
        checkRows(rows.n(), rows.k(), rows.m(), rows.p());
        return IntStream.range(0, rows.size()).parallel()
                .mapToDouble(i -> log2LowerBound(rows.n()[i], rows.k()[i], rows.m()[i], rows.p()[i])).toArray();
    }

    /** Featurises rows (n[i], k[i], m[i], p[i]). */
    public static Batch build(int[] n, int[] k, int[] m, double[][] p) {
        checkRows(n, k, m, p);
        double[] bound = new double[n.length];
        for (int i = 0; i < bound.length; i++) bound[i] = log2LowerBound(n[i], k[i], m[i], p[i]);
        return build(n, k, m, p, bound);
    }

    private static void checkRows(int[] n, int[] k, int[] m, double[][] p) {
        for (int i = 0; i < n.length; i++) {
            String bad = unsupported(n[i], k[i], m[i]);
            if (bad != null) throw new IllegalArgumentException("mheight: row " + i + ": " + bad);
            if (p[i].length != k[i] * (n[i] - k[i])) {
                throw new IllegalArgumentException("mheight: row " + i + ": P has " + p[i].length + " entries, expected k (n-k) = " + k[i] * (n[i] - k[i]));
            }
        }
    }

    /**
     * Featurises rows (n[i], k[i], m[i], p[i]) whose {@link #log2LowerBound}s are already known (they do not
     * change under the exact invariances, so {@code p} may be an augmented copy of the rows they were computed on).
     */
    public static Batch build(int[] n, int[] k, int[] m, double[][] p, double[] log2Bound) {
        int b = n.length;
        if (log2Bound.length != b) {
            throw new IllegalArgumentException("mheight: log2Bound has " + log2Bound.length + " values for " + b + " rows");
        }
        checkRows(n, k, m, p);
        int tmax = 1;
        for (int i = 0; i < b; i++) tmax = Math.max(tmax, n[i] - k[i]);
        float[] tok = new float[b * tmax * TOKEN_FEATURES];
        boolean[] pad = new boolean[b * tmax];
        float[] global = new float[b * GLOBAL_FEATURES];
        float[] lb = new float[b];
        double[] mags = new double[KMAX];
        for (int i = 0; i < b; i++) {
            int kk = k[i], r = n[i] - k[i];
            double[] pi = p[i];
            double s = 0;
            for (double v : pi) s = Math.max(s, Math.abs(v));
            double scale = s > 0 ? s : 1;
            double bound = Math.min(log2Bound[i], INFINITE_LOG2_BOUND);
            lb[i] = (float) bound;
            int g = i * GLOBAL_FEATURES;
            global[g] = (float) (log2MaxColumnNorm(pi, kk, r) / 8);
            global[g + 1] = (float) (Math.log(scale) / Math.log(2) / 8);
            global[g + 2] = (float) m[i] / r;
            global[g + 3] = (float) (bound / 8);
            for (int t = 0; t < tmax; t++) {
                int base = (i * tmax + t) * TOKEN_FEATURES;
                if (t >= r) {
                    pad[i * tmax + t] = true;
                    continue;
                }
                double sign = 0;
                double norm = 0;
                for (int j = 0; j < kk; j++) {
                    double v = pi[j * r + t];
                    if (sign == 0 && v != 0) sign = Math.signum(v);
                    norm += Math.abs(v);
                }
                if (sign == 0) sign = 1;
                Arrays.fill(mags, 0);
                for (int j = 0; j < kk; j++) {
                    double v = pi[j * r + t] / scale;
                    tok[base + j] = (float) (sign * v);
                    mags[j] = Math.abs(v);
                }
                Arrays.sort(mags);
                for (int j = 0; j < KMAX; j++) tok[base + KMAX + j] = (float) mags[KMAX - 1 - j];
                tok[base + 2 * KMAX] = (float) (Math.log(1 + norm) / Math.log(2) / 8);
            }
        }
        return new Batch(b, tmax, tok, pad, n.clone(), k.clone(), m.clone(), global, lb);
    }
}
