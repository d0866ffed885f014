package dev.tessera.tensor.cpu.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packed, cache-blocked DGEMM on the Vector API for one rectangular block of C (the float64 twin of
 * {@link SgemmKernel}, used for float64 references and gradient checks).
 *
 * <p>Classic three-level blocking: a KC x NC block of op(B) is packed into NR-wide column panels,
 * an MC x KC block of op(A) into MR-row slivers, and a register-blocked micro-kernel computes an
 * MR x NR tile of C from one sliver and one panel. The micro-kernel is 6 rows by 4 vectors (6 x 32
 * doubles with 512-bit vectors) when the machine has 512-bit vectors, else 6 rows by 2 vectors, so
 * that the accumulators fit the register file. Each C element is a sequential FMA chain over each
 * KC block of the reduction, combined in block order, so the result of an element does not depend
 * on which tile or thread computed it. Packing buffers are per thread, allocated once and
 * aligned to 64 bytes (see {@link ArrayLayout}).
 */
public final class DgemmKernel {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            ? DoubleVector.SPECIES_512 : DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int NV = S.vectorBitSize() >= 512 ? 4 : 2;
    /** Rows of the micro-kernel tile. */
    public static final int MR = 6;
    /** Columns of the micro-kernel tile. */
    public static final int NR = NV * L;
    /** Depth of a packed block: the reduction is split into blocks of at most this length. */
    public static final int KC = 256;
    /** Columns of a packed block of B. */
    public static final int NC = 512;
    /** Rows of a packed block of A. */
    public static final int MC = 192;

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
        double[] buf = BUFFER.get();
        int kb = kBlock(k);
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc);
            for (int pc = 0; pc < k; pc += kb) {
                int kc = Math.min(kb, k - pc);
                int mode = pc > 0 ? ACCUMULATE : (beta == 0d ? OVERWRITE : SCALE);
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
                                kernel(kc, buf, ai, buf, bi, c, ci, ldc, alpha, beta, mode);
                            } else {
                                edgeTile(kc, buf, ai, bi, c, ci, ldc, mr, nr, alpha, beta, mode);
                            }
                        }
                    }
                }
            }
        }
    }

    /** A partial tile: computed in full in a scratch tile with the same arithmetic, then copied out. */
    private static void edgeTile(int kc, double[] buf, int ai, int bi, double[] c, int ci, int ldc,
                                 int mr, int nr, double alpha, double beta, int mode) {
        if (mode != OVERWRITE) {
            for (int r = 0; r < mr; r++) System.arraycopy(c, ci + r * ldc, buf, T_BASE + r * NR, nr);
        }
        kernel(kc, buf, ai, buf, bi, buf, T_BASE, NR, alpha, beta, mode);
        for (int r = 0; r < mr; r++) System.arraycopy(buf, T_BASE + r * NR, c, ci + r * ldc, nr);
    }

    private static void kernel(int kc, double[] ap, int ai, double[] bp, int bi, double[] c, int ci, int ldc,
                               double alpha, double beta, int mode) {
        if (NV == 4) kernel6x4(kc, ap, ai, bp, bi, c, ci, ldc, alpha, beta, mode);
        else kernel6x2(kc, ap, ai, bp, bi, c, ci, ldc, alpha, beta, mode);
    }

    private static final int OVERWRITE = 0;
    private static final int SCALE = 1;
    private static final int ACCUMULATE = 2;

    /** c = alpha*acc (OVERWRITE), fma(acc, alpha, beta*c) (SCALE) or fma(acc, alpha, c) (ACCUMULATE). */
    private static void update(DoubleVector acc, double[] c, int off, DoubleVector av, DoubleVector bv, int mode) {
        DoubleVector r;
        if (mode == OVERWRITE) {
            r = acc.mul(av);
        } else {
            DoubleVector old = DoubleVector.fromArray(S, c, off);
            r = acc.fma(av, mode == SCALE ? old.mul(bv) : old);
        }
        r.intoArray(c, off);
    }

    /** Full 6x4-vector tile: {@code kc} rank-1 updates, then the C update selected by {@code mode}. */
    private static void kernel6x4(int kc, double[] ap, int ai, double[] bp, int bi, double[] c, int ci, int ldc, double alpha, double beta, int mode) {
        DoubleVector c00 = DoubleVector.zero(S); DoubleVector c01 = DoubleVector.zero(S); DoubleVector c02 = DoubleVector.zero(S); DoubleVector c03 = DoubleVector.zero(S);
        DoubleVector c10 = DoubleVector.zero(S); DoubleVector c11 = DoubleVector.zero(S); DoubleVector c12 = DoubleVector.zero(S); DoubleVector c13 = DoubleVector.zero(S);
        DoubleVector c20 = DoubleVector.zero(S); DoubleVector c21 = DoubleVector.zero(S); DoubleVector c22 = DoubleVector.zero(S); DoubleVector c23 = DoubleVector.zero(S);
        DoubleVector c30 = DoubleVector.zero(S); DoubleVector c31 = DoubleVector.zero(S); DoubleVector c32 = DoubleVector.zero(S); DoubleVector c33 = DoubleVector.zero(S);
        DoubleVector c40 = DoubleVector.zero(S); DoubleVector c41 = DoubleVector.zero(S); DoubleVector c42 = DoubleVector.zero(S); DoubleVector c43 = DoubleVector.zero(S);
        DoubleVector c50 = DoubleVector.zero(S); DoubleVector c51 = DoubleVector.zero(S); DoubleVector c52 = DoubleVector.zero(S); DoubleVector c53 = DoubleVector.zero(S);
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, bp, bi + 0 * L);
            DoubleVector b1 = DoubleVector.fromArray(S, bp, bi + 1 * L);
            DoubleVector b2 = DoubleVector.fromArray(S, bp, bi + 2 * L);
            DoubleVector b3 = DoubleVector.fromArray(S, bp, bi + 3 * L);
            DoubleVector a0 = DoubleVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            c03 = a0.fma(b3, c03);
            DoubleVector a1 = DoubleVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            c12 = a1.fma(b2, c12);
            c13 = a1.fma(b3, c13);
            DoubleVector a2 = DoubleVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            c22 = a2.fma(b2, c22);
            c23 = a2.fma(b3, c23);
            DoubleVector a3 = DoubleVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            c32 = a3.fma(b2, c32);
            c33 = a3.fma(b3, c33);
            DoubleVector a4 = DoubleVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            c42 = a4.fma(b2, c42);
            c43 = a4.fma(b3, c43);
            DoubleVector a5 = DoubleVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            c52 = a5.fma(b2, c52);
            c53 = a5.fma(b3, c53);
            ai += MR;
            bi += NR;
        }
        DoubleVector av = DoubleVector.broadcast(S, alpha);
        DoubleVector bv = DoubleVector.broadcast(S, beta);
        update(c00, c, ci + 0 * ldc + 0 * L, av, bv, mode);
        update(c01, c, ci + 0 * ldc + 1 * L, av, bv, mode);
        update(c02, c, ci + 0 * ldc + 2 * L, av, bv, mode);
        update(c03, c, ci + 0 * ldc + 3 * L, av, bv, mode);
        update(c10, c, ci + 1 * ldc + 0 * L, av, bv, mode);
        update(c11, c, ci + 1 * ldc + 1 * L, av, bv, mode);
        update(c12, c, ci + 1 * ldc + 2 * L, av, bv, mode);
        update(c13, c, ci + 1 * ldc + 3 * L, av, bv, mode);
        update(c20, c, ci + 2 * ldc + 0 * L, av, bv, mode);
        update(c21, c, ci + 2 * ldc + 1 * L, av, bv, mode);
        update(c22, c, ci + 2 * ldc + 2 * L, av, bv, mode);
        update(c23, c, ci + 2 * ldc + 3 * L, av, bv, mode);
        update(c30, c, ci + 3 * ldc + 0 * L, av, bv, mode);
        update(c31, c, ci + 3 * ldc + 1 * L, av, bv, mode);
        update(c32, c, ci + 3 * ldc + 2 * L, av, bv, mode);
        update(c33, c, ci + 3 * ldc + 3 * L, av, bv, mode);
        update(c40, c, ci + 4 * ldc + 0 * L, av, bv, mode);
        update(c41, c, ci + 4 * ldc + 1 * L, av, bv, mode);
        update(c42, c, ci + 4 * ldc + 2 * L, av, bv, mode);
        update(c43, c, ci + 4 * ldc + 3 * L, av, bv, mode);
        update(c50, c, ci + 5 * ldc + 0 * L, av, bv, mode);
        update(c51, c, ci + 5 * ldc + 1 * L, av, bv, mode);
        update(c52, c, ci + 5 * ldc + 2 * L, av, bv, mode);
        update(c53, c, ci + 5 * ldc + 3 * L, av, bv, mode);
    }

    /** Full 6x2-vector tile: {@code kc} rank-1 updates, then the C update selected by {@code mode}. */
    private static void kernel6x2(int kc, double[] ap, int ai, double[] bp, int bi, double[] c, int ci, int ldc, double alpha, double beta, int mode) {
        DoubleVector c00 = DoubleVector.zero(S); DoubleVector c01 = DoubleVector.zero(S);
        DoubleVector c10 = DoubleVector.zero(S); DoubleVector c11 = DoubleVector.zero(S);
        DoubleVector c20 = DoubleVector.zero(S); DoubleVector c21 = DoubleVector.zero(S);
        DoubleVector c30 = DoubleVector.zero(S); DoubleVector c31 = DoubleVector.zero(S);
        DoubleVector c40 = DoubleVector.zero(S); DoubleVector c41 = DoubleVector.zero(S);
        DoubleVector c50 = DoubleVector.zero(S); DoubleVector c51 = DoubleVector.zero(S);
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(S, bp, bi + 0 * L);
            DoubleVector b1 = DoubleVector.fromArray(S, bp, bi + 1 * L);
            DoubleVector a0 = DoubleVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            DoubleVector a4 = DoubleVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            DoubleVector a5 = DoubleVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            ai += MR;
            bi += NR;
        }
        DoubleVector av = DoubleVector.broadcast(S, alpha);
        DoubleVector bv = DoubleVector.broadcast(S, beta);
        update(c00, c, ci + 0 * ldc + 0 * L, av, bv, mode);
        update(c01, c, ci + 0 * ldc + 1 * L, av, bv, mode);
        update(c10, c, ci + 1 * ldc + 0 * L, av, bv, mode);
        update(c11, c, ci + 1 * ldc + 1 * L, av, bv, mode);
        update(c20, c, ci + 2 * ldc + 0 * L, av, bv, mode);
        update(c21, c, ci + 2 * ldc + 1 * L, av, bv, mode);
        update(c30, c, ci + 3 * ldc + 0 * L, av, bv, mode);
        update(c31, c, ci + 3 * ldc + 1 * L, av, bv, mode);
        update(c40, c, ci + 4 * ldc + 0 * L, av, bv, mode);
        update(c41, c, ci + 4 * ldc + 1 * L, av, bv, mode);
        update(c50, c, ci + 5 * ldc + 0 * L, av, bv, mode);
        update(c51, c, ci + 5 * ldc + 1 * L, av, bv, mode);
    }
}
