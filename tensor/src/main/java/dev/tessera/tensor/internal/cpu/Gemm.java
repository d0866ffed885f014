package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.internal.cpu.simd.DgemmKernel;
import dev.tessera.tensor.internal.cpu.simd.SgemmKernel;

/**
 * General matrix multiply on row-major heap arrays with BLAS conventions (transposes, alpha,
 * beta, offsets, leading dimensions), in float32 and float64, single and batched.
 *
 * <p>Large products run the packed Vector API kernels of {@code cpu.simd}, split over the
 * {@link Parallel} pool by blocks of rows and columns of C; the reduction is never split across
 * threads, so results do not depend on the thread count. Small products, and every product when
 * SIMD is disabled ({@code -Dtessera.simd=false}), take a direct scalar path.
 */
public final class Gemm {
    /** Below this many flops the packing overhead outweighs its gain (about a 32^3 product). */
    static final long DIRECT_FLOPS = 2L * 32 * 32 * 32;
    /** Batched items below this many flops run one per thread instead of being split. */
    static final long BATCH_SPLIT_FLOPS = 2L * 192 * 192 * 192;

    private Gemm() {}

    /**
     * Single-precision GEMM, row-major: {@code C = alpha * op(A) * op(B) + beta * C} with C of
     * m x n (row stride ldc), op(A) of m x k and op(B) of k x n. {@code op(A) = A} with A stored
     * m x k (row stride lda), or {@code A^T} with A stored k x m when {@code transA}; likewise B.
     * When {@code beta == 0} the old content of C is ignored (NaN included); when {@code k == 0} or
     * {@code alpha == 0}, {@code C = beta * C}. Results are bit-identical for any thread count.
     *
     * @throws IllegalArgumentException on negative sizes, a leading dimension shorter than its
     *                                  row, or an operand that does not fit its array
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        sgemm(CpuConfig.simd(), Parallel.threads(), transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb,
                beta, c, cOff, ldc);
    }

    /** {@link #sgemm} with the path and the thread count of the work split chosen by the caller (tests). */
    static void sgemm(boolean simd, int threads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        String op = "sgemm";
        checkOperands(op, transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        sgemmUnchecked(simd, threads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, null, 0, c, cOff, ldc);
    }

    /**
     * Single-precision GEMM plus a bias row, row-major: {@code C = alpha * op(A) * op(B) + bias}, the bias (n
     * elements from {@code biasOff}) added to every row of C. The old content of C is ignored. The bias is C's
     * starting value (bit for bit a GEMM with {@code beta = 1} into C filled with the bias rows), written into
     * each block of C just before the block's first use instead of in a separate pass over C.
     *
     * @throws IllegalArgumentException as {@link #sgemm}, or when the bias does not hold n elements from biasOff
     */
    public static void sgemmBias(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                 float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                 float[] bias, int biasOff, float[] c, int cOff, int ldc) {
        sgemmBias(CpuConfig.simd(), Parallel.threads(), transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb,
                bias, biasOff, c, cOff, ldc);
    }

    /** {@link #sgemmBias} with the path and the thread count chosen by the caller (tests). */
    static void sgemmBias(boolean simd, int threads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                          float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] bias, int biasOff, float[] c, int cOff, int ldc) {
        String op = "sgemmBias";
        checkOperands(op, transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (biasOff < 0 || (long) biasOff + n > bias.length) {
            throw new IllegalArgumentException(op + ": bias needs " + n + " elements from offset " + biasOff + ", array has " + bias.length);
        }
        sgemmUnchecked(simd, threads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, 0f, bias, biasOff,
                c, cOff, ldc);
    }

    /**
     * Many independent single-precision GEMMs of the same shape, item i reading A at
     * {@code aOffs[i]}, B at {@code bOffs[i]} and writing C at {@code cOffs[i]} (see {@link #sgemm}).
     * A and B offsets may repeat (broadcast batch dimensions); C blocks must not overlap. Small
     * products run one per thread, large ones are each split over the threads.
     *
     * @throws IllegalArgumentException on a negative batch or sizes, offset arrays shorter than the
     *                                  batch, or an item that does not fit its array
     */
    public static void sgemmBatched(int batch, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    float[] a, int[] aOffs, int lda, float[] b, int[] bOffs, int ldb,
                                    float beta, float[] c, int[] cOffs, int ldc) {
        sgemmBatched(CpuConfig.simd(), Parallel.threads(), batch, transA, transB, m, n, k, alpha, a, aOffs, lda,
                b, bOffs, ldb, beta, c, cOffs, ldc);
    }

    /** {@link #sgemmBatched} with the path and the thread count chosen by the caller (tests). */
    static void sgemmBatched(boolean simd, int threads, int batch, boolean transA, boolean transB,
                             int m, int n, int k, float alpha, float[] a, int[] aOffs, int lda,
                             float[] b, int[] bOffs, int ldb, float beta, float[] c, int[] cOffs, int ldc) {
        String op = "sgemmBatched";
        checkBatch(op, batch, aOffs, bOffs, cOffs);
        checkSizes(op, m, n, k);
        for (int i = 0; i < batch; i++) {
            checkOperands(op, transA, transB, m, n, k, a.length, aOffs[i], lda, b.length, bOffs[i], ldb, c.length, cOffs[i], ldc);
        }
        if (batch > 1 && threads > 1 && flops(m, n, k) < BATCH_SPLIT_FLOPS) {
            Parallel.forTasks(batch, i -> sgemmUnchecked(simd, 1, transA, transB, m, n, k, alpha,
                    a, aOffs[i], lda, b, bOffs[i], ldb, beta, null, 0, c, cOffs[i], ldc));
        } else {
            for (int i = 0; i < batch; i++) {
                sgemmUnchecked(simd, threads, transA, transB, m, n, k, alpha, a, aOffs[i], lda, b, bOffs[i], ldb,
                        beta, null, 0, c, cOffs[i], ldc);
            }
        }
    }

    /** The GEMM after the checks; a non-null bias replaces {@code beta * C} as the starting value of C. */
    private static void sgemmUnchecked(boolean simd, int threads, boolean transA, boolean transB,
                                       int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                                       float[] b, int bOff, int ldb, float beta, float[] bias, int biasOff,
                                       float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            if (bias != null) fillRows(0, m, 0, n, bias, biasOff, c, cOff, ldc);
            else ScalarGemm.scale(m, n, beta, c, cOff, ldc);
            return;
        }
        boolean packed = simd && flops(m, n, k) >= DIRECT_FLOPS;
        int mr = packed ? SgemmKernel.MR : 1;
        int nr = packed ? SgemmKernel.NR : 1;
        int nc = packed ? SgemmKernel.NC : Integer.MAX_VALUE;
        Split split = Split.plan(m, n, k, threads, mr, nr, nc);
        Parallel.forTasks(split.tasks(), t -> {
            int m0 = split.rowStart(t), m1 = split.rowEnd(t), n0 = split.colStart(t), n1 = split.colEnd(t);
            if (m0 >= m1 || n0 >= n1) return;
            if (packed) {
                SgemmKernel.block(transA, transB, m0, m1, n0, n1, k, alpha, a, aOff, lda, b, bOff, ldb,
                        beta, bias, biasOff, c, cOff, ldc);
            } else if (bias != null) {
                fillRows(m0, m1, n0, n1, bias, biasOff, c, cOff, ldc);
                ScalarGemm.block(transA, transB, m0, m1, n0, n1, k, alpha, a, aOff, lda, b, bOff, ldb,
                        1f, c, cOff, ldc);
            } else {
                ScalarGemm.block(transA, transB, m0, m1, n0, n1, k, alpha, a, aOff, lda, b, bOff, ldb,
                        beta, c, cOff, ldc);
            }
        });
    }

