package dev.tessera.app.score;

import java.util.Arrays;

/**
 * Eigen-decomposition of a real symmetric matrix in float64: {@code A = V diag(values) V^T} with
 * orthonormal eigenvectors in the columns of {@code V}, eigenvalues in descending order.
 *
 * <p>{@link #of} reduces {@code A} to tridiagonal form by Householder reflections and diagonalizes
 * it by the implicit QL algorithm with Wilkinson-like shifts (the EISPACK {@code tred2}/{@code tql2}
 * pair, as in JAMA), {@code O(n^3)}. {@link #jacobi} is the cyclic Jacobi method, slower
 * ({@code O(n^3)} per sweep, several sweeps) but simple enough to serve as the reference the tests
 * compare {@link #of} with.
 *
 * <pre>{@code
 * SymmetricEigen e = SymmetricEigen.of(new double[][] {{2, 1}, {1, 2}});
 * e.values();          // [3, 1]
 * e.vector(0);         // [0.7071, 0.7071] (sign: largest-magnitude entry positive)
 * }</pre>
 *
 * @param values  eigenvalues, descending
 * @param vectors {@code vectors[i][j]}: entry {@code i} of eigenvector {@code j} (column {@code j}
 *                belongs to {@code values[j]}); each column's largest-magnitude entry is positive
 */
public record SymmetricEigen(double[] values, double[][] vectors) {
    private static final double EPS = Math.ulp(1.0);

    /** Eigenvector {@code j} as a fresh array. */
    public double[] vector(int j) {
        double[] v = new double[vectors.length];
        for (int i = 0; i < v.length; i++) v[i] = vectors[i][j];
        return v;
    }

    /** Householder tridiagonalization + implicit QL. */
    public static SymmetricEigen of(double[][] a) {
        int n = check(a);
        double[][] v = new double[n][];
        for (int i = 0; i < n; i++) v[i] = a[i].clone();
        double[] d = new double[n], e = new double[n];
        if (n > 0) {
            tred2(v, d, e);
            // the QL rotations combine pairs of columns of V: on the transpose they combine rows,
            // which are contiguous arrays (several times faster for a few hundred dimensions)
            double[][] vt = transpose(v);
            tql2(vt, d, e);
            v = transpose(vt);
        }
        return sorted(d, v);
    }

