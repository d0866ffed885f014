package dev.tessera.lp;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A cheap lower bound on every {@code h_m} of the code {@code G = [I_k | P]}: the largest
 * {@code h_m(c) = |c|_(0) / |c|_(m)} over the codewords {@code c} that vanish on {@code k - 1} given
 * positions, one per {@code (k-1)}-subset {@code K} of the {@code n} positions (for an MDS code these
 * are exactly its minimum-weight codewords, up to scale). Every such {@code c} is a nonzero codeword, so
 * the bound never exceeds {@code h_m(C)} (SPEC section 1, the definition as a maximum over codewords);
 * it is not the m-height itself, which maximises over all codewords (section 4 (3) needs the
 * {@code 2^(k-1)} sign vectors of every information set for that).
 *
 * <p>For {@code K} with systematic positions {@code T} and parity columns {@code C}, a codeword
 * {@code c = u G} vanishes on {@code K} when {@code u_T = 0} and {@code P[R, C]^T u_R = 0} with
 * {@code R} the {@code |C| + 1} systematic positions outside {@code K}: a null vector of a
 * {@code |C| x (|C| + 1)} matrix, found by elimination with full pivoting. Subsets whose matrix has a
 * smaller rank (the codewords vanishing on {@code K} form a plane, not a line) are skipped, which keeps
 * the value a lower bound. Cost: {@code C(n, k - 1)} such solves and sorts of length {@code n} (126 for
 * the course's n = 9 groups).
 *
 * <p>All methods are thread-safe (per-call scratch; the subset tables are shared and immutable).
 */
public final class MinimumSupportBound {
    /** Entries below this fraction of a codeword's largest magnitude count as zero (rounding of the solve). */
    private static final double ZERO = 1e-9;
    /** Pivots below this fraction of the matrix's largest magnitude count as zero (rank test). */
    private static final double SINGULAR = 1e-10;
    private static final ConcurrentHashMap<Integer, Subsets> SUBSETS = new ConcurrentHashMap<>();

    private MinimumSupportBound() {
    }

    /**
     * Lower bounds {@code out[m] <= h_m} for {@code m = 0..n-1} of the row-major {@code k x (n-k)}
     * matrix {@code p}: {@code out[0] = 1}, and {@code +inf} where some codeword has at most {@code m}
     * nonzero entries (then {@code h_m} is infinite too).
     */
    public static double[] profile(int n, int k, double[] p) {
        CodeShape.checkNk("MinimumSupportBound.profile", n, k);
        int r = n - k;
        if (p == null || p.length != k * r) {
            throw new IllegalArgumentException("MinimumSupportBound.profile: P must have k (n-k) = " + k * r + " entries, got "
                    + (p == null ? "null" : p.length));
        }
        Subsets subsets = SUBSETS.computeIfAbsent(n * 64 + k - 1, key -> Subsets.of(n, k - 1));
        double[] best = new double[n];
        Arrays.fill(best, 1.0);
        double[] a = new double[k * (k + 1)];
        int[] rows = new int[k];
        int[] cols = new int[k];
        int[] colOrder = new int[k + 1];
        double[] u = new double[k];
        double[] x = new double[k];
        double[] mags = new double[n];
        boolean[] inK = new boolean[k];
        for (int[] zeroAt : subsets.members()) {
            int nc = 0;
            Arrays.fill(inK, false);
            for (int j : zeroAt) {
                if (j < k) inK[j] = true;
                else cols[nc++] = j - k;
            }
            int nr = 0;
            for (int i = 0; i < k; i++) if (!inK[i]) rows[nr++] = i;
            if (!nullVector(p, r, rows, nr, cols, nc, a, colOrder, x, u)) continue;
            Arrays.fill(mags, 0);
            for (int b = 0; b < nr; b++) mags[rows[b]] = Math.abs(u[b]);
            for (int t = 0; t < r; t++) {
                double s = 0;
                for (int b = 0; b < nr; b++) s += u[b] * p[rows[b] * r + t];
                mags[k + t] = Math.abs(s);
            }
            Arrays.sort(mags);
            double top = mags[n - 1];
            for (int m = 1; m < n; m++) {
                double mth = mags[n - 1 - m];
                best[m] = Math.max(best[m], mth > ZERO * top ? top / mth : Double.POSITIVE_INFINITY);
            }
        }
        return best;
    }

    /**
     * A null vector {@code u} (length {@code nr = nc + 1}) of {@code M[a][b] = P[rows[b], cols[a]]},
     * or false when M has rank below {@code nc}. Full pivoting: the null vector of a rank-{@code nc}
     * matrix may have a zero in any coordinate, so the free column is chosen by the elimination.
     */
    private static boolean nullVector(double[] p, int r, int[] rows, int nr, int[] cols, int nc, double[] a, int[] colOrder, double[] x, double[] u) {
        if (nc == 0) {
            u[0] = 1;
            return true;
        }
        double scale = 0;
        for (int i = 0; i < nc; i++) {
            for (int b = 0; b < nr; b++) {
                double v = p[rows[b] * r + cols[i]];
                a[i * nr + b] = v;
                scale = Math.max(scale, Math.abs(v));
            }
        }
        if (scale == 0) return false;
        for (int b = 0; b < nr; b++) colOrder[b] = b;
        for (int piv = 0; piv < nc; piv++) {
            int bi = piv, bj = piv;
            double bv = -1;
            for (int i = piv; i < nc; i++) {
                for (int j = piv; j < nr; j++) {
                    double v = Math.abs(a[i * nr + j]);
                    if (v > bv) {
                        bv = v;
                        bi = i;
                        bj = j;
                    }
                }
            }
            if (bv <= SINGULAR * scale) return false;
            if (bi != piv) {
                for (int j = 0; j < nr; j++) {
                    double t = a[piv * nr + j];
                    a[piv * nr + j] = a[bi * nr + j];
                    a[bi * nr + j] = t;
                }
            }
            if (bj != piv) {
                for (int i = 0; i < nc; i++) {
                    double t = a[i * nr + piv];
                    a[i * nr + piv] = a[i * nr + bj];
                    a[i * nr + bj] = t;
                }
                int t = colOrder[piv];
                colOrder[piv] = colOrder[bj];
                colOrder[bj] = t;
            }
            double inv = 1.0 / a[piv * nr + piv];
            for (int i = piv + 1; i < nc; i++) {
                double f = a[i * nr + piv] * inv;
                if (f == 0) continue;
                for (int j = piv; j < nr; j++) a[i * nr + j] -= f * a[piv * nr + j];
            }
        }
        // the last (free) permuted coordinate is 1; back-substitute the pivot coordinates
        x[nc] = 1;
        for (int i = nc - 1; i >= 0; i--) {
            double s = 0;
            for (int j = i + 1; j < nr; j++) s += a[i * nr + j] * x[j];
            x[i] = -s / a[i * nr + i];
        }
        for (int j = 0; j < nr; j++) u[colOrder[j]] = x[j];
        return true;
    }
}
