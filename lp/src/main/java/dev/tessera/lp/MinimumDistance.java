package dev.tessera.lp;

import java.math.BigInteger;

/**
 * The exact infinity test of the m-height: which {@code k}-column subsets of {@code G = [I_k | P]}
 * are invertible, and the minimum Hamming distance {@code d} of the code ({@code h_m} is infinite
 * iff {@code m >= d}, SPEC section 3).
 *
 * <p>{@code det(G_I)} equals, up to sign, the minor of {@code P} on the rows of the systematic
 * positions missing from {@code I} and the parity columns in {@code I}, so only that minor
 * (size at most {@code min(k, n-k)}) is examined. Integer {@code P}: fraction-free Bareiss
 * elimination in {@code long} with overflow checks and a {@code BigInteger} fallback, so the
 * verdict is exact. Real {@code P}: partial-pivot elimination in doubles, singular when a pivot
 * falls below {@link #REAL_TOLERANCE} times the largest entry of the minor.
 *
 * <p>Not thread-safe: one instance per thread; reusable across matrices of the same {@code (n, k)}.
 */
public final class MinimumDistance {
    /** Relative pivot threshold that declares a real minor singular. */
    public static final double REAL_TOLERANCE = 1e-12;

    private final int n;
    private final int k;
    private final int r;
    private final Subsets subsets;
    private final int[][] minorRows;
    private final int[][] minorCols;
    private final boolean[] nonsingular;
    private final long[] lscratch;
    private final double[] dscratch;
    private boolean[] good;

    /** Scratch for codes of length {@code n} and dimension {@code k}. */
    public MinimumDistance(int n, int k) {
        this(Subsets.of(n, k));
    }

    /** Scratch sharing a precomputed subset list. */
    public MinimumDistance(Subsets subsets) {
        this.subsets = subsets;
        this.n = subsets.n();
        this.k = subsets.k();
        CodeShape.checkNk("MinimumDistance", n, k);
        this.r = n - k;
        int count = subsets.size();
        minorRows = new int[count][];
        minorCols = new int[count][];
        for (int s = 0; s < count; s++) {
            int mask = subsets.masks()[s];
            int parity = Integer.bitCount(mask >>> k);
            int[] rows = new int[parity];
            int[] cols = new int[parity];
            int a = 0;
            for (int i = 0; i < k; i++) if ((mask & (1 << i)) == 0) rows[a++] = i;
            int b = 0;
            for (int t = 0; t < r; t++) if ((mask & (1 << (k + t))) != 0) cols[b++] = t;
            minorRows[s] = rows;
            minorCols[s] = cols;
        }
        nonsingular = new boolean[count];
        int maxMinor = Math.min(k, r);
        lscratch = new long[maxMinor * maxMinor];
        dscratch = new double[maxMinor * maxMinor];
    }

    /** The subsets this instance enumerates. */
    public Subsets subsets() {
        return subsets;
    }

    /**
     * Classifies every {@code k}-subset of columns for the row-major {@code k x (n-k)} matrix
     * {@code p} and returns the minimum distance {@code d} ({@code 1 <= d <= n-k+1}).
     * Afterwards {@link #nonsingular()} holds the per-subset verdicts.
     */
    public int compute(double[] p) {
        boolean integral = CodeShape.isIntegral(p, k * r);
        boolean mds = true;
        for (int s = 0; s < nonsingular.length; s++) {
            int[] rows = minorRows[s];
            boolean ok = rows.length == 0
                    || (integral ? integerMinorNonzero(p, rows, minorCols[s]) : realMinorNonsingular(p, rows, minorCols[s]));
            nonsingular[s] = ok;
            mds &= ok;
        }
        if (mds) return n - k + 1;
        return distanceFromFlags();
    }

    /** Per-subset verdicts of the last {@link #compute} (index = subset index); do not modify. */
    public boolean[] nonsingular() {
        return nonsingular;
    }

