package dev.tessera.app.mheight;

import java.util.Arrays;

/**
 * Input encoding of (n, k, m, P) for the m-height model: one token per column of P (no positional
 * encoding, so the model is exactly invariant to column permutations). Each column is sign-normalised
 * (multiplied by the sign of its first non-zero entry), which makes the tokens exactly invariant to
 * column sign flips; row permutations and row sign flips are left to augmentation and TTA.
 */
public final class Features {
    /** Largest k supported (entries per token are padded to this). */
    public static final int KMAX = 6;
    /** Features per token: KMAX normalised entries, KMAX sorted magnitudes, log2 of the column 1-norm. */
    public static final int TOKEN_FEATURES = 2 * KMAX + 1;
    /** Global scalar features: log2 max column 1-norm, log2 max |p|, m / (n - k). */
    public static final int GLOBAL_FEATURES = 3;
    /** Largest n (and m) the model's n/k/m embedding tables hold. */
    public static final int MAX_N = 31;

    private Features() {
    }

    /** A featurised batch. */
    public record Batch(int size, int tokens, float[] tok, boolean[] pad, int[] n, int[] k, int[] m, float[] global, float[] lowerBound) {
    }

    /** log2 of the max column 1-norm of the row-major k x r matrix p (a lower bound on log2 h_m; 0 when P = 0). */
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
     * k < n <= {@link #MAX_N} and 0 <= m < n.
     */
    public static String unsupported(int n, int k, int m) {
        if (k < 1 || k > KMAX) return "k must be in 1.." + KMAX + ", got " + k;
        if (n <= k || n > MAX_N) return "n must be in k+1.." + MAX_N + ", got n = " + n + " with k = " + k;
        if (m < 0 || m >= n) return "m must be in 0..n-1, got m = " + m + " with n = " + n;
        return null;
    }

    /** Featurises rows (n[i], k[i], m[i], p[i]). */
    public static Batch build(int[] n, int[] k, int[] m, double[][] p) {
        int b = n.length;
        int tmax = 1;
        for (int i = 0; i < b; i++) {
            String bad = unsupported(n[i], k[i], m[i]);
            if (bad != null) throw new IllegalArgumentException("mheight: row " + i + ": " + bad);
            if (p[i].length != k[i] * (n[i] - k[i])) {
                throw new IllegalArgumentException("mheight: row " + i + ": P has " + p[i].length + " entries, expected k (n-k) = " + k[i] * (n[i] - k[i]));
            }
            tmax = Math.max(tmax, n[i] - k[i]);
        }
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
            double lbv = log2MaxColumnNorm(pi, kk, r);
            lb[i] = (float) lbv;
            global[i * 3] = (float) (lbv / 8);
            global[i * 3 + 1] = (float) (Math.log(scale) / Math.log(2) / 8);
            global[i * 3 + 2] = (float) m[i] / r;
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
