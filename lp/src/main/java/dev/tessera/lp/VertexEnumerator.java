package dev.tessera.lp;

import java.util.Arrays;

/**
 * The LP-free exact m-height (SPEC section 4, speed-up 3): every finite {@code h_m} of one matrix
 * in a single pass over the vertex codewords {@code c = s^T G_I^{-1} G}.
 *
 * <p>For every invertible column set {@code I} (from the exact {@link MinimumDistance} test) the
 * {@code k x (n-k)} system {@code G_I X = G_{I^c}} is solved by Gaussian elimination with partial
 * pivoting; then the {@code 2^(k-1)} sign vectors are walked in Gray-code order, so each candidate
 * costs one signed row update of the {@code n-k} entries outside {@code I} (the entries on
 * {@code I} are {@code +-1}). The magnitudes outside {@code I} are sorted once per candidate and
 * merged with the {@code k} ones to update the running maximum of every {@code m}.
 *
 * <p>Not thread-safe: one instance per thread, reused across matrices of the same {@code (n, k)};
 * nothing is allocated per matrix.
 *
 * <pre>{@code
 * VertexEnumerator v = new VertexEnumerator(9, 4);
 * double[] h = new double[9];
 * v.profile(flatP, h);   // h[m] for m = 0..8, +inf where m >= d
 * }</pre>
 */
public final class VertexEnumerator {
    private final int n;
    private final int k;
    private final int r;
    private final MinimumDistance distance;
    private final int[][] members;
    private final int[][] rest;
    private final double[] aug;
    private final double[] x2;
    private final double[] c;
    private final double[] xs;
    private final double[] best;
    private final int[] signs;
    private int lastDistance;

    /** Scratch for codes of length {@code n} and dimension {@code k}. */
    public VertexEnumerator(int n, int k) {
        CodeShape.checkNk("VertexEnumerator", n, k);
        this.n = n;
        this.k = k;
        this.r = n - k;
        this.distance = new MinimumDistance(Subsets.of(n, k));
        this.members = distance.subsets().members();
        this.rest = distance.subsets().rest();
        this.aug = new double[k * n];
        this.x2 = new double[k * r];
        this.c = new double[r];
        this.xs = new double[r];
        this.best = new double[r + 1];
        this.signs = new int[k];
    }

    /** Code length. */
    public int n() {
        return n;
    }

    /** Code dimension. */
    public int k() {
        return k;
    }

    /** The minimum distance found by the last {@link #profile} call. */
    public int lastDistance() {
        return lastDistance;
    }

    /**
     * Computes {@code out[m] = h_m} for {@code m = 0..n-1} of the row-major {@code k x (n-k)}
     * matrix {@code p} ({@code +inf} for {@code m >= d}) and returns {@code d}.
     */
    public int profile(double[] p, double[] out) {
        if (p.length < k * r || out.length < n) {
            throw new IllegalArgumentException("VertexEnumerator.profile: need p of " + (k * r) + " and out of " + n
                    + " values, got " + p.length + " and " + out.length);
        }
        int d = distance.compute(p);
        lastDistance = d;
        int maxFinite = Math.min(d - 1, r); // h_m finite for 0 <= m <= maxFinite
        if (maxFinite >= 1) enumerate(p, maxFinite);
        out[0] = 1.0;
        for (int m = 1; m < n; m++) out[m] = m <= maxFinite ? best[m] : Double.POSITIVE_INFINITY;
        return d;
    }

    private void enumerate(double[] p, int mMax) {
        Arrays.fill(best, 0.0);
        boolean[] ok = distance.nonsingular();
        for (int s = 0; s < members.length; s++) {
            if (!ok[s]) continue;
            if (!solve(p, members[s], rest[s])) continue;
            walkSigns(mMax);
        }
    }

    /** Column j of G: e_j for j < k, P[:, j-k] otherwise. */
    private double g(double[] p, int row, int col) {
        if (col < k) return row == col ? 1.0 : 0.0;
        return p[row * r + (col - k)];
    }

