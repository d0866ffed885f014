package dev.tessera.tensor.internal.cpu;

import java.util.Arrays;

/**
 * GEMM without the Vector API: the fallback when SIMD is disabled, and the direct path for
 * products too small to be worth packing. Works on any rectangular block of C so the caller can
 * split it over threads.
 */
final class ScalarGemm {
    /** Below this many columns the row-times-B form is a chain of dependent FMAs; such products run as dot products. */
    private static final int NARROW = 4;

    private ScalarGemm() {}

    /**
     * Computes rows {@code [m0, m1)} and columns {@code [n0, n1)} of
     * {@code C = alpha * op(A) * op(B) + beta * C}: each element is one sequential FMA chain over
     * the whole reduction, then {@code alpha * acc} ({@code beta == 0}) or
     * {@code fma(acc, alpha, beta * c)}.
     */
    static void block(boolean transA, boolean transB, int m0, int m1, int n0, int n1, int k,
                      float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        int sa = transA ? 1 : lda;
        int pa = transA ? lda : 1;
        if (transB || n1 - n0 < NARROW) {
            // dot products (B's column j is contiguous when B is transposed, strided by ldb otherwise)
            int sb = transB ? ldb : 1, pb = transB ? 1 : ldb;
            int i = m0;
            for (; i + 4 <= m1; i += 4) {
                for (int j = n0; j < n1; j++) dot4(k, a, aOff + i * sa, sa, pa, b, bOff + j * sb, pb, alpha, beta, c, cOff + i * ldc + j, ldc);
            }
            for (; i < m1; i++) {
                int ai = aOff + i * sa;
                for (int j = n0; j < n1; j++) {
                    int bi = bOff + j * sb;
                    float acc = 0f;
                    for (int p = 0; p < k; p++) acc = Math.fma(a[ai + p * pa], b[bi + p * pb], acc);
                    int ci = cOff + i * ldc + j;
                    c[ci] = beta == 0f ? acc * alpha : Math.fma(acc, alpha, beta * c[ci]);
                }
            }
        } else {
            float[] acc = new float[n1 - n0];
            for (int i = m0; i < m1; i++) {
                Arrays.fill(acc, 0f);
                int ai = aOff + i * sa;
                for (int p = 0; p < k; p++) {
                    float av = a[ai + p * pa];
                    int bi = bOff + p * ldb + n0;
                    for (int j = 0; j < acc.length; j++) acc[j] = Math.fma(av, b[bi + j], acc[j]);
                }
                int ci = cOff + i * ldc + n0;
                for (int j = 0; j < acc.length; j++) {
                    c[ci + j] = beta == 0f ? acc[j] * alpha : Math.fma(acc[j], alpha, beta * c[ci + j]);
                }
            }
        }
    }