    /** Rows {@code [m0, m1)}, columns {@code [n0, n1)} of C set to the bias row. */
    private static void fillRows(int m0, int m1, int n0, int n1, float[] bias, int biasOff, float[] c, int cOff, int ldc) {
        for (int i = m0; i < m1; i++) System.arraycopy(bias, biasOff + n0, c, cOff + i * ldc + n0, n1 - n0);
    }

    /**
     * Double-precision GEMM, row-major: {@code C = alpha * op(A) * op(B) + beta * C} with C of
     * m x n (row stride ldc), op(A) of m x k and op(B) of k x n. {@code op(A) = A} with A stored
     * m x k (row stride lda), or {@code A^T} with A stored k x m when {@code transA}; likewise B.
     * When {@code beta == 0} the old content of C is ignored (NaN included); when {@code k == 0} or
     * {@code alpha == 0}, {@code C = beta * C}. Results are bit-identical for any thread count.
     *
     * @throws IllegalArgumentException on negative sizes, a leading dimension shorter than its
     *                                  row, or an operand that does not fit its array
     */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                             double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                             double beta, double[] c, int cOff, int ldc) {
        dgemm(CpuConfig.simd(), Parallel.threads(), transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb,
                beta, c, cOff, ldc);
    }

    /** {@link #dgemm} with the path and the thread count of the work split chosen by the caller (tests). */
    static void dgemm(boolean simd, int threads, boolean transA, boolean transB, int m, int n, int k, double alpha,
                      double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                      double beta, double[] c, int cOff, int ldc) {
        String op = "dgemm";
        checkOperands(op, transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        dgemmUnchecked(simd, threads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * Many independent double-precision GEMMs of the same shape, item i reading A at
     * {@code aOffs[i]}, B at {@code bOffs[i]} and writing C at {@code cOffs[i]} (see {@link #dgemm}).
     * A and B offsets may repeat (broadcast batch dimensions); C blocks must not overlap. Small
     * products run one per thread, large ones are each split over the threads.
     *
     * @throws IllegalArgumentException on a negative batch or sizes, offset arrays shorter than the
     *                                  batch, or an item that does not fit its array
     */
    public static void dgemmBatched(int batch, boolean transA, boolean transB, int m, int n, int k, double alpha,
                                    double[] a, int[] aOffs, int lda, double[] b, int[] bOffs, int ldb,
                                    double beta, double[] c, int[] cOffs, int ldc) {
        dgemmBatched(CpuConfig.simd(), Parallel.threads(), batch, transA, transB, m, n, k, alpha, a, aOffs, lda,
                b, bOffs, ldb, beta, c, cOffs, ldc);
    }

    /** {@link #dgemmBatched} with the path and the thread count chosen by the caller (tests). */
    static void dgemmBatched(boolean simd, int threads, int batch, boolean transA, boolean transB,
                             int m, int n, int k, double alpha, double[] a, int[] aOffs, int lda,
                             double[] b, int[] bOffs, int ldb, double beta, double[] c, int[] cOffs, int ldc) {
        String op = "dgemmBatched";
        checkBatch(op, batch, aOffs, bOffs, cOffs);
        checkSizes(op, m, n, k);
        for (int i = 0; i < batch; i++) {
            checkOperands(op, transA, transB, m, n, k, a.length, aOffs[i], lda, b.length, bOffs[i], ldb, c.length, cOffs[i], ldc);
        }
        if (batch > 1 && threads > 1 && flops(m, n, k) < BATCH_SPLIT_FLOPS) {
            Parallel.forTasks(batch, i -> dgemmUnchecked(simd, 1, transA, transB, m, n, k, alpha,
                    a, aOffs[i], lda, b, bOffs[i], ldb, beta, c, cOffs[i], ldc));
        } else {
            for (int i = 0; i < batch; i++) {
                dgemmUnchecked(simd, threads, transA, transB, m, n, k, alpha, a, aOffs[i], lda, b, bOffs[i], ldb,
                        beta, c, cOffs[i], ldc);
            }
        }
    }

    private static void dgemmUnchecked(boolean simd, int threads, boolean transA, boolean transB,
                                       int m, int n, int k, double alpha, double[] a, int aOff, int lda,
                                       double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0d) {
            ScalarGemm.scale(m, n, beta, c, cOff, ldc);
            return;
        }
        boolean packed = simd && flops(m, n, k) >= DIRECT_FLOPS;
        int mr = packed ? DgemmKernel.MR : 1;
        int nr = packed ? DgemmKernel.NR : 1;
        int nc = packed ? DgemmKernel.NC : Integer.MAX_VALUE;
        Split split = Split.plan(m, n, k, threads, mr, nr, nc);
        Parallel.forTasks(split.tasks(), t -> {
            int m0 = split.rowStart(t), m1 = split.rowEnd(t), n0 = split.colStart(t), n1 = split.colEnd(t);
            if (m0 >= m1 || n0 >= n1) return;
            if (packed) {
                DgemmKernel.block(transA, transB, m0, m1, n0, n1, k, alpha, a, aOff, lda, b, bOff, ldb,
                        beta, c, cOff, ldc);
            } else {
                ScalarGemm.block(transA, transB, m0, m1, n0, n1, k, alpha, a, aOff, lda, b, bOff, ldb,
                        beta, c, cOff, ldc);
            }
        });
    }

    static long flops(int m, int n, int k) {
        return 2L * m * n * k;
    }

    /** The sizes and the three operands of one GEMM. */
    private static void checkOperands(String op, boolean transA, boolean transB, int m, int n, int k, int aLength, int aOff,
                                      int lda, int bLength, int bOff, int ldb, int cLength, int cOff, int ldc) {
        checkSizes(op, m, n, k);
        checkOperand(op, "A", transA, m, k, aLength, aOff, lda);
        checkOperand(op, "B", transB, k, n, bLength, bOff, ldb);
        checkOperand(op, "C", false, m, n, cLength, cOff, ldc);
    }

    private static void checkSizes(String op, int m, int n, int k) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException(op + ": sizes must be >= 0, got m=" + m + ", n=" + n + ", k=" + k);
        }
    }

    private static void checkBatch(String op, int batch, int[] aOffs, int[] bOffs, int[] cOffs) {
        if (batch < 0) throw new IllegalArgumentException(op + ": batch must be >= 0, got " + batch);
        if (aOffs.length < batch || bOffs.length < batch || cOffs.length < batch) {
            throw new IllegalArgumentException(op + ": offset arrays must hold batch=" + batch
                    + " entries, got aOffs " + aOffs.length + ", bOffs " + bOffs.length + ", cOffs " + cOffs.length);
        }
    }

    /** Checks that op(X) of rows x cols, stored transposed or not at off with stride ld, fits the array. */
    private static void checkOperand(String op, String name, boolean trans, int rows, int cols, int length,
                                     int off, int ld) {
        int storedRows = trans ? cols : rows;
        int storedCols = trans ? rows : cols;
        if (ld < storedCols) {
            throw new IllegalArgumentException(op + ": ld" + name.toLowerCase() + " must be >= " + storedCols
                    + " (row length of stored " + name + "[" + storedRows + "x" + storedCols + "]), got " + ld);
        }
        if (storedRows == 0 || storedCols == 0) return;
        long last = (long) off + (long) (storedRows - 1) * ld + storedCols;
        if (off < 0 || last > length) {
            throw new IllegalArgumentException(op + ": " + name + "[" + storedRows + "x" + storedCols + "] at offset "
                    + off + " with ld " + ld + " needs " + last + " elements, array has " + length);
        }
    }
}