    /** Cyclic Jacobi rotations until the off-diagonal mass is negligible (the reference method). */
    public static SymmetricEigen jacobi(double[][] a) {
        int n = check(a);
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) m[i] = a[i].clone();
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) v[i][i] = 1;
        double norm = 0;
        for (double[] row : m) for (double x : row) norm += x * x;
        for (int sweep = 0; ; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += m[p][q] * m[p][q];
            if (off <= EPS * EPS * norm || off == 0) break;
            if (sweep == 100) throw new ArithmeticException("SymmetricEigen.jacobi: no convergence after 100 sweeps (off-diagonal " + off + ")");
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = m[p][q];
                    if (apq == 0) continue;
                    double theta = (m[q][q] - m[p][p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) {           // A <- A P (columns p, q)
                        double kp = m[k][p], kq = m[k][q];
                        m[k][p] = c * kp - s * kq;
                        m[k][q] = s * kp + c * kq;
                    }
                    for (int k = 0; k < n; k++) {           // A <- P^T A (rows p, q)
                        double pk = m[p][k], qk = m[q][k];
                        m[p][k] = c * pk - s * qk;
                        m[q][k] = s * pk + c * qk;
                    }
                    for (int k = 0; k < n; k++) {           // V <- V P
                        double kp = v[k][p], kq = v[k][q];
                        v[k][p] = c * kp - s * kq;
                        v[k][q] = s * kp + c * kq;
                    }
                }
            }
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = m[i][i];
        return sorted(d, v);
    }

    private static int check(double[][] a) {
        int n = a.length;
        for (int i = 0; i < n; i++) {
            if (a[i].length != n) throw new IllegalArgumentException("SymmetricEigen: matrix must be square, row " + i + " has " + a[i].length + " entries, expected " + n);
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                double x = a[i][j], y = a[j][i];
                if (!Double.isFinite(x) || !Double.isFinite(y)) throw new IllegalArgumentException("SymmetricEigen: non-finite entry at (" + i + ", " + j + ")");
                if (Math.abs(x - y) > 1e-9 * (1 + Math.max(Math.abs(x), Math.abs(y)))) {
                    throw new IllegalArgumentException("SymmetricEigen: matrix is not symmetric at (" + i + ", " + j + "): " + x + " vs " + y);
                }
            }
            if (!Double.isFinite(a[i][i])) throw new IllegalArgumentException("SymmetricEigen: non-finite entry at (" + i + ", " + i + ")");
        }
        return n;
    }

    /** Orders by descending eigenvalue and fixes each vector's sign (largest-magnitude entry positive). */
    private static SymmetricEigen sorted(double[] d, double[][] v) {
        int n = d.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Double.compare(d[y], d[x]));
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int j = 0; j < n; j++) {
            int src = order[j];
            values[j] = d[src];
            int big = 0;
            for (int i = 1; i < n; i++) if (Math.abs(v[i][src]) > Math.abs(v[big][src])) big = i;
            double sign = v[big][src] < 0 ? -1 : 1;
            for (int i = 0; i < n; i++) vectors[i][j] = sign * v[i][src];
        }
        return new SymmetricEigen(values, vectors);
    }

    private static double[][] transpose(double[][] a) {
        int n = a.length;
        double[][] t = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) t[j][i] = a[i][j];
        return t;
    }

    /** Householder reduction to tridiagonal form: on return d is the diagonal, e the sub-diagonal (e[0] = 0), v the transform. */
    private static void tred2(double[][] v, double[] d, double[] e) {
        int n = d.length;
        for (int j = 0; j < n; j++) d[j] = v[n - 1][j];
        for (int i = n - 1; i > 0; i--) {
            double scale = 0, h = 0;
            for (int k = 0; k < i; k++) scale += Math.abs(d[k]);
            if (scale == 0) {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++) {
                    d[j] = v[i - 1][j];
                    v[i][j] = 0;
                    v[j][i] = 0;
                }
            } else {
                for (int k = 0; k < i; k++) {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.sqrt(h);
                if (f > 0) g = -g;
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) e[j] = 0;
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    v[j][i] = f;
                    g = e[j] + v[j][j] * f;
                    for (int k = j + 1; k <= i - 1; k++) {
                        g += v[k][j] * d[k];
                        e[k] += v[k][j] * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) e[j] -= hh * d[j];
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++) v[k][j] -= (f * e[k] + g * d[k]);
                    d[j] = v[i - 1][j];
                    v[i][j] = 0;
                }
            }
            d[i] = h;
        }
        // accumulate the transformations
        for (int i = 0; i < n - 1; i++) {
            v[n - 1][i] = v[i][i];
            v[i][i] = 1;
            double h = d[i + 1];
            if (h != 0) {
                for (int k = 0; k <= i; k++) d[k] = v[k][i + 1] / h;
                for (int j = 0; j <= i; j++) {
                    double g = 0;
                    for (int k = 0; k <= i; k++) g += v[k][i + 1] * v[k][j];
                    for (int k = 0; k <= i; k++) v[k][j] -= g * d[k];
                }
            }
            for (int k = 0; k <= i; k++) v[k][i + 1] = 0;
        }
        for (int j = 0; j < n; j++) {
            d[j] = v[n - 1][j];
            v[n - 1][j] = 0;
        }
        v[n - 1][n - 1] = 1;
        e[0] = 0;
    }

    /** Implicit QL on the tridiagonal (d, e), accumulating rotations into the rows of {@code vt} (the transposed transform). */
    private static void tql2(double[][] vt, double[] d, double[] e) {
        int n = d.length;
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        e[n - 1] = 0;
        double f = 0, tst1 = 0;
        for (int l = 0; l < n; l++) {
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n) {
                if (Math.abs(e[m]) <= EPS * tst1) break;
                m++;
            }
            if (m == n) m = n - 1;   // e[n-1] is 0, so this only guards rounding
            if (m > l) {
                int iter = 0;
                do {
                    if (++iter > 60) throw new ArithmeticException("SymmetricEigen: QL did not converge for eigenvalue " + l);
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Math.hypot(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    p = d[m];
                    double c = 1, c2 = c, c3 = c, el1 = e[l + 1], s = 0, s2 = 0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Math.hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        double[] vi = vt[i], vi1 = vt[i + 1];
                        for (int k = 0; k < n; k++) {
                            h = vi1[k];
                            vi1[k] = s * vi[k] + c * h;
                            vi[k] = c * vi[k] - s * h;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > EPS * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
    }
}
