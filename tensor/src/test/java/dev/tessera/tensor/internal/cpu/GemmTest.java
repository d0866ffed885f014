package dev.tessera.tensor.internal.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Checks SGEMM/DGEMM, both paths, against a float64 triple loop on random operands. */
class GemmTest {
    private static final int[][] SIZES = {
        {0, 5, 7}, {5, 0, 7}, {5, 7, 0}, {1, 1, 1}, {1, 67, 13}, {7, 13, 67}, {13, 7, 131},
        {67, 131, 13}, {131, 67, 67}, {6, 64, 256}, {12, 128, 257}, {64, 64, 64}, {97, 200, 33},
    };

    /** One random problem: stored operands with offsets and padded leading dimensions. */
    private record Problem(boolean ta, boolean tb, int m, int n, int k, double alpha, double beta,
                           int aOff, int lda, int bOff, int ldb, int cOff, int ldc,
                           double[] a, double[] b, double[] c) {
        static Problem random(Random rnd, boolean ta, boolean tb, int m, int n, int k, double alpha, double beta) {
            int lda = (ta ? m : k) + rnd.nextInt(3);
            int ldb = (tb ? k : n) + rnd.nextInt(3);
            int ldc = n + rnd.nextInt(3);
            int aOff = rnd.nextInt(5), bOff = rnd.nextInt(5), cOff = rnd.nextInt(5);
            double[] a = fill(rnd, aOff + (ta ? k : m) * lda + 3);
            double[] b = fill(rnd, bOff + (tb ? n : k) * ldb + 3);
            double[] c = fill(rnd, cOff + m * ldc + 3);
            return new Problem(ta, tb, m, n, k, alpha, beta, aOff, lda, bOff, ldb, cOff, ldc, a, b, c);
        }

        double aAt(int i, int p) {
            return a[aOff + (ta ? p * lda + i : i * lda + p)];
        }

        double bAt(int p, int j) {
            return b[bOff + (tb ? j * ldb + p : p * ldb + j)];
        }

        /** Reference result and, per element, the scale the rounding error is measured against. */
        double[][] reference() {
            double[] ref = c.clone();
            double[] mag = new double[c.length];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, abs = 0;
                    for (int p = 0; p < k; p++) {
                        double t = aAt(i, p) * bAt(p, j);
                        s += t;
                        abs += Math.abs(t);
                    }
                    int ci = cOff + i * ldc + j;
                    double old = beta == 0 ? 0 : beta * c[ci];
                    ref[ci] = (k == 0 || alpha == 0 ? 0 : alpha * s) + old;
                    mag[ci] = Math.abs(alpha) * abs + Math.abs(old);
                }
            }
            return new double[][] {ref, mag};
        }

        float[] af() { return toFloat(a); }
        float[] bf() { return toFloat(b); }
        float[] cf() { return toFloat(c); }
    }

    private static double[] fill(Random rnd, int len) {
        double[] x = new double[len];
        // values exactly representable in float32, so both precisions see the same operands
        for (int i = 0; i < len; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    private static float[] runS(Problem p, boolean simd, int threads, float[] c) {
        Gemm.sgemm(simd, threads, p.ta, p.tb, p.m, p.n, p.k, (float) p.alpha, p.af(), p.aOff, p.lda,
                p.bf(), p.bOff, p.ldb, (float) p.beta, c, p.cOff, p.ldc);
        return c;
    }

    /** Every element within a float-rounding bound of the reference; untouched outside C. */
    private static void check(Problem p, double[] got, double unitRoundoff, String what) {
        check(p, got, unitRoundoff, what, true);
    }

    private static void check(Problem p, double[] got, double unitRoundoff, String what, boolean outside) {
        double[][] rm = p.reference();
        double[] ref = rm[0], mag = rm[1];
        double gamma = 2.0 * (p.k + 3) * unitRoundoff;
        boolean[] inC = new boolean[p.c.length];
        for (int i = 0; i < p.m; i++) for (int j = 0; j < p.n; j++) inC[p.cOff + i * p.ldc + j] = true;
        for (int x = 0; x < got.length; x++) {
            if (!inC[x]) {
                if (outside && Double.doubleToLongBits(got[x]) != Double.doubleToLongBits(p.c[x])
                        && !(Double.isNaN(got[x]) && Double.isNaN(p.c[x]))) {
                    fail(what + ": wrote outside C at index " + x);
                }
                continue;
            }
            double tol = gamma * mag[x] + 1e-30;
            if (!(Math.abs(got[x] - ref[x]) <= tol)) {
                fail(what + ": element " + x + " got " + got[x] + " expected " + ref[x] + " (tol " + tol + ")");
            }
        }
    }

    private static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    void sgemmMatchesReferenceForAllLayouts(boolean simd) {
        Random rnd = new Random(11);
        for (int[] s : SIZES) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                Problem p = Problem.random(rnd, ta, tb, s[0], s[1], s[2], 1.5, -0.75);
                for (int threads : new int[] {1, 2}) {
                    float[] got = runS(p, simd, threads, p.cf());
                    check(p, widen(got), 0x1p-24, "sgemm simd=" + simd + " threads=" + threads + " " + p.ta + p.tb
                            + " " + Arrays.toString(s));
                }
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    void dgemmMatchesReferenceForAllLayouts(boolean simd) {
        Random rnd = new Random(12);
        for (int[] s : SIZES) {
            for (int t = 0; t < 4; t++) {
                Problem p = Problem.random(rnd, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 0.5, 2.0);
                double[] c = p.c.clone();
                Gemm.dgemm(simd, 2, p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb,
                        p.beta, c, p.cOff, p.ldc);
                check(p, c, 0x1p-53, "dgemm simd=" + simd + " " + p.ta + p.tb + " " + Arrays.toString(s));
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    void largeProductsMatchReference(boolean simd) {
        Random rnd = new Random(13);
        int[][] large = {{257, 515, 300}, {300, 131, 600}};
        for (int[] s : large) {
            for (int t = 0; t < 4; t++) {
                Problem p = Problem.random(rnd, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 1.0, 1.0);
                float[] got = runS(p, simd, 2, p.cf());
                check(p, widen(got), 0x1p-24, "large sgemm simd=" + simd + " " + p.ta + p.tb + Arrays.toString(s));
            }
            Problem p = Problem.random(rnd, false, true, s[0], s[1], s[2], -1.0, 0.0);
            double[] c = p.c.clone();
            Gemm.dgemm(simd, 2, p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb,
                    p.beta, c, p.cOff, p.ldc);
            check(p, c, 0x1p-53, "large dgemm simd=" + simd);
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    void betaZeroIgnoresNaNInC(boolean simd) {
        Random rnd = new Random(14);
        for (int[] s : new int[][] {{7, 13, 67}, {131, 67, 67}, {64, 130, 40}, {5, 7, 0}}) {
            Problem p = Problem.random(rnd, false, false, s[0], s[1], s[2], 2.0, 0.0);
            float[] c = p.cf();
            for (int i = 0; i < p.m; i++) Arrays.fill(c, p.cOff + i * p.ldc, p.cOff + i * p.ldc + p.n, Float.NaN);
            runS(p, simd, 2, c);
            for (int i = 0; i < p.m; i++) {
                for (int j = 0; j < p.n; j++) {
                    float v = c[p.cOff + i * p.ldc + j];
                    assertTrue(Float.isFinite(v), "NaN leaked from C at " + i + "," + j + " " + Arrays.toString(s));
                }
            }
            float[] clean = runS(p, simd, 2, p.cf());
            for (int i = 0; i < p.m; i++) {
                for (int j = 0; j < p.n; j++) {
                    int x = p.cOff + i * p.ldc + j;
                    assertEquals(clean[x], c[x], "beta=0 result must not depend on old C");
                }
            }
        }
    }

    @Test
    void emptyReductionScalesC() {
        float[] c = {1, 2, 3, 4, 5, 6};
        Gemm.sgemm(false, false, 2, 3, 0, 1f, new float[0], 0, 0, new float[0], 0, 3, 2f, c, 0, 3);
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, c);
        float[] nan = {Float.NaN, Float.NaN};
        Gemm.sgemm(false, false, 1, 2, 0, 1f, new float[0], 0, 0, new float[0], 0, 2, 0f, nan, 0, 2);
        assertArrayEquals(new float[] {0, 0}, nan);
    }

    @Test
    void handComputedProduct() {
        // [1 2; 3 4] x [5 6; 7 8] = [19 22; 43 50]; with alpha 2, beta 1 on C = ones
        float[] c = {1, 1, 1, 1};
        Gemm.sgemm(false, false, 2, 2, 2, 2f, new float[] {1, 2, 3, 4}, 0, 2, new float[] {5, 6, 7, 8}, 0, 2,
                1f, c, 0, 2);
        assertArrayEquals(new float[] {39, 45, 87, 101}, c);
        double[] d = new double[4];
        // A^T with A stored [1 3; 2 4] is [1 2; 3 4]; B^T with B stored [5 7; 6 8] is [5 6; 7 8]
        Gemm.dgemm(true, true, 2, 2, 2, 1.0, new double[] {1, 3, 2, 4}, 0, 2, new double[] {5, 7, 6, 8}, 0, 2,
                0.0, d, 0, 2);
        assertArrayEquals(new double[] {19, 22, 43, 50}, d);
    }

    @Test
    void scalarPathIsOneSequentialChainPerElement() {
        // the direct path's documented rounding: each element one FMA chain over the whole reduction in order, for
        // every layout, for narrow products (run as dot products, four rows at a time) and wide ones, with row tails
        Random rnd = new Random(21);
        int k = 37;
        for (int m : new int[] {1, 4, 7}) {
            for (int n : new int[] {1, 3, 5}) {
                for (int layout = 0; layout < 4; layout++) {
                    boolean ta = (layout & 1) != 0, tb = (layout & 2) != 0;
                    float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                    for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
                    for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
                    for (int i = 0; i < c.length; i++) c[i] = (float) rnd.nextGaussian();
                    float[] want = c.clone();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            float acc = 0f;
                            for (int p = 0; p < k; p++) {
                                acc = Math.fma(ta ? a[p * m + i] : a[i * k + p], tb ? b[j * k + p] : b[p * n + j], acc);
                            }
                            want[i * n + j] = Math.fma(acc, 0.5f, 2f * want[i * n + j]);
                        }
                    }
                    ScalarGemm.block(ta, tb, 0, m, 0, n, k, 0.5f, a, 0, ta ? m : k, b, 0, tb ? k : n, 2f, c, 0, n);
                    assertArrayEquals(want, c, "m=" + m + " n=" + n + " transA=" + ta + " transB=" + tb);
                }
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    void resultsAreBitIdenticalForAnyThreadCount(boolean simd) {
        Random rnd = new Random(15);
        for (int[] s : new int[][] {{257, 515, 300}, {131, 67, 67}, {64, 64, 64}, {600, 40, 300}, {40, 1100, 70}}) {
            for (int t = 0; t < 4; t++) {
                Problem p = Problem.random(rnd, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 0.5, 0.25);
                float[] one = runS(p, simd, 1, p.cf());
                for (int threads : new int[] {2, 3, 4, 7}) {
                    assertArrayEquals(one, runS(p, simd, threads, p.cf()),
                            "threads=" + threads + " " + Arrays.toString(s) + " t=" + t);
                }
            }
        }
    }

    @Test
    void splitCoversCOnce() {
        int[][] shapes = {{1, 1}, {7, 200}, {600, 40}, {257, 515}, {4096, 128}, {128, 512}};
        for (int[] s : shapes) {
            for (int threads = 1; threads <= 7; threads++) {
                Split split = Split.plan(s[0], s[1], 512, threads, 6, 64, 512);
                assertTrue(split.tasks() <= threads);
                int[] hits = new int[s[0] * s[1]];
                for (int t = 0; t < split.tasks(); t++) {
                    for (int i = split.rowStart(t); i < split.rowEnd(t); i++) {
                        for (int j = split.colStart(t); j < split.colEnd(t); j++) hits[i * s[1] + j]++;
                    }
                }
                for (int x = 0; x < hits.length; x++) assertEquals(1, hits[x], Arrays.toString(s) + " threads " + threads);
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    void batchedMatchesSingleWithRepeatedOffsets(boolean simd) {
        Random rnd = new Random(16);
        // small items run one per thread, large items are each split over threads
        for (int[] s : new int[][] {{16, 32, 24}, {256, 64, 32}, {200, 260, 180}}) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                int m = s[0], n = s[1], k = s[2], batch = 5;
                int aSize = m * k, bSize = k * n, cSize = m * n;
                float[] a = toFloat(fill(rnd, 2 * aSize));
                float[] b = toFloat(fill(rnd, batch * bSize));
                float[] c = toFloat(fill(rnd, batch * cSize + 7));
                int[] aOffs = {0, aSize, 0, aSize, 0};
                int[] bOffs = new int[batch], cOffs = new int[batch];
                for (int i = 0; i < batch; i++) {
                    bOffs[i] = i * bSize;
                    cOffs[i] = 7 + i * cSize;
                }
                float[] expected = c.clone();
                int lda = ta ? m : k, ldb = tb ? k : n;
                for (int i = 0; i < batch; i++) {
                    Gemm.sgemm(simd, 1, ta, tb, m, n, k, 0.5f, a, aOffs[i], lda, b, bOffs[i], ldb, 2f,
                            expected, cOffs[i], n);
                }
                for (int threads : new int[] {1, 2, 3}) {
                    float[] got = c.clone();
                    Gemm.sgemmBatched(simd, threads, batch, ta, tb, m, n, k, 0.5f, a, aOffs, lda, b, bOffs, ldb,
                            2f, got, cOffs, n);
                    assertArrayEquals(expected, got, "batched " + Arrays.toString(s) + " t=" + t + " threads=" + threads);
                }
                // and the single-item result itself against the float64 reference
                double[] ad = widen(a), bd = widen(b);
                for (int i = 0; i < batch; i++) {
                    Problem p = new Problem(ta, tb, m, n, k, 0.5, 2.0, aOffs[i], lda, bOffs[i], ldb, cOffs[i], n,
                            ad, bd, widen(c));
                    check(p, widen(expected), 0x1p-24, "batched item " + i, false);
                }
            }
        }
    }

    @Test
    void dgemmBatchedMatchesSingle() {
        Random rnd = new Random(17);
        int m = 40, n = 33, k = 50, batch = 4;
        double[] a = fill(rnd, m * k), b = fill(rnd, 2 * k * n), c = fill(rnd, batch * m * n);
        int[] aOffs = {0, 0, 0, 0}, bOffs = {0, k * n, 0, k * n}, cOffs = {0, m * n, 2 * m * n, 3 * m * n};
        double[] expected = c.clone();
        for (int i = 0; i < batch; i++) {
            Gemm.dgemm(false, true, m, n, k, 1.0, a, aOffs[i], k, b, bOffs[i], k, -1.0, expected, cOffs[i], n);
        }
        double[] got = c.clone();
        Gemm.dgemmBatched(batch, false, true, m, n, k, 1.0, a, aOffs, k, b, bOffs, k, -1.0, got, cOffs, n);
        assertArrayEquals(expected, got);
    }

    @Test
    void publicEntryPointsAgreeWithPathOverloads() {
        Random rnd = new Random(18);
        Problem p = Problem.random(rnd, false, true, 70, 90, 110, 1.0, 0.5);
        float[] viaPublic = p.cf();
        Gemm.sgemm(p.ta, p.tb, p.m, p.n, p.k, 1f, p.af(), p.aOff, p.lda, p.bf(), p.bOff, p.ldb, 0.5f, viaPublic,
                p.cOff, p.ldc);
        assertArrayEquals(runS(p, CpuConfig.simd(), Parallel.threads(), p.cf()), viaPublic);
    }

    @Test
    void rejectsInvalidArguments() {
        float[] x = new float[100];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 4, 4, 4, 1f, x, 0, 3, x, 0, 4, 0f, x, 0, 4));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("lda"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 10, 10, 10, 1f, x, 5, 10, x, 0, 10, 0f, x, 0, 10));
        assertTrue(e.getMessage().contains("A[10x10]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, -1, 4, 4, 1f, x, 0, 4, x, 0, 4, 0f, x, 0, 4));
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.dgemm(true, false, 4, 4, 4, 1.0, new double[16], 0, 3, new double[16], 0, 4, 0.0,
                        new double[16], 0, 4));
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemmBatched(2, false, false, 2, 2, 2, 1f, x, new int[] {0}, 2, x, new int[] {0, 0}, 2,
                        0f, x, new int[] {0, 4}, 2));
    }
}