    /** d = n - (largest column set containing no invertible k-subset). */
    private int distanceFromFlags() {
        int size = 1 << n;
        if (good == null) good = new boolean[size];
        else java.util.Arrays.fill(good, false);
        int[] masks = subsets.masks();
        for (int s = 0; s < masks.length; s++) if (nonsingular[s]) good[masks[s]] = true;
        // superset closure: a set is good when it contains some invertible k-subset
        for (int b = 0; b < n; b++) {
            int bit = 1 << b;
            for (int mask = 0; mask < size; mask++) {
                if ((mask & bit) != 0 && good[mask ^ bit]) good[mask] = true;
            }
        }
        int maxBad = 0;
        for (int mask = 0; mask < size; mask++) {
            if (!good[mask]) maxBad = Math.max(maxBad, Integer.bitCount(mask));
        }
        return n - maxBad;
    }

    private boolean integerMinorNonzero(double[] p, int[] rows, int[] cols) {
        int s = rows.length;
        long[] a = lscratch;
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) a[i * s + j] = (long) p[rows[i] * r + cols[j]];
        }
        try {
            return bareissNonzero(a, s);
        } catch (ArithmeticException overflow) {
            return bigBareissNonzero(p, rows, cols);
        }
    }

    /** Fraction-free elimination; every division is exact, so the final pivot is the determinant. */
    static boolean bareissNonzero(long[] a, int s) {
        long prev = 1;
        for (int piv = 0; piv < s; piv++) {
            if (a[piv * s + piv] == 0) {
                int q = piv + 1;
                while (q < s && a[q * s + piv] == 0) q++;
                if (q == s) return false;
                for (int j = 0; j < s; j++) {
                    long t = a[piv * s + j];
                    a[piv * s + j] = a[q * s + j];
                    a[q * s + j] = t;
                }
            }
            long pp = a[piv * s + piv];
            for (int i = piv + 1; i < s; i++) {
                long ai = a[i * s + piv];
                for (int j = piv + 1; j < s; j++) {
                    long v = Math.subtractExact(Math.multiplyExact(a[i * s + j], pp), Math.multiplyExact(ai, a[piv * s + j]));
                    a[i * s + j] = v / prev;
                }
                a[i * s + piv] = 0;
            }
            prev = pp;
        }
        return a[s * s - 1] != 0;
    }

    private boolean bigBareissNonzero(double[] p, int[] rows, int[] cols) {
        int s = rows.length;
        BigInteger[] a = new BigInteger[s * s];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) a[i * s + j] = BigInteger.valueOf((long) p[rows[i] * r + cols[j]]);
        }
        BigInteger prev = BigInteger.ONE;
        for (int piv = 0; piv < s; piv++) {
            if (a[piv * s + piv].signum() == 0) {
                int q = piv + 1;
                while (q < s && a[q * s + piv].signum() == 0) q++;
                if (q == s) return false;
                for (int j = 0; j < s; j++) {
                    BigInteger t = a[piv * s + j];
                    a[piv * s + j] = a[q * s + j];
                    a[q * s + j] = t;
                }
            }
            BigInteger pp = a[piv * s + piv];
            for (int i = piv + 1; i < s; i++) {
                BigInteger ai = a[i * s + piv];
                for (int j = piv + 1; j < s; j++) {
                    a[i * s + j] = a[i * s + j].multiply(pp).subtract(ai.multiply(a[piv * s + j])).divide(prev);
                }
            }
            prev = pp;
        }
        return a[s * s - 1].signum() != 0;
    }

    private boolean realMinorNonsingular(double[] p, int[] rows, int[] cols) {
        int s = rows.length;
        double[] a = dscratch;
        double scale = 0;
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                double v = p[rows[i] * r + cols[j]];
                a[i * s + j] = v;
                scale = Math.max(scale, Math.abs(v));
            }
        }
        if (scale == 0) return false;
        double tol = REAL_TOLERANCE * scale;
        for (int piv = 0; piv < s; piv++) {
            int best = piv;
            for (int i = piv + 1; i < s; i++) if (Math.abs(a[i * s + piv]) > Math.abs(a[best * s + piv])) best = i;
            if (Math.abs(a[best * s + piv]) <= tol) return false;
            if (best != piv) {
                for (int j = piv; j < s; j++) {
                    double t = a[piv * s + j];
                    a[piv * s + j] = a[best * s + j];
                    a[best * s + j] = t;
                }
            }
            double pp = a[piv * s + piv];
            for (int i = piv + 1; i < s; i++) {
                double f = a[i * s + piv] / pp;
                for (int j = piv + 1; j < s; j++) a[i * s + j] -= f * a[piv * s + j];
            }
        }
        return true;
    }
}