    /**
     * Solves G_I X = G_{I^c}; leaves 2X (row-major k x r, row t = member t of I) in x2.
     * Returns false when a pivot is exactly zero (cannot happen for subsets the exact test passed).
     */
    private boolean solve(double[] p, int[] in, int[] out) {
        final int w = n; // augmented row width: k columns of G_I then r of G_{I^c}
        double[] a = aug;
        for (int i = 0; i < k; i++) {
            int base = i * w;
            for (int j = 0; j < k; j++) a[base + j] = g(p, i, in[j]);
            for (int j = 0; j < r; j++) a[base + k + j] = g(p, i, out[j]);
        }
        for (int piv = 0; piv < k; piv++) {
            int bestRow = piv;
            double bestAbs = Math.abs(a[piv * w + piv]);
            for (int i = piv + 1; i < k; i++) {
                double v = Math.abs(a[i * w + piv]);
                if (v > bestAbs) {
                    bestAbs = v;
                    bestRow = i;
                }
            }
            if (bestAbs == 0.0) return false;
            if (bestRow != piv) {
                int pb = piv * w;
                int bb = bestRow * w;
                for (int j = piv; j < w; j++) {
                    double t = a[pb + j];
                    a[pb + j] = a[bb + j];
                    a[bb + j] = t;
                }
            }
            int pb = piv * w;
            double inv = 1.0 / a[pb + piv];
            for (int i = piv + 1; i < k; i++) {
                int ib = i * w;
                double f = a[ib + piv] * inv;
                if (f == 0.0) continue;
                for (int j = piv + 1; j < w; j++) a[ib + j] -= f * a[pb + j];
            }
        }
        // back substitution on the r right-hand sides
        for (int i = k - 1; i >= 0; i--) {
            int ib = i * w;
            double inv = 1.0 / a[ib + i];
            for (int j = 0; j < r; j++) {
                double v = a[ib + k + j];
                for (int q = i + 1; q < k; q++) v -= a[ib + q] * a[q * w + k + j];
                a[ib + k + j] = v * inv;
            }
        }
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < r; j++) x2[i * r + j] = 2.0 * a[i * w + k + j];
        }
        return true;
    }

    /** Walks s in {+-1}^k with s_0 = +1 in Gray-code order and updates best[1..mMax]. */
    private void walkSigns(int mMax) {
        final int rr = r;
        final double[] cc = c;
        final double[] xx = x2;
        // start with s = (+1, ..., +1): c = sum of the rows of X = half the sum of the rows of 2X
        for (int j = 0; j < rr; j++) {
            double v = 0;
            for (int i = 0; i < k; i++) v += xx[i * rr + j];
            cc[j] = 0.5 * v;
        }
        for (int i = 0; i < k; i++) signs[i] = 1;
        int half = 1 << (k - 1);
        score(mMax);
        for (int g = 1; g < half; g++) {
            int row = Integer.numberOfTrailingZeros(g) + 1;
            int base = row * rr;
            if (signs[row] > 0) {
                for (int j = 0; j < rr; j++) cc[j] -= xx[base + j];
            } else {
                for (int j = 0; j < rr; j++) cc[j] += xx[base + j];
            }
            signs[row] = -signs[row];
            score(mMax);
        }
    }

    /** Sorts the magnitudes outside I, merges the k ones, and updates the maximum ratio per m. */
    private void score(int mMax) {
        final double[] x = xs;
        final int rr = r;
        int above = 0; // entries with magnitude > 1 come before the k ones in the sorted order
        for (int j = 0; j < rr; j++) {
            double v = Math.abs(c[j]);
            if (v > 1.0) above++;
            int q = j;
            while (q > 0 && x[q - 1] < v) {
                x[q] = x[q - 1];
                q--;
            }
            x[q] = v;
        }
        double a0 = above > 0 ? x[0] : 1.0;
        final int kk = k;
        for (int m = 1; m <= mMax; m++) {
            double am = m < above ? x[m] : (m < above + kk ? 1.0 : x[m - kk]);
            if (a0 > best[m] * am) best[m] = a0 / am;
        }
    }
}
