package dev.tessera.tensor.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packed, cache-blocked SGEMM on the Vector API for one rectangular block of C.
 *
 * <p>Classic three-level blocking: a KC x NC block of op(B) is packed into NR-wide column panels,
 * an MC x KC block of op(A) into MR-row slivers, and a register-blocked micro-kernel computes an
 * MR x NR tile of C from one sliver and one panel. The micro-kernel is 6 rows by 4 vectors (6 x 64
 * floats with 512-bit vectors) when the machine has 512-bit vectors, else 6 rows by 2 vectors, so
 * that the accumulators fit the register file. Each C element is a sequential FMA chain over each
 * KC block of the reduction, combined in block order, so the result of an element does not depend
 * on which tile or thread computed it. Packing buffers are per thread, allocated once and
 * aligned to 64 bytes (see {@link ArrayLayout}).
 */
public final class SgemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
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

    private static final int ALIGN = ArrayLayout.alignedStart(Float.BYTES);
    private static final int B_BASE = ALIGN;
    private static final int A_BASE = B_BASE + NC * KC;
    private static final int T_BASE = A_BASE + MC * KC;
    private static final int NEEDED = T_BASE + MR * NR - ALIGN;
    private static final ThreadLocal<float[]> BUFFER =
            ThreadLocal.withInitial(() -> new float[ArrayLayout.bufferLength(NEEDED, Float.BYTES)]);

    private SgemmKernel() {}

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
                             float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        float[] buf = BUFFER.get();
        int kb = kBlock(k);
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc);
            for (int pc = 0; pc < k; pc += kb) {
                int kc = Math.min(kb, k - pc);
                int mode = pc > 0 ? ACCUMULATE : (beta == 0f ? OVERWRITE : SCALE);
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
    private static void edgeTile(int kc, float[] buf, int ai, int bi, float[] c, int ci, int ldc,
                                 int mr, int nr, float alpha, float beta, int mode) {
        if (mode != OVERWRITE) {
            for (int r = 0; r < mr; r++) System.arraycopy(c, ci + r * ldc, buf, T_BASE + r * NR, nr);
        }
        kernel(kc, buf, ai, buf, bi, buf, T_BASE, NR, alpha, beta, mode);
        for (int r = 0; r < mr; r++) System.arraycopy(buf, T_BASE + r * NR, c, ci + r * ldc, nr);
    }

    private static void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc,
                               float alpha, float beta, int mode) {
        if (NV == 4) kernel6x4(kc, ap, ai, bp, bi, c, ci, ldc, alpha, beta, mode);
        else kernel6x2(kc, ap, ai, bp, bi, c, ci, ldc, alpha, beta, mode);
    }

    private static final int OVERWRITE = 0;
    private static final int SCALE = 1;
    private static final int ACCUMULATE = 2;

    /** c = alpha*acc (OVERWRITE), fma(acc, alpha, beta*c) (SCALE) or fma(acc, alpha, c) (ACCUMULATE). */
    private static void update(FloatVector acc, float[] c, int off, FloatVector av, FloatVector bv, int mode) {
        FloatVector r;
        if (mode == OVERWRITE) {
            r = acc.mul(av);
        } else {
            FloatVector old = FloatVector.fromArray(S, c, off);
            r = acc.fma(av, mode == SCALE ? old.mul(bv) : old);
        }
        r.intoArray(c, off);
    }

    /** Full 6x4-vector tile: {@code kc} rank-1 updates, then the C update selected by {@code mode}. */
    private static void kernel6x4(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, float alpha, float beta, int mode) {
        FloatVector c00 = FloatVector.zero(S); FloatVector c01 = FloatVector.zero(S); FloatVector c02 = FloatVector.zero(S); FloatVector c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S); FloatVector c11 = FloatVector.zero(S); FloatVector c12 = FloatVector.zero(S); FloatVector c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S); FloatVector c21 = FloatVector.zero(S); FloatVector c22 = FloatVector.zero(S); FloatVector c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S); FloatVector c31 = FloatVector.zero(S); FloatVector c32 = FloatVector.zero(S); FloatVector c33 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S); FloatVector c41 = FloatVector.zero(S); FloatVector c42 = FloatVector.zero(S); FloatVector c43 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S); FloatVector c51 = FloatVector.zero(S); FloatVector c52 = FloatVector.zero(S); FloatVector c53 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, bp, bi + 3 * L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            c03 = a0.fma(b3, c03);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            c12 = a1.fma(b2, c12);
            c13 = a1.fma(b3, c13);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            c22 = a2.fma(b2, c22);
            c23 = a2.fma(b3, c23);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            c32 = a3.fma(b2, c32);
            c33 = a3.fma(b3, c33);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            c42 = a4.fma(b2, c42);
            c43 = a4.fma(b3, c43);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            c52 = a5.fma(b2, c52);
            c53 = a5.fma(b3, c53);
            ai += MR;
            bi += NR;
        }
        FloatVector av = FloatVector.broadcast(S, alpha);
        FloatVector bv = FloatVector.broadcast(S, beta);
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
    private static void kernel6x2(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, float alpha, float beta, int mode) {
        FloatVector c00 = FloatVector.zero(S); FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S); FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S); FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S); FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S); FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S); FloatVector c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            ai += MR;
            bi += NR;
        }
        FloatVector av = FloatVector.broadcast(S, alpha);
        FloatVector bv = FloatVector.broadcast(S, beta);
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