    /**
     * Four rows of one column of C: four independent FMA chains advanced together, so the FMA latency is hidden while
     * each element keeps its own sequential chain over the whole reduction (the same value as one row at a time).
     */
    private static void dot4(int k, float[] a, int ai, int sa, int pa, float[] b, int bi, int pb, float alpha, float beta,
                             float[] c, int ci, int ldc) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (int p = 0; p < k; p++) {
            float bv = b[bi + p * pb];
            int ap = ai + p * pa;
            s0 = Math.fma(a[ap], bv, s0);
            s1 = Math.fma(a[ap + sa], bv, s1);
            s2 = Math.fma(a[ap + 2 * sa], bv, s2);
            s3 = Math.fma(a[ap + 3 * sa], bv, s3);
        }
        c[ci] = beta == 0f ? s0 * alpha : Math.fma(s0, alpha, beta * c[ci]);
        c[ci + ldc] = beta == 0f ? s1 * alpha : Math.fma(s1, alpha, beta * c[ci + ldc]);
        c[ci + 2 * ldc] = beta == 0f ? s2 * alpha : Math.fma(s2, alpha, beta * c[ci + 2 * ldc]);
        c[ci + 3 * ldc] = beta == 0f ? s3 * alpha : Math.fma(s3, alpha, beta * c[ci + 3 * ldc]);
    }

    /** {@code C = beta * C} over an m x n block; {@code beta == 0} writes zeros whatever C held. */
    static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            if (beta == 0f) Arrays.fill(c, ci, ci + n, 0f);
            else for (int j = 0; j < n; j++) c[ci + j] *= beta;
        }
    }

    /**
     * Computes rows {@code [m0, m1)} and columns {@code [n0, n1)} of
     * {@code C = alpha * op(A) * op(B) + beta * C}: each element is one sequential FMA chain over
     * the whole reduction, then {@code alpha * acc} ({@code beta == 0}) or
     * {@code fma(acc, alpha, beta * c)}.
     */
    static void block(boolean transA, boolean transB, int m0, int m1, int n0, int n1, int k,
                      double alpha, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                      double beta, double[] c, int cOff, int ldc) {
        int sa = transA ? 1 : lda;
        int pa = transA ? lda : 1;
        if (transB || n1 - n0 < NARROW) {
            // dot products (B's column j is contiguous when B is transposed, strided by ldb otherwise)
            int sb = transB ? ldb : 1, pb = transB ? 1 : ldb;
            int i = m0;
            for (; i + 4 <= m1; i += 4) {
                for (int j = n0; j < n1; j++) dot4(k, a, aOff + i * sa, sa, pa, b, bOff + j * sb, pb, alpha, beta, c, cOff + i * ldc + j, ldc);
            }
            for (; i < m1; i++) {
                int ai = aOff + i * sa;
                for (int j = n0; j < n1; j++) {
                    int bi = bOff + j * sb;
                    double acc = 0d;
                    for (int p = 0; p < k; p++) acc = Math.fma(a[ai + p * pa], b[bi + p * pb], acc);
                    int ci = cOff + i * ldc + j;
                    c[ci] = beta == 0d ? acc * alpha : Math.fma(acc, alpha, beta * c[ci]);
                }
            }
        } else {
            double[] acc = new double[n1 - n0];
            for (int i = m0; i < m1; i++) {
                Arrays.fill(acc, 0d);
                int ai = aOff + i * sa;
                for (int p = 0; p < k; p++) {
                    double av = a[ai + p * pa];
                    int bi = bOff + p * ldb + n0;
                    for (int j = 0; j < acc.length; j++) acc[j] = Math.fma(av, b[bi + j], acc[j]);
                }
                int ci = cOff + i * ldc + n0;
                for (int j = 0; j < acc.length; j++) {
                    c[ci + j] = beta == 0d ? acc[j] * alpha : Math.fma(acc[j], alpha, beta * c[ci + j]);
                }
            }
        }
    }

    /**
     * Four rows of one column of C: four independent FMA chains advanced together, so the FMA latency is hidden while
     * each element keeps its own sequential chain over the whole reduction (the same value as one row at a time).
     */
    private static void dot4(int k, double[] a, int ai, int sa, int pa, double[] b, int bi, int pb, double alpha, double beta,
                             double[] c, int ci, int ldc) {
        double s0 = 0d, s1 = 0d, s2 = 0d, s3 = 0d;
        for (int p = 0; p < k; p++) {
            double bv = b[bi + p * pb];
            int ap = ai + p * pa;
            s0 = Math.fma(a[ap], bv, s0);
            s1 = Math.fma(a[ap + sa], bv, s1);
            s2 = Math.fma(a[ap + 2 * sa], bv, s2);
            s3 = Math.fma(a[ap + 3 * sa], bv, s3);
        }
        c[ci] = beta == 0d ? s0 * alpha : Math.fma(s0, alpha, beta * c[ci]);
        c[ci + ldc] = beta == 0d ? s1 * alpha : Math.fma(s1, alpha, beta * c[ci + ldc]);
        c[ci + 2 * ldc] = beta == 0d ? s2 * alpha : Math.fma(s2, alpha, beta * c[ci + 2 * ldc]);
        c[ci + 3 * ldc] = beta == 0d ? s3 * alpha : Math.fma(s3, alpha, beta * c[ci + 3 * ldc]);
    }

    /** {@code C = beta * C} over an m x n block; {@code beta == 0} writes zeros whatever C held. */
    static void scale(int m, int n, double beta, double[] c, int cOff, int ldc) {
        if (beta == 1d) return;
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            if (beta == 0d) Arrays.fill(c, ci, ci + n, 0d);
            else for (int j = 0; j < n; j++) c[ci + j] *= beta;
        }
    }
}
