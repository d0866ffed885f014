package dev.tessera.tensor.internal.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.UnaryOp;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both kernel implementations against float64 references built from {@link UnaryOp#apply} /
 * {@link BinaryOp#apply} and naive double loops.
 *
 * <p>Tolerances, |got - ref| &lt;= rtol |ref| + atol (the reference is the unrounded float64 value):
 * + - * / max min, neg, abs, square, sqrt, reciprocal, rounding, sign, relu: rtol 6e-8 (correct
 * rounding); rsqrt 1.2e-7 (two roundings); exp, log, sin, cos, tanh, log1p, expm1, sigmoid, silu,
 * elu, pow: rtol 1e-6 (measured SVML error is about 1 ulp = 6e-8..1.2e-7) and atol 1e-41 for
 * subnormal results; erf: atol 2e-7;
 * gelu and gelu-tanh: rtol 1e-6 plus atol 3e-7 |x| (float evaluation of 1 + erf / 1 + tanh cancels
 * for negative x, as in PyTorch's float kernels); sums: 1e-6 of the sum of |x|; row kernels: rtol
 * 1e-5 with atol 1e-6.
 */
class F32KernelsTest {
    static final int[] SIZES = {0, 1, 7, 15, 16, 17, 31, 33, 1000};
    static final BinaryOp[] ARITH = {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.MAX,
            BinaryOp.MIN, BinaryOp.POW};

    static Stream<F32Kernels> impls() {
        return Stream.of(F32Kernels.scalar(), F32Kernels.simd());
    }

    // ------------------------------------------------------------------ helpers

    static void check(String what, double ref, float got, double rtol, double atol) {
        if (Double.isNaN(ref)) {
            if (!Float.isNaN(got)) fail(what + ": expected NaN, got " + got);
            return;
        }
        if (Double.isInfinite(ref) || Math.abs(ref) > Float.MAX_VALUE * (1 + 6e-8)) {
            if ((float) ref != got) fail(what + ": expected " + (float) ref + ", got " + got);
            return;
        }
        double err = Math.abs(got - ref);
        if (!(err <= rtol * Math.abs(ref) + atol))
            fail(what + ": expected " + ref + ", got " + got + " (err " + err + ", rtol " + rtol + ", atol " + atol + ")");
    }

    static float[] randn(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    /** Inputs suited to the op's domain, with special values at the end. */
    static float[] unaryInput(UnaryOp op, SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble();
            a[i] = switch (op) {
                case LOG, SQRT, RSQRT -> (float) Math.exp(r.nextDouble(-12, 12));
                case LOG1P -> (float) (Math.exp(r.nextDouble(-12, 8)) - 0.999);
                case SIN, COS -> (float) r.nextDouble(-200, 200);
                case FLOOR, CEIL, ROUND -> u < 0.3 ? (float) (Math.rint(r.nextDouble(-50, 50)) + 0.5)
                        : u < 0.4 ? (float) r.nextDouble(-1e9, 1e9) : (float) r.nextDouble(-10, 10);
                case EXP, EXPM1, TANH, SIGMOID, SILU, ELU, GELU, GELU_TANH, ERF -> u < 0.2
                        ? (float) r.nextDouble(-120, 120) : (float) (r.nextGaussian() * 3);
                default -> (float) (r.nextGaussian() * 10);
            };
        }
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1e4f, -1e4f};
        for (int k = 0; k < special.length && k < n / 4; k++) a[n - 1 - k] = special[k];
        return a;
    }

    static double[] unaryTol(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, SQUARE, SQRT, RECIPROCAL, FLOOR, CEIL, ROUND, SIGN, RELU -> new double[] {6e-8, 0};
            case RSQRT -> new double[] {1.2e-7, 0};
            case ERF -> new double[] {1e-6, 2e-7};
            case GELU, GELU_TANH -> new double[] {1e-6, 3e-7};
            default -> new double[] {1e-6, 1e-41}; // subnormal results lose relative precision
        };
    }

    // ------------------------------------------------------------------ elementwise

    @ParameterizedTest
    @MethodSource("impls")
    void binaryAllSizesAndVariants(F32Kernels k) {
        var r = new SplittableRandom(1);
        for (BinaryOp op : ARITH) {
            double rtol = op == BinaryOp.POW ? 1e-6 : 6e-8;
            for (int n : SIZES) {
                float[] a = new float[n + 3], b = new float[n + 5], out = new float[n + 1];
                for (int i = 0; i < a.length; i++) a[i] = op == BinaryOp.POW ? (float) Math.exp(r.nextDouble(-3, 3)) : (float) r.nextGaussian() * 4;
                for (int i = 0; i < b.length; i++) b[i] = op == BinaryOp.POW ? (float) r.nextDouble(-4, 4) : (float) r.nextGaussian() * 4;
                float s = op == BinaryOp.POW ? 1.7f : -1.25f;
                float sBase = op == BinaryOp.POW ? 2.5f : -1.25f;
                k.binary(op, a, 3, b, 5, out, 1, n);
                for (int i = 0; i < n; i++)
                    check(k.name() + " " + op + " n=" + n + " i=" + i, op.apply(a[3 + i], b[5 + i]), out[1 + i], rtol, 0);
                k.binaryScalar(op, a, 3, s, out, 1, n);
                for (int i = 0; i < n; i++)
                    check(k.name() + " " + op + " a op s", op.apply(a[3 + i], s), out[1 + i], rtol, 0);
                k.scalarBinary(op, sBase, b, 5, out, 1, n);
                for (int i = 0; i < n; i++)
                    check(k.name() + " " + op + " s op b", op.apply(sBase, b[5 + i]), out[1 + i], rtol, 0);
                // out aliases a exactly.
                float[] alias = a.clone();
                k.binary(op, alias, 3, b, 5, alias, 3, n);
                for (int i = 0; i < n; i++)
                    check(k.name() + " " + op + " aliased", op.apply(a[3 + i], b[5 + i]), alias[3 + i], rtol, 0);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void binarySpecialValues(F32Kernels k) {
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        float[] a = {nan, 1f, nan, -0f, 0f, inf, -inf, 2f, -2f, -2f, 0f, 3f, 5f, 1f, nan, 7f, 1f, -1f};
        float[] b = {1f, nan, nan, 0f, -0f, inf, inf, 0f, 3f, 0.5f, 0f, -inf, inf, nan, 2f, nan, 0f, 0f};
        float[] out = new float[a.length];
        for (BinaryOp op : ARITH) {
            k.binary(op, a, 0, b, 0, out, 0, a.length);
            for (int i = 0; i < a.length; i++) {
                double ref = op.apply(a[i], b[i]);
                if (Double.isNaN(ref)) assertTrue(Float.isNaN(out[i]), k.name() + " " + op + " i=" + i + " expected NaN, got " + out[i]);
                else if (op == BinaryOp.POW) check(op + " i=" + i, ref, out[i], 1e-6, 0);
                else assertEquals(Float.floatToIntBits((float) ref), Float.floatToIntBits(out[i]), k.name() + " " + op + " i=" + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void comparisonsAreRejected(F32Kernels k) {
        float[] a = new float[4];
        assertThrows(UnsupportedOperationException.class, () -> k.binary(BinaryOp.LT, a, 0, a, 0, a, 0, 4));
        assertThrows(UnsupportedOperationException.class, () -> k.binaryScalar(BinaryOp.EQ, a, 0, 1f, a, 0, 4));
        assertThrows(UnsupportedOperationException.class, () -> k.scalarBinary(BinaryOp.AND, 1f, a, 0, a, 0, 4));
    }

    @ParameterizedTest
    @MethodSource("impls")
    void unaryEveryOpAgainstDefinition(F32Kernels k) {
        var r = new SplittableRandom(2);
        for (UnaryOp op : UnaryOp.values()) {
            double[] tol = unaryTol(op);
            boolean geluLike = op == UnaryOp.GELU || op == UnaryOp.GELU_TANH;
            for (int n : new int[] {0, 1, 7, 16, 17, 33, 1000, 4000}) {
                float[] x = unaryInput(op, r, n + 2);
                float[] out = new float[n + 3];
                k.unary(op, x, 2, out, 3, n);
                for (int i = 0; i < n; i++) {
                    float xi = x[2 + i];
                    double atol = geluLike ? tol[1] * Math.max(1, Math.abs(xi)) : tol[1];
                    check(k.name() + " " + op + "(" + xi + ")", op.apply(xi), out[3 + i], tol[0], atol);
                }
                float[] alias = x.clone();
                k.unary(op, alias, 2, alias, 2, n);
                for (int i = 0; i < n; i++) assertEquals(out[3 + i], alias[2 + i], k.name() + " " + op + " aliased");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void roundingKeepsSignOfZeroAndHalfEven(F32Kernels k) {
        float[] x = {-0.3f, 0.3f, -0.5f, 0.5f, 1.5f, 2.5f, -2.5f, -0f, 0f, -0.7f, 8388609f, -1e20f, Float.NaN};
        float[] out = new float[x.length];
        for (UnaryOp op : new UnaryOp[] {UnaryOp.FLOOR, UnaryOp.CEIL, UnaryOp.ROUND, UnaryOp.SIGN}) {
            k.unary(op, x, 0, out, 0, x.length);
            for (int i = 0; i < x.length; i++)
                assertEquals(Float.floatToIntBits((float) op.apply(x[i])), Float.floatToIntBits(out[i]),
                        k.name() + " " + op + "(" + x[i] + ") = " + out[i]);
        }
    }

    @Test
    void simdElementwiseDoesNotDependOnChunking() {
        var k = F32Kernels.simd();
        float[] x = unaryInput(UnaryOp.GELU, new SplittableRandom(3), 101);
        float[] whole = new float[101], parts = new float[101];
        for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.GELU, UnaryOp.TANH}) {
            k.unary(op, x, 0, whole, 0, 101);
            k.unary(op, x, 0, parts, 0, 37);
            k.unary(op, x, 37, parts, 37, 64);
            assertArrayEquals(whole, parts, op.toString());
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void axpyScaleFill(F32Kernels k) {
        var r = new SplittableRandom(4);
        for (int n : SIZES) {
            float[] x = randn(r, n + 2, 1), y = randn(r, n + 1, 1), y0 = y.clone();
            k.axpy(-0.75f, x, 2, y, 1, n);
            for (int i = 0; i < n; i++) check("axpy", y0[1 + i] - 0.75 * x[2 + i], y[1 + i], 1.2e-7, 1.2e-7 * (Math.abs(y0[1 + i]) + Math.abs(x[2 + i])));
            assertEquals(y0[0], y[0]);
            float[] z = x.clone();
            k.scale(3f, z, 2, n);
            for (int i = 0; i < n; i++) assertEquals(3f * x[2 + i], z[2 + i]);
            assertEquals(x[0], z[0]);
            float[] f = new float[n + 2];
            k.fill(f, 1, n, 2.5f);
            for (int i = 0; i < n; i++) assertEquals(2.5f, f[1 + i]);
            assertEquals(0f, f[0]);
            assertEquals(0f, f[n + 1]);
        }
    }

    // ------------------------------------------------------------------ reductions

    @ParameterizedTest
    @MethodSource("impls")
    void reductions(F32Kernels k) {
        var r = new SplittableRandom(5);
        for (int n : new int[] {0, 1, 7, 15, 16, 17, 31, 33, 1000, 4095, 4096, 4097, 20_000}) {
            float[] x = randn(r, n + 3, 2), y = randn(r, n + 1, 2);
            for (int i = 0; i < x.length; i += 3) x[i] += 1.5f; // nonzero mean
            double s = 0, sa = 0, d = 0, da = 0, ss = 0, mx = Double.NEGATIVE_INFINITY, mn = Double.POSITIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                double v = x[3 + i];
                s += v;
                sa += Math.abs(v);
                d += v * y[1 + i];
                da += Math.abs(v * y[1 + i]);
                ss += v * v;
                mx = Math.max(mx, v);
                mn = Math.min(mn, v);
            }
            String w = k.name() + " n=" + n;
            check(w + " sum", s, k.sum(x, 3, n), 0, 1e-6 * sa + 1e-30);
            assertEquals(s, k.sumDouble(x, 3, n), 1e-13 * sa, w + " sumDouble");
            check(w + " dot", d, k.dot(x, 3, y, 1, n), 0, 1e-6 * da + 1e-30);
            check(w + " sumSquares", ss, k.sumSquares(x, 3, n), 1e-6, 0);
            assertEquals((float) mx, k.max(x, 3, n), w + " max");
            assertEquals((float) mn, k.min(x, 3, n), w + " min");
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void maxMinPropagateNaN(F32Kernels k) {
        for (int n : new int[] {1, 7, 17, 100}) {
            for (int pos : new int[] {0, n / 2, n - 1}) {
                float[] x = randn(new SplittableRandom(n), n, 1);
                x[pos] = Float.NaN;
                assertTrue(Float.isNaN(k.max(x, 0, n)), k.name() + " max n=" + n + " pos=" + pos);
                assertTrue(Float.isNaN(k.min(x, 0, n)), k.name() + " min n=" + n + " pos=" + pos);
            }
        }
        assertEquals(Float.NEGATIVE_INFINITY, k.max(new float[0], 0, 0));
        assertEquals(Float.POSITIVE_INFINITY, k.min(new float[0], 0, 0));
    }

    @ParameterizedTest
    @MethodSource("impls")
    void sumIsDeterministic(F32Kernels k) {
        float[] x = randn(new SplittableRandom(6), 50_000, 1);
        float first = k.sum(x, 0, x.length);
        for (int rep = 0; rep < 20; rep++) assertEquals(first, k.sum(x, 0, x.length));
    }

    // ------------------------------------------------------------------ row kernels: references

    static double[] softmaxRef(float[] x, int off, int cols) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) m = Math.max(m, x[off + j]);
        double s = 0;
        double[] e = new double[cols];
        for (int j = 0; j < cols; j++) s += e[j] = Math.exp(x[off + j] - m);
        for (int j = 0; j < cols; j++) e[j] /= s;
        return e;
    }

    static double[] layerNormRef(double[] x, double[] gamma, double[] beta, double eps, double[] stats) {
        int n = x.length;
        double mu = 0;
        for (double v : x) mu += v;
        mu /= n;
        double var = 0;
        for (double v : x) var += (v - mu) * (v - mu);
        var /= n;
        double rs = 1 / Math.sqrt(var + eps);
        stats[0] = mu;
        stats[1] = rs;
        double[] y = new double[n];
        for (int j = 0; j < n; j++)
            y[j] = (x[j] - mu) * rs * (gamma == null ? 1 : gamma[j]) + (beta == null ? 0 : beta[j]);
        return y;
    }

    static double[] rmsNormRef(double[] x, double[] gamma, double eps, double[] stats) {
        double ms = 0;
        for (double v : x) ms += v * v;
        double rs = 1 / Math.sqrt(ms / x.length + eps);
        stats[0] = rs;
        double[] y = new double[x.length];
        for (int j = 0; j < x.length; j++) y[j] = x[j] * rs * (gamma == null ? 1 : gamma[j]);
        return y;
    }

    static double[] toDouble(float[] a, int off, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = a[off + i];
        return d;
    }

    static final int[][] ROW_SHAPES = {{1, 1}, {3, 7}, {2, 16}, {4, 17}, {2, 33}, {3, 1000}, {1, 5000}};

    @ParameterizedTest
    @MethodSource("impls")
    void softmaxAndLogSoftmaxRows(F32Kernels k) {
        var r = new SplittableRandom(7);
        for (int[] sh : ROW_SHAPES) {
            int rows = sh[0], cols = sh[1];
            float[] x = randn(r, rows * cols + 2, 3);
            float[] p = new float[rows * cols + 1], lp = new float[rows * cols + 1];
            k.softmaxRows(x, 2, p, 1, rows, cols);
            k.logSoftmaxRows(x, 2, lp, 1, rows, cols);
            for (int row = 0; row < rows; row++) {
                double[] ref = softmaxRef(x, 2 + row * cols, cols);
                for (int j = 0; j < cols; j++) {
                    check(k.name() + " softmax " + rows + "x" + cols, ref[j], p[1 + row * cols + j], 1e-5, 1e-7);
                    check(k.name() + " logSoftmax", Math.log(ref[j]), lp[1 + row * cols + j], 1e-5, 1e-5);
                }
            }
            float[] alias = x.clone();
            k.softmaxRows(alias, 2, alias, 2, rows, cols);
            assertArrayEquals(Arrays.copyOfRange(p, 1, p.length), Arrays.copyOfRange(alias, 2, alias.length));
            alias = x.clone();
            k.logSoftmaxRows(alias, 2, alias, 2, rows, cols);
            assertArrayEquals(Arrays.copyOfRange(lp, 1, lp.length), Arrays.copyOfRange(alias, 2, alias.length));
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void softmaxLargeAndMaskedInputs(F32Kernels k) {
        float ninf = Float.NEGATIVE_INFINITY;
        float[] x = {1e4f, 1e4f - 1, -1e4f, ninf, 5f, ninf, ninf, 0f, ninf, ninf, ninf, ninf};
        float[] p = new float[12], lp = new float[12];
        k.softmaxRows(x, 0, p, 0, 3, 4);
        k.logSoftmaxRows(x, 0, lp, 0, 3, 4);
        double e1 = Math.exp(-1);
        assertEquals(1 / (1 + e1), p[0], 1e-6);
        assertEquals(e1 / (1 + e1), p[1], 1e-6);
        assertEquals(0f, p[2]);
        assertEquals(0f, p[3]);
        assertEquals(-Math.log1p(e1), lp[0], 1e-6);
        assertEquals(ninf, lp[3]);
        // Row 2: masked entries get exactly 0.
        assertEquals(0f, p[5]);
        assertEquals(0f, p[6]);
        assertEquals(Math.exp(5) / (Math.exp(5) + 1), p[4], 1e-6);
        // Row 3: all masked gives NaN, as PyTorch.
        for (int j = 8; j < 12; j++) {
            assertTrue(Float.isNaN(p[j]), k.name() + " all-masked softmax");
            assertTrue(Float.isNaN(lp[j]), k.name() + " all-masked logSoftmax");
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void layerNormAndRmsNormRows(F32Kernels k) {
        var r = new SplittableRandom(8);
        for (int[] sh : ROW_SHAPES) {
            int rows = sh[0], cols = sh[1];
            float[] x = randn(r, rows * cols + 3, 2);
            for (int i = 0; i < x.length; i++) x[i] += 5f; // mean far from 0 tests the two-pass variance
            float[] gamma = randn(r, cols, 1), beta = randn(r, cols, 1);
            for (int variant = 0; variant < 3; variant++) {
                float[] g = variant == 2 ? null : gamma, b = variant >= 1 ? null : beta;
                float[] out = new float[rows * cols + 1], mean = new float[rows], rstd = new float[rows];
                k.layerNormRows(x, 3, g, b, 1e-5f, out, 1, mean, rstd, rows, cols);
                float[] rms = new float[rows * cols], rrs = new float[rows];
                k.rmsNormRows(x, 3, g, 1e-6f, rms, 0, rrs, rows, cols);
                for (int row = 0; row < rows; row++) {
                    double[] xd = toDouble(x, 3 + row * cols, cols), st = new double[2];
                    double[] ref = layerNormRef(xd, g == null ? null : toDouble(g, 0, cols),
                            b == null ? null : toDouble(b, 0, cols), 1e-5, st);
                    check("mean", st[0], mean[row], 1e-6, 0);
                    check("rstd", st[1], rstd[row], 1e-5, 0);
                    for (int j = 0; j < cols; j++)
                        check(k.name() + " layerNorm " + rows + "x" + cols + " v" + variant, ref[j], out[1 + row * cols + j], 1e-5, 1e-5);
                    double[] rr = rmsNormRef(xd, g == null ? null : toDouble(g, 0, cols), 1e-6, st);
                    check("rms rstd", st[0], rrs[row], 1e-5, 0);
                    for (int j = 0; j < cols; j++) check(k.name() + " rmsNorm", rr[j], rms[row * cols + j], 1e-5, 1e-6);
                }
                float[] alias = x.clone();
                k.layerNormRows(alias, 3, g, b, 1e-5f, alias, 3, null, null, rows, cols);
                assertArrayEquals(Arrays.copyOfRange(out, 1, out.length), Arrays.copyOfRange(alias, 3, alias.length));
            }
        }
    }

    // ------------------------------------------------------------------ backward: finite differences

    interface RowForward {
        /** A float64 forward of one row. */
        double[] apply(double[] x);
    }

    /** d/dx_j of sum_i gy_i f(x)_i by central differences in float64. */
    static double[] numericGrad(RowForward f, double[] x, double[] gy) {
        double[] g = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            double h = 1e-6 * Math.max(1, Math.abs(x[j]));
            double[] xp = x.clone(), xm = x.clone();
            xp[j] += h;
            xm[j] -= h;
            double[] fp = f.apply(xp), fm = f.apply(xm);
            double s = 0;
            for (int i = 0; i < x.length; i++) s += gy[i] * (fp[i] - fm[i]);
            g[j] = s / (2 * h);
        }
        return g;
    }

    static double[] softmaxD(double[] x) {
        double m = Arrays.stream(x).max().orElseThrow(), s = 0;
        double[] e = new double[x.length];
        for (int j = 0; j < x.length; j++) s += e[j] = Math.exp(x[j] - m);
        for (int j = 0; j < x.length; j++) e[j] /= s;
        return e;
    }

    @ParameterizedTest
    @MethodSource("impls")
    void softmaxBackwardsMatchFiniteDifferences(F32Kernels k) {
        var r = new SplittableRandom(9);
        for (int[] sh : new int[][] {{1, 1}, {2, 7}, {3, 17}, {2, 40}}) {
            int rows = sh[0], cols = sh[1];
            float[] x = randn(r, rows * cols, 2), gy = randn(r, rows * cols + 1, 1);
            float[] y = new float[rows * cols], ly = new float[rows * cols];
            k.softmaxRows(x, 0, y, 0, rows, cols);
            k.logSoftmaxRows(x, 0, ly, 0, rows, cols);
            float[] gx = new float[rows * cols + 2], lgx = new float[rows * cols + 2];
            k.softmaxBackwardRows(y, 0, gy, 1, gx, 2, rows, cols);
            k.logSoftmaxBackwardRows(ly, 0, gy, 1, lgx, 2, rows, cols);
            for (int row = 0; row < rows; row++) {
                double[] xd = toDouble(x, row * cols, cols), gd = toDouble(gy, 1 + row * cols, cols);
                double[] ng = numericGrad(F32KernelsTest::softmaxD, xd, gd);
                double[] lng = numericGrad(v -> Arrays.stream(softmaxD(v)).map(Math::log).toArray(), xd, gd);
                for (int j = 0; j < cols; j++) {
                    check(k.name() + " softmaxBackward", ng[j], gx[2 + row * cols + j], 1e-4, 1e-5);
                    check(k.name() + " logSoftmaxBackward", lng[j], lgx[2 + row * cols + j], 1e-4, 1e-5);
                }
            }
            // gx may alias gy.
            float[] alias = gy.clone();
            k.softmaxBackwardRows(y, 0, alias, 1, alias, 1, rows, cols);
            assertArrayEquals(Arrays.copyOfRange(gx, 2, gx.length), Arrays.copyOfRange(alias, 1, alias.length));
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void normBackwardsMatchFiniteDifferences(F32Kernels k) {
        var r = new SplittableRandom(10);
        for (int[] sh : new int[][] {{1, 2}, {2, 7}, {3, 17}, {2, 40}}) {
            int rows = sh[0], cols = sh[1];
            float[] x = randn(r, rows * cols + 1, 2), gy = randn(r, rows * cols, 1);
            float[] gamma = randn(r, cols, 1), beta = randn(r, cols, 1);
            for (boolean withGamma : new boolean[] {true, false}) {
                float[] g = withGamma ? gamma : null;
                double[] gd = withGamma ? toDouble(gamma, 0, cols) : null;
                float eps = 1e-5f;
                float[] out = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
                k.layerNormRows(x, 1, g, beta, eps, out, 0, mean, rstd, rows, cols);
                float[] gx = new float[rows * cols], gG = new float[cols], gB = new float[cols];
                Arrays.fill(gG, 0.5f); // accumulation: results are added
                Arrays.fill(gB, 0.25f);
                k.layerNormBackwardRows(x, 1, g, mean, rstd, gy, 0, gx, 0, withGamma ? gG : null, gB, rows, cols);
                float[] rms = new float[rows * cols], rrs = new float[rows];
                k.rmsNormRows(x, 1, g, eps, rms, 0, rrs, rows, cols);
                float[] rgx = new float[rows * cols], rgG = new float[cols];
                k.rmsNormBackwardRows(x, 1, g, rrs, gy, 0, rgx, 0, withGamma ? rgG : null, rows, cols);
                double[] refGG = new double[cols], refGB = new double[cols], refRG = new double[cols];
                for (int row = 0; row < rows; row++) {
                    double[] xd = toDouble(x, 1 + row * cols, cols), gyd = toDouble(gy, row * cols, cols);
                    double[] st = new double[2];
                    double[] ng = numericGrad(v -> layerNormRef(v, gd, null, eps, new double[2]), xd, gyd);
                    double[] rng = numericGrad(v -> rmsNormRef(v, gd, eps, new double[1]), xd, gyd);
                    for (int j = 0; j < cols; j++) {
                        check(k.name() + " layerNormBackward " + rows + "x" + cols, ng[j], gx[row * cols + j], 2e-4, 2e-5);
                        check(k.name() + " rmsNormBackward", rng[j], rgx[row * cols + j], 2e-4, 2e-5);
                    }
                    layerNormRef(xd, null, null, eps, st);
                    double[] rs = new double[1];
                    rmsNormRef(xd, null, eps, rs);
                    for (int j = 0; j < cols; j++) {
                        refGG[j] += gyd[j] * (xd[j] - st[0]) * st[1];
                        refGB[j] += gyd[j];
                        refRG[j] += gyd[j] * xd[j] * rs[0];
                    }
                }
                for (int j = 0; j < cols; j++) {
                    check("gBeta", 0.25 + refGB[j], gB[j], 1e-5, 1e-6);
                    if (withGamma) {
                        check(k.name() + " gGamma", 0.5 + refGG[j], gG[j], 1e-5, 1e-5);
                        check(k.name() + " rms gGamma", refRG[j], rgG[j], 1e-5, 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void simdAndScalarAgreeOnLongRows() {
        var r = new SplittableRandom(11);
        int rows = 4, cols = 384;
        float[] x = randn(r, rows * cols, 1), a = new float[rows * cols], b = new float[rows * cols];
        F32Kernels.scalar().layerNormRows(x, 0, null, null, 1e-5f, a, 0, null, null, rows, cols);
        F32Kernels.simd().layerNormRows(x, 0, null, null, 1e-5f, b, 0, null, null, rows, cols);
        for (int i = 0; i < a.length; i++) check("scalar vs simd", a[i], b[i], 1e-5, 1e-6);
        assertTrue(F32Kernels.get().name().equals(CpuConfig.simd() ? F32Kernels.simd().name() : "scalar"));
    }

    @Test
    void adamWMatchesFloat64ReferenceAndPathsAgreeBitForBit() {
        var r = new SplittableRandom(12);
        int n = 1000 + 7;   // a vector tail on every width
        float[] p0 = randn(r, n, 1), g = randn(r, n, 1), m0 = randn(r, n, 0.1), v0 = new float[n];
        for (int i = 0; i < n; i++) v0[i] = (float) (r.nextDouble() * 0.01);
        float b1 = 0.9f, b2 = 0.999f, c1 = 1 - b1, c2 = 1 - b2, step = 1e-3f / (1 - 0.9f * 0.9f), bc2 = (float) Math.sqrt(1 - 0.999 * 0.999);
        float eps = 1e-8f, decay = 1 - 1e-3f * 0.01f;
        float[][] out = new float[2][];
        F32Kernels[] paths = {F32Kernels.scalar(), F32Kernels.simd()};
        for (int q = 0; q < 2; q++) {
            float[] p = p0.clone(), m = m0.clone(), v = v0.clone();
            // offsets into the arrays, and a split into two calls, as the parallel caller does
            paths[q].adamW(p, 0, g, 0, m, 0, v, 0, 413, b1, c1, b2, c2, step, bc2, eps, decay);
            paths[q].adamW(p, 413, g, 413, m, 413, v, 413, n - 413, b1, c1, b2, c2, step, bc2, eps, decay);
            for (int i = 0; i < n; i++) {
                double mi = (double) b1 * m0[i] + (double) c1 * g[i];
                double vi = (double) b2 * v0[i] + (double) c2 * g[i] * g[i];
                double pi = p0[i] * (double) decay - step * mi / (Math.sqrt(vi) / bc2 + eps);
                check("adamW m", mi, m[i], 1e-6, 1e-6);
                check("adamW v", vi, v[i], 1e-6, 1e-9);
                check("adamW p", pi, p[i], 1e-5, 1e-6);
            }
            out[q] = p;
        }
        assertArrayEquals(out[0], out[1], "scalar and SIMD AdamW differ");
    }
}
