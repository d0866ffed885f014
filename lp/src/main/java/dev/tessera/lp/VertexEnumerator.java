package dev.tessera.lp;

import java.util.Arrays;

/**
 * The LP-free exact m-height (SPEC section 4, speed-up 3): every finite {@code h_m} of one matrix
 * in a single pass over the vertex codewords {@code c = s^T G_I^{-1} G}.
 *
 * <p>For every invertible column set {@code I} (from the exact {@link MinimumDistance} test)
 * {@code X = G_I^{-1} G_{I^c}} is obtained from a small system in the parity columns of {@code I}
 * (Gaussian elimination with partial pivoting, see {@code solve}); then the {@code 2^(k-1)} sign vectors are walked in Gray-code order, so each candidate
 * costs one signed row update of the {@code n-k} entries outside {@code I} (the entries on
 * {@code I} are {@code +-1}). Each candidate is scored by its largest magnitude and its number of
 * entries above 1, which gives every {@code m} at once (see {@code score}).
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
    private final int[][] sysIn;
    private final int[][] parIn;
    private final int[][] sysOut;
    private final int[][] parOut;
    private final double[] aug;
    private final double[] x2;
    private final double[] c;
    private final double[] best;
    private final double[] signs;
    private final double[] byAbove;
    private int lastDistance;

    /** Entries above this magnitude count as "above 1" (relative slack for rounding on degenerate vertices). */
    private static final double ONE = 1.0 + 1e-10;

    /** Scratch for codes of length {@code n} and dimension {@code k}. */
    public VertexEnumerator(int n, int k) {
        CodeShape.checkNk("VertexEnumerator", n, k);
        this.n = n;
        this.k = k;
        this.r = n - k;
        this.distance = new MinimumDistance(Subsets.of(n, k));
        this.members = distance.subsets().members();
        int count = members.length;
        sysIn = new int[count][];
        parIn = new int[count][];
        sysOut = new int[count][];
        parOut = new int[count][];
        for (int s = 0; s < count; s++) {
            int mask = distance.subsets().masks()[s];
            sysIn[s] = bits(mask, 0, k, true);
            sysOut[s] = bits(mask, 0, k, false);
            parIn[s] = bits(mask >>> k, 0, r, true);
            parOut[s] = bits(mask >>> k, 0, r, false);
        }
        this.aug = new double[Math.min(k, r) * (Math.min(k, r) + r)];
        this.x2 = new double[k * r];
        this.c = new double[r];
        this.best = new double[r + 1];
        this.byAbove = new double[r + 1];
        this.signs = new double[k];
    }

    /** The positions in [from, to) whose bit in mask is set (or clear). */
    private static int[] bits(int mask, int from, int to, boolean set) {
        int[] out = new int[to - from];
        int c = 0;
        for (int j = from; j < to; j++) if (((mask >>> j) & 1) == 1 == set) out[c++] = j;
        return java.util.Arrays.copyOf(out, c);
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
        Arrays.fill(byAbove, 1.0);
        boolean[] ok = distance.nonsingular();
        for (int s = 0; s < members.length; s++) {
            if (!ok[s]) continue;
            if (!solve(p, s)) continue;
            walkSigns();
        }
        // h_m = max over candidates with at most m entries above 1
        double run = byAbove[0];
        best[0] = 1.0;
        for (int m = 1; m <= mMax; m++) {
            run = Math.max(run, byAbove[m]);
            best[m] = run;
        }
    }

    /**
     * Computes 2X with {@code X = G_I^{-1} G_{I^c}} from the structure of {@code G = [I_k | P]}.
     * With T = systematic positions in I, C = parity columns in I, R = systematic positions not in
     * I and D = parity columns not in I, a codeword with {@code c_I = s} has {@code u_T = s_T} and
     * {@code u_R^T = (s_C - P[T,C]^T s_T)^T A^{-1}}, {@code A = P[R,C]} ({@code |R| = |C|}). So the
     * rows of X for C are {@code M = A^{-1} [I | P[R,D]]} and the rows for T are
     * {@code [0 | P[T,D]] - P[T,C] M}; the columns are ordered R then D. Only an
     * {@code |C| x |C|} system is solved (partial pivoting), not a {@code k x k} one.
     * Returns false when a pivot is exactly zero (cannot happen for subsets the exact test passed).
     */
    private boolean solve(double[] p, int si) {
        final int[] tIn = sysIn[si];
        final int[] cIn = parIn[si];
        final int[] rOut = sysOut[si];
        final int[] dOut = parOut[si];
        final int s = cIn.length;
        final int w = s + r; // augmented row: A (s) | I_s | P[R,D]
        final int nd = dOut.length;
        double[] a = aug;
        for (int i = 0; i < s; i++) {
            int base = i * w;
            int prow = rOut[i] * r;
            for (int j = 0; j < s; j++) a[base + j] = p[prow + cIn[j]];
            for (int j = 0; j < s; j++) a[base + s + j] = i == j ? 1.0 : 0.0;
            for (int j = 0; j < nd; j++) a[base + 2 * s + j] = p[prow + dOut[j]];
        }
        for (int piv = 0; piv < s; piv++) {
            int bestRow = piv;
            double bestAbs = Math.abs(a[piv * w + piv]);
            for (int i = piv + 1; i < s; i++) {
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
            for (int i = piv + 1; i < s; i++) {
                int ib = i * w;
                double f = a[ib + piv] * inv;
                if (f == 0.0) continue;
                for (int j = piv + 1; j < w; j++) a[ib + j] -= f * a[pb + j];
            }
        }
        // back substitution: rows of M (indexed by C) into x2 rows 0..s-1, scaled by 2
        final double[] x = x2;
        for (int i = s - 1; i >= 0; i--) {
            int ib = i * w;
            double inv = 1.0 / a[ib + i];
            for (int j = 0; j < r; j++) {
                double v = a[ib + s + j];
                for (int q = i + 1; q < s; q++) v -= a[ib + q] * a[q * w + s + j];
                a[ib + s + j] = v * inv;
            }
        }
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < r; j++) x[i * r + j] = 2.0 * a[i * w + s + j];
        }
        // rows for T: [0 | P[T,D]] - P[T,C] M
        for (int ti = 0; ti < tIn.length; ti++) {
            int prow = tIn[ti] * r;
            int xb = (s + ti) * r;
            for (int j = 0; j < s; j++) x[xb + j] = 0.0;
            for (int j = 0; j < nd; j++) x[xb + s + j] = 2.0 * p[prow + dOut[j]];
            for (int c2 = 0; c2 < s; c2++) {
                double f = p[prow + cIn[c2]];
                if (f == 0.0) continue;
                int mb = c2 * w + s;
                for (int j = 0; j < r; j++) x[xb + j] -= 2.0 * f * a[mb + j];
            }
        }
        return true;
    }

    /** Walks s in {+-1}^k with s_0 = +1 in Gray-code order, scoring every candidate. */
    private void walkSigns() {
        final int rr = r;
        final double[] cc = c;
        final double[] xx = x2;
        // start with s = (+1, ..., +1): c = sum of the rows of X = half the sum of the rows of 2X
        for (int j = 0; j < rr; j++) {
            double v = 0;
            for (int i = 0; i < k; i++) v += xx[i * rr + j];
            cc[j] = 0.5 * v;
        }
        for (int i = 0; i < k; i++) signs[i] = 1.0;
        int half = 1 << (k - 1);
        score();
        for (int g = 1; g < half; g++) {
            int row = Integer.numberOfTrailingZeros(g) + 1;
            int base = row * rr;
            double sg = signs[row]; // +1 -> -1 subtracts 2x the row, -1 -> +1 adds it (branch-free)
            for (int j = 0; j < rr; j++) cc[j] -= sg * xx[base + j];
            signs[row] = -sg;
            score();
        }
    }

    /**
     * Records the candidate in the slot of its number of entries above 1 (the entries on I are
     * exactly 1). A candidate with at most m entries above 1 has {@code |c|_(m) <= 1}, so its
     * largest magnitude is a lower bound of h_m; and the optimum of every LP(S, i) is such a
     * candidate (SPEC 4.3, the filter of 2602.20366 Eq. (15)). Hence
     * {@code h_m = max over candidates with above <= m of max(1, max |c_j|)}: no sort, no division.
     * The threshold {@link #ONE} absorbs rounding on degenerate vertices (an entry that is exactly
     * 1 computed as 1 + 1e-16); it can only change h_m by a relative 1e-10.
     */
    private void score() {
        final double[] cc = c;
        int above = 0;
        double mx = 1.0;
        for (int j = 0; j < r; j++) {
            double v = Math.abs(cc[j]);
            above += v > ONE ? 1 : 0;
            mx = Math.max(mx, v);
        }
        byAbove[above] = Math.max(byAbove[above], mx);
    }
}
