package dev.tessera.tensor.internal.cpu.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packed, cache-blocked DGEMM on the Vector API for one rectangular block of C: the float64 twin
 * of {@link SgemmKernel}, used for float64 references and gradient checks.
 *
 * <p>Three-level blocking: a KC x NC block of op(B) is packed into NR-wide column panels, an
 * MC x KC block of op(A) into MR-row slivers, and a register-blocked micro-kernel computes an
 * MR x NR tile of C from one sliver and one panel. With 512-bit vectors the micro-kernel is 12 rows
 * by 2 vectors (12 x 16 doubles, 24 accumulators; its 32 KiB B panel stays in L1, which measured
 * faster than 6 x 64 on the AVX-512 machine it was tuned on); with narrower vectors it is 6 rows by
 * 2 vectors, so the accumulators fit 16 registers.
 *
 * <p>C is first scaled by beta (zeroed when beta is 0, so old NaNs vanish); every KC block then adds
 * {@code alpha * acc} with one FMA. The kernel has a single update form, so its JIT profile never
 * changes between calls (a second form once caused a deoptimisation into slow tiered code). Each C
 * element is a sequential FMA chain per KC block, blocks combined in order, so its value does not
 * depend on which tile or thread computed it. Packing buffers are per thread, allocated once and
 * aligned to 64 bytes (see {@link ArrayLayout}).
 */
public final class DgemmKernel {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            ? DoubleVector.SPECIES_512 : DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final boolean WIDE = S.vectorBitSize() >= 512;
    /** Rows of the micro-kernel tile. */
    public static final int MR = WIDE ? 12 : 6;
    /** Columns of the micro-kernel tile. */
    public static final int NR = 2 * L;
    /** Depth of a packed block: the reduction is split into blocks of at most this length. */
    public static final int KC = 256;
    /** Columns of a packed block of B. */
    public static final int NC = 1024;
    /** Rows of a packed block of A (a multiple of MR). */
    public static final int MC = 144;

    private static final int ALIGN = ArrayLayout.alignedStart(Double.BYTES);
    private static final int B_BASE = ALIGN;
    private static final int A_BASE = B_BASE + NC * KC;
    private static final int T_BASE = A_BASE + MC * KC;
    private static final int NEEDED = T_BASE + MR * NR - ALIGN;
    private static final ThreadLocal<double[]> BUFFER =
            ThreadLocal.withInitial(() -> new double[ArrayLayout.bufferLength(NEEDED, Double.BYTES)]);

    private DgemmKernel() {}

    /** Length of the reduction blocks used for a reduction of length {@code k}: a function of k only. */
    public static int kBlock(int k) {
        int blocks = Math.max(1, (k + KC - 1) / KC);
        return (k + blocks - 1) / blocks;
    }

