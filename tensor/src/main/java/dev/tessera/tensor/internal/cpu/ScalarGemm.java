package dev.tessera.tensor.internal.cpu;

import java.util.Arrays;

/**
 * GEMM without the Vector API: the fallback when SIMD is disabled, and the direct path for
 * products too small to be worth packing. Works on any rectangular block of C so the caller can
 * split it over threads.
 */
final class ScalarGemm {
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
        if (!transB) {
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
        } else {
            for (int i = m0; i < m1; i++) {
                int ai = aOff + i * sa;
                for (int j = n0; j < n1; j++) {
                    int bi = bOff + j * ldb;
                    float acc = 0f;
                    for (int p = 0; p < k; p++) acc = Math.fma(a[ai + p * pa], b[bi + p], acc);
                    int ci = cOff + i * ldc + j;
                    c[ci] = beta == 0f ? acc * alpha : Math.fma(acc, alpha, beta * c[ci]);
                }
            }
        }
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
        if (!transB) {
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
        } else {
            for (int i = m0; i < m1; i++) {
                int ai = aOff + i * sa;
                for (int j = n0; j < n1; j++) {
                    int bi = bOff + j * ldb;
                    double acc = 0d;
                    for (int p = 0; p < k; p++) acc = Math.fma(a[ai + p * pa], b[bi + p], acc);
                    int ci = cOff + i * ldc + j;
                    c[ci] = beta == 0d ? acc * alpha : Math.fma(acc, alpha, beta * c[ci]);
                }
            }
        }
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
