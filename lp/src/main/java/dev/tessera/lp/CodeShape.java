package dev.tessera.lp;

/**
 * Validation helpers shared by the m-height solvers: the shape of {@code P} and the range of
 * {@code n, k, m}, and conversion between {@code double[][]} and the flat row-major layout
 * ({@code P[i][t]} at {@code i * (n - k) + t}) the hot paths use.
 */
public final class CodeShape {
    private CodeShape() {
    }

    /** Checks {@code n > k >= 1} and {@code n <= Subsets.MAX_N}. */
    public static void checkNk(String op, int n, int k) {
        if (k < 1 || n <= k || n > Subsets.MAX_N) {
            throw new IllegalArgumentException(op + ": need 1 <= k < n <= " + Subsets.MAX_N + ", got n=" + n + ", k=" + k);
        }
    }

    /** Checks {@code 0 <= m < n}. */
    public static void checkM(String op, int n, int m) {
        if (m < 0 || m >= n) throw new IllegalArgumentException(op + ": need 0 <= m < n=" + n + ", got m=" + m);
    }

    /** Flattens a {@code k x (n-k)} matrix row-major, checking its shape and that entries are finite. */
    public static double[] flatten(String op, int n, int k, double[][] p) {
        checkNk(op, n, k);
        int r = n - k;
        if (p == null || p.length != k) {
            throw new IllegalArgumentException(op + ": P must have k=" + k + " rows, got " + (p == null ? "null" : p.length));
        }
        double[] flat = new double[k * r];
        for (int i = 0; i < k; i++) {
            if (p[i] == null || p[i].length != r) {
                throw new IllegalArgumentException(op + ": P must be " + k + "x" + r + ", row " + i + " has "
                        + (p[i] == null ? "null" : p[i].length) + " entries");
            }
            for (int t = 0; t < r; t++) {
                double v = p[i][t];
                if (!Double.isFinite(v)) throw new IllegalArgumentException(op + ": P[" + i + "][" + t + "] is not finite: " + v);
                flat[i * r + t] = v;
            }
        }
        return flat;
    }

    /** Unflattens a row-major {@code k x r} matrix. */
    public static double[][] unflatten(double[] flat, int k, int r) {
        double[][] p = new double[k][r];
        for (int i = 0; i < k; i++) System.arraycopy(flat, i * r, p[i], 0, r);
        return p;
    }

    /** True when every entry is an integer of magnitude below 2^53 (so exact integer arithmetic applies). */
    public static boolean isIntegral(double[] flat, int len) {
        for (int i = 0; i < len; i++) {
            double v = flat[i];
            if (v != Math.rint(v) || Math.abs(v) >= 0x1p53) return false;
        }
        return true;
    }
}