    /**
     * Computes rows {@code [m0, m1)} and columns {@code [n0, n1)} of
     * {@code C = alpha * op(A) * op(B) + beta * C} (row-major, BLAS conventions, {@code k >= 1}).
     * When {@code beta == 0} the old content of C is ignored.
     */
    public static void block(boolean transA, boolean transB, int m0, int m1, int n0, int n1, int k,
                             double alpha, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                             double beta, double[] c, int cOff, int ldc) {
        scale(m0, m1, n0, n1, beta, c, cOff, ldc);
        double[] buf = BUFFER.get();
        int kb = kBlock(k);
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc);
            for (int pc = 0; pc < k; pc += kb) {
                int kc = Math.min(kb, k - pc);
                Packing.packB(transB, b, bOff, ldb, pc, kc, jc, nc, NR, buf, B_BASE);
                for (int ic = m0; ic < m1; ic += MC) {
                    int mc = Math.min(MC, m1 - ic);
                    Packing.packA(transA, a, aOff, lda, ic, mc, pc, kc, MR, buf, A_BASE);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        int bi = B_BASE + (jr / NR) * kc * NR;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int ai = A_BASE + (ir / MR) * kc * MR;
                            int ci = cOff + (ic + ir) * ldc + jc + jr;
                            if (mr == MR && nr == NR) {
                                kernel(kc, buf, ai, buf, bi, c, ci, ldc, alpha);
                            } else {
                                edgeTile(kc, buf, ai, bi, c, ci, ldc, mr, nr, alpha);
                            }
                        }
                    }
                }
            }
        }
    }

    /** {@code C = beta * C} over the block; zeros when beta is 0, whatever C held. */
    private static void scale(int m0, int m1, int n0, int n1, double beta, double[] c, int cOff, int ldc) {
        if (beta == 1d) return;
        for (int i = m0; i < m1; i++) {
            int ci = cOff + i * ldc;
            if (beta == 0d) {
                java.util.Arrays.fill(c, ci + n0, ci + n1, 0d);
            } else {
                for (int j = n0; j < n1; j++) c[ci + j] *= beta;
            }
        }
    }

    /** A partial tile: computed in full in a scratch tile with the same arithmetic, then copied out. */
    private static void edgeTile(int kc, double[] buf, int ai, int bi, double[] c, int ci, int ldc,
                                 int mr, int nr, double alpha) {
        for (int r = 0; r < mr; r++) System.arraycopy(c, ci + r * ldc, buf, T_BASE + r * NR, nr);
        kernel(kc, buf, ai, buf, bi, buf, T_BASE, NR, alpha);
        for (int r = 0; r < mr; r++) System.arraycopy(buf, T_BASE + r * NR, c, ci + r * ldc, nr);
    }

    private static void kernel(int kc, double[] ap, int ai, double[] bp, int bi, double[] c, int ci, int ldc,
                               double alpha) {
        if (WIDE) kernel12x2(kc, ap, ai, bp, bi, c, ci, ldc, alpha);
        else kernel6x2(kc, ap, ai, bp, bi, c, ci, ldc, alpha);
    }

    private static void update(DoubleVector acc, double[] c, int off, DoubleVector av) {
        acc.fma(av, DoubleVector.fromArray(S, c, off)).intoArray(c, off);
    }

    /** Full 12-row x 2-vector tile: {@code kc} rank-1 updates, then {@code C = fma(acc, alpha, C)}. */
    private static void kernel12x2(int kc, double[] ap, int ai, double[] bp, int bi, double[] c, int ci, int ldc, double alpha) {
        DoubleVector c0_0 = DoubleVector.zero(S); DoubleVector c0_1 = DoubleVector.zero(S);
        DoubleVector c1_0 = DoubleVector.zero(S); DoubleVector c1_1 = DoubleVector.zero(S);
        DoubleVector c2_0 = DoubleVector.zero(S); DoubleVector c2_1 = DoubleVector.zero(S);
        DoubleVector c3_0 = DoubleVector.zero(S); DoubleVector c3_1 = DoubleVector.zero(S);
        DoubleVector c4_0 = DoubleVector.zero(S); DoubleVector c4_1 = DoubleVector.zero(S);
        DoubleVector c5_0 = DoubleVector.zero(S); DoubleVector c5_1 = DoubleVector.zero(S);
        DoubleVector c6_0 = DoubleVector.zero(S); DoubleVector c6_1 = DoubleVector.zero(S);
        DoubleVector c7_0 = DoubleVector.zero(S); DoubleVector c7_1 = DoubleVector.zero(S);
        DoubleVector c8_0 = DoubleVector.zero(S); DoubleVector c8_1 = DoubleVector.zero(S);
        DoubleVector c9_0 = DoubleVector.zero(S); DoubleVector c9_1 = DoubleVector.zero(S);
        DoubleVector c10_0 = DoubleVector.zero(S); DoubleVector c10_1 = DoubleVector.zero(S);
        DoubleVector c11_0 = DoubleVector.zero(S); DoubleVector c11_1 = DoubleVector.zero(S);
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, bp, bi + 0 * L);
            DoubleVector b1 = DoubleVector.fromArray(S, bp, bi + 1 * L);
            DoubleVector a0 = DoubleVector.broadcast(S, ap[ai + 0]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            DoubleVector a1 = DoubleVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            DoubleVector a2 = DoubleVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            DoubleVector a3 = DoubleVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            DoubleVector a4 = DoubleVector.broadcast(S, ap[ai + 4]);
            c4_0 = a4.fma(b0, c4_0);
            c4_1 = a4.fma(b1, c4_1);
            DoubleVector a5 = DoubleVector.broadcast(S, ap[ai + 5]);
            c5_0 = a5.fma(b0, c5_0);
            c5_1 = a5.fma(b1, c5_1);
            DoubleVector a6 = DoubleVector.broadcast(S, ap[ai + 6]);
            c6_0 = a6.fma(b0, c6_0);
            c6_1 = a6.fma(b1, c6_1);
            DoubleVector a7 = DoubleVector.broadcast(S, ap[ai + 7]);
            c7_0 = a7.fma(b0, c7_0);
            c7_1 = a7.fma(b1, c7_1);
            DoubleVector a8 = DoubleVector.broadcast(S, ap[ai + 8]);
            c8_0 = a8.fma(b0, c8_0);
            c8_1 = a8.fma(b1, c8_1);
            DoubleVector a9 = DoubleVector.broadcast(S, ap[ai + 9]);
            c9_0 = a9.fma(b0, c9_0);
            c9_1 = a9.fma(b1, c9_1);
            DoubleVector a10 = DoubleVector.broadcast(S, ap[ai + 10]);
            c10_0 = a10.fma(b0, c10_0);
            c10_1 = a10.fma(b1, c10_1);
            DoubleVector a11 = DoubleVector.broadcast(S, ap[ai + 11]);
            c11_0 = a11.fma(b0, c11_0);
            c11_1 = a11.fma(b1, c11_1);
            ai += 12;
            bi += 2 * L;
        }
        DoubleVector av = DoubleVector.broadcast(S, alpha);
        update(c0_0, c, ci + 0 * ldc + 0 * L, av);
        update(c0_1, c, ci + 0 * ldc + 1 * L, av);
        update(c1_0, c, ci + 1 * ldc + 0 * L, av);
        update(c1_1, c, ci + 1 * ldc + 1 * L, av);
        update(c2_0, c, ci + 2 * ldc + 0 * L, av);
        update(c2_1, c, ci + 2 * ldc + 1 * L, av);
        update(c3_0, c, ci + 3 * ldc + 0 * L, av);
        update(c3_1, c, ci + 3 * ldc + 1 * L, av);
        update(c4_0, c, ci + 4 * ldc + 0 * L, av);
        update(c4_1, c, ci + 4 * ldc + 1 * L, av);
        update(c5_0, c, ci + 5 * ldc + 0 * L, av);
        update(c5_1, c, ci + 5 * ldc + 1 * L, av);
        update(c6_0, c, ci + 6 * ldc + 0 * L, av);
        update(c6_1, c, ci + 6 * ldc + 1 * L, av);
        update(c7_0, c, ci + 7 * ldc + 0 * L, av);
        update(c7_1, c, ci + 7 * ldc + 1 * L, av);
        update(c8_0, c, ci + 8 * ldc + 0 * L, av);
        update(c8_1, c, ci + 8 * ldc + 1 * L, av);
        update(c9_0, c, ci + 9 * ldc + 0 * L, av);
        update(c9_1, c, ci + 9 * ldc + 1 * L, av);
        update(c10_0, c, ci + 10 * ldc + 0 * L, av);
        update(c10_1, c, ci + 10 * ldc + 1 * L, av);
        update(c11_0, c, ci + 11 * ldc + 0 * L, av);
        update(c11_1, c, ci + 11 * ldc + 1 * L, av);
    }

    /** Full 6-row x 2-vector tile: {@code kc} rank-1 updates, then {@code C = fma(acc, alpha, C)}. */
    private static void kernel6x2(int kc, double[] ap, int ai, double[] bp, int bi, double[] c, int ci, int ldc, double alpha) {
        DoubleVector c0_0 = DoubleVector.zero(S); DoubleVector c0_1 = DoubleVector.zero(S);
        DoubleVector c1_0 = DoubleVector.zero(S); DoubleVector c1_1 = DoubleVector.zero(S);
        DoubleVector c2_0 = DoubleVector.zero(S); DoubleVector c2_1 = DoubleVector.zero(S);
        DoubleVector c3_0 = DoubleVector.zero(S); DoubleVector c3_1 = DoubleVector.zero(S);
        DoubleVector c4_0 = DoubleVector.zero(S); DoubleVector c4_1 = DoubleVector.zero(S);
        DoubleVector c5_0 = DoubleVector.zero(S); DoubleVector c5_1 = DoubleVector.zero(S);
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, bp, bi + 0 * L);
            DoubleVector b1 = DoubleVector.fromArray(S, bp, bi + 1 * L);
            DoubleVector a0 = DoubleVector.broadcast(S, ap[ai + 0]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            DoubleVector a1 = DoubleVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            DoubleVector a2 = DoubleVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            DoubleVector a3 = DoubleVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            DoubleVector a4 = DoubleVector.broadcast(S, ap[ai + 4]);
            c4_0 = a4.fma(b0, c4_0);
            c4_1 = a4.fma(b1, c4_1);
            DoubleVector a5 = DoubleVector.broadcast(S, ap[ai + 5]);
            c5_0 = a5.fma(b0, c5_0);
            c5_1 = a5.fma(b1, c5_1);
            ai += 6;
            bi += 2 * L;
        }
        DoubleVector av = DoubleVector.broadcast(S, alpha);
        update(c0_0, c, ci + 0 * ldc + 0 * L, av);
        update(c0_1, c, ci + 0 * ldc + 1 * L, av);
        update(c1_0, c, ci + 1 * ldc + 0 * L, av);
        update(c1_1, c, ci + 1 * ldc + 1 * L, av);
        update(c2_0, c, ci + 2 * ldc + 0 * L, av);
        update(c2_1, c, ci + 2 * ldc + 1 * L, av);
        update(c3_0, c, ci + 3 * ldc + 0 * L, av);
        update(c3_1, c, ci + 3 * ldc + 1 * L, av);
        update(c4_0, c, ci + 4 * ldc + 0 * L, av);
        update(c4_1, c, ci + 4 * ldc + 1 * L, av);
        update(c5_0, c, ci + 5 * ldc + 0 * L, av);
        update(c5_1, c, ci + 5 * ldc + 1 * L, av);
    }
}
