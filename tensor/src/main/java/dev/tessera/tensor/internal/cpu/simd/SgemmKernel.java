package dev.tessera.tensor.internal.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packed, cache-blocked SGEMM on the Vector API for one rectangular block of C.
 *
 * <p>Three-level blocking: a KC x NC block of op(B) is packed into NR-wide column panels, an
 * MC x KC block of op(A) into MR-row slivers, and a register-blocked micro-kernel computes an
 * MR x NR tile of C from one sliver and one panel. With 512-bit vectors the micro-kernel is 12 rows
 * by 2 vectors (12 x 32 floats, 24 accumulators; its 32 KiB B panel stays in L1, which measured
 * faster than 6 x 64 on the AVX-512 machine it was tuned on); with narrower vectors it is 6 rows by
 * 2 vectors, so the accumulators fit 16 registers.
 *
 * <p>Each MC x NC block of C is first scaled by beta (zeroed when beta is 0, so old NaNs vanish) or
 * set to the bias row, just before its first use; every KC block then adds {@code alpha * acc} with
 * one FMA. The kernel has a single update form, so its JIT profile never changes between calls (a
 * second form once caused a deoptimisation into slow tiered code). Each C
 * element is a sequential FMA chain per KC block, blocks combined in order, so its value does not
 * depend on which tile or thread computed it. Packing buffers are per thread, allocated once and
 * aligned to 64 bytes (see {@link ArrayLayout}).
 */
public final class SgemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
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
        block(transA, transB, m0, m1, n0, n1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, null, 0, c, cOff, ldc);
    }

    /**
     * {@link #block} with C starting from a row vector instead of {@code beta * C} when {@code bias} is not null:
     * {@code C = alpha * op(A) * op(B) + bias} (bias element j at {@code biasOff + j}), the bias written into each
     * block of C just before the block's first kernel pass, so the sum costs no pass of its own.
     */
    public static void block(boolean transA, boolean transB, int m0, int m1, int n0, int n1, int k,
                             float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] bias, int biasOff, float[] c, int cOff, int ldc) {
        float[] buf = BUFFER.get();
        int kb = kBlock(k);
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc);
            for (int pc = 0; pc < k; pc += kb) {
                int kc = Math.min(kb, k - pc);
                Packing.packB(transB, b, bOff, ldb, pc, kc, jc, nc, NR, buf, B_BASE);
                for (int ic = m0; ic < m1; ic += MC) {
                    int mc = Math.min(MC, m1 - ic);
                    Packing.packA(transA, a, aOff, lda, ic, mc, pc, kc, MR, buf, A_BASE);
                    // scaled (zeroed for beta 0) block by block just before the first use, while the block is
                    // still in cache when the kernels read it back; scaling all of C up front sent a large C
                    // through memory twice
                    if (pc == 0) {
                        if (bias != null) fillRows(ic, ic + mc, jc, jc + nc, bias, biasOff, c, cOff, ldc);
                        else scale(ic, ic + mc, jc, jc + nc, beta, c, cOff, ldc);
                    }
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

    /** Rows {@code [m0, m1)}, columns {@code [n0, n1)} of C set to the bias row. */
    private static void fillRows(int m0, int m1, int n0, int n1, float[] bias, int biasOff, float[] c, int cOff, int ldc) {
        for (int i = m0; i < m1; i++) System.arraycopy(bias, biasOff + n0, c, cOff + i * ldc + n0, n1 - n0);
    }

    /** {@code C = beta * C} over the block; zeros when beta is 0, whatever C held. */
    private static void scale(int m0, int m1, int n0, int n1, float beta, float[] c, int cOff, int ldc) {
        if (beta == 1f) return;
        for (int i = m0; i < m1; i++) {
            int ci = cOff + i * ldc;
            if (beta == 0f) {
                java.util.Arrays.fill(c, ci + n0, ci + n1, 0f);
            } else {
                for (int j = n0; j < n1; j++) c[ci + j] *= beta;
            }
        }
    }

    /** A partial tile: computed in full in a scratch tile with the same arithmetic, then copied out. */
    private static void edgeTile(int kc, float[] buf, int ai, int bi, float[] c, int ci, int ldc,
                                 int mr, int nr, float alpha) {
        for (int r = 0; r < mr; r++) System.arraycopy(c, ci + r * ldc, buf, T_BASE + r * NR, nr);
        kernel(kc, buf, ai, buf, bi, buf, T_BASE, NR, alpha);
        for (int r = 0; r < mr; r++) System.arraycopy(buf, T_BASE + r * NR, c, ci + r * ldc, nr);
    }

    private static void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc,
                               float alpha) {
        if (WIDE) kernel12x2(kc, ap, ai, bp, bi, c, ci, ldc, alpha);
        else kernel6x2(kc, ap, ai, bp, bi, c, ci, ldc, alpha);
    }

    /** Full 12-row x 2-vector tile: {@code kc} rank-1 updates, then {@code C = fma(acc, alpha, C)}. */
    private static void kernel12x2(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, float alpha) {
        FloatVector c0_0 = FloatVector.zero(S); FloatVector c0_1 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S); FloatVector c1_1 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S); FloatVector c2_1 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S); FloatVector c3_1 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S); FloatVector c4_1 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S); FloatVector c5_1 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S); FloatVector c6_1 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S); FloatVector c7_1 = FloatVector.zero(S);
        FloatVector c8_0 = FloatVector.zero(S); FloatVector c8_1 = FloatVector.zero(S);
        FloatVector c9_0 = FloatVector.zero(S); FloatVector c9_1 = FloatVector.zero(S);
        FloatVector c10_0 = FloatVector.zero(S); FloatVector c10_1 = FloatVector.zero(S);
        FloatVector c11_0 = FloatVector.zero(S); FloatVector c11_1 = FloatVector.zero(S);
        // The shape of this method is tuned to C2 (JDK 25): a main loop plus a remainder loop that never runs, and the
        // C updates written out rather than through a helper method. In that form every accumulator keeps its own register;
        // a single loop, or the helper calls, compiled with vector moves in the loop body and ran 20-40 % slower.
        int p = 0;
        for (; p + 0 < kc; p += 1) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a4.fma(b0, c4_0);
            c4_1 = a4.fma(b1, c4_1);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a5.fma(b0, c5_0);
            c5_1 = a5.fma(b1, c5_1);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a6.fma(b0, c6_0);
            c6_1 = a6.fma(b1, c6_1);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a7.fma(b0, c7_0);
            c7_1 = a7.fma(b1, c7_1);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + 8]);
            c8_0 = a8.fma(b0, c8_0);
            c8_1 = a8.fma(b1, c8_1);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + 9]);
            c9_0 = a9.fma(b0, c9_0);
            c9_1 = a9.fma(b1, c9_1);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + 10]);
            c10_0 = a10.fma(b0, c10_0);
            c10_1 = a10.fma(b1, c10_1);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + 11]);
            c11_0 = a11.fma(b0, c11_0);
            c11_1 = a11.fma(b1, c11_1);
            ai += 12; bi += 32;
        }
        for (; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a4.fma(b0, c4_0);
            c4_1 = a4.fma(b1, c4_1);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a5.fma(b0, c5_0);
            c5_1 = a5.fma(b1, c5_1);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c6_0 = a6.fma(b0, c6_0);
            c6_1 = a6.fma(b1, c6_1);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c7_0 = a7.fma(b0, c7_0);
            c7_1 = a7.fma(b1, c7_1);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + 8]);
            c8_0 = a8.fma(b0, c8_0);
            c8_1 = a8.fma(b1, c8_1);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + 9]);
            c9_0 = a9.fma(b0, c9_0);
            c9_1 = a9.fma(b1, c9_1);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + 10]);
            c10_0 = a10.fma(b0, c10_0);
            c10_1 = a10.fma(b1, c10_1);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + 11]);
            c11_0 = a11.fma(b0, c11_0);
            c11_1 = a11.fma(b1, c11_1);
            ai += 12; bi += 32;
        }
        FloatVector av = FloatVector.broadcast(S, alpha);
        c0_0.fma(av, FloatVector.fromArray(S, c, ci + 0 * ldc + 0)).intoArray(c, ci + 0 * ldc + 0);
        c0_1.fma(av, FloatVector.fromArray(S, c, ci + 0 * ldc + 16)).intoArray(c, ci + 0 * ldc + 16);
        c1_0.fma(av, FloatVector.fromArray(S, c, ci + 1 * ldc + 0)).intoArray(c, ci + 1 * ldc + 0);
        c1_1.fma(av, FloatVector.fromArray(S, c, ci + 1 * ldc + 16)).intoArray(c, ci + 1 * ldc + 16);
        c2_0.fma(av, FloatVector.fromArray(S, c, ci + 2 * ldc + 0)).intoArray(c, ci + 2 * ldc + 0);
        c2_1.fma(av, FloatVector.fromArray(S, c, ci + 2 * ldc + 16)).intoArray(c, ci + 2 * ldc + 16);
        c3_0.fma(av, FloatVector.fromArray(S, c, ci + 3 * ldc + 0)).intoArray(c, ci + 3 * ldc + 0);
        c3_1.fma(av, FloatVector.fromArray(S, c, ci + 3 * ldc + 16)).intoArray(c, ci + 3 * ldc + 16);
        c4_0.fma(av, FloatVector.fromArray(S, c, ci + 4 * ldc + 0)).intoArray(c, ci + 4 * ldc + 0);
        c4_1.fma(av, FloatVector.fromArray(S, c, ci + 4 * ldc + 16)).intoArray(c, ci + 4 * ldc + 16);
        c5_0.fma(av, FloatVector.fromArray(S, c, ci + 5 * ldc + 0)).intoArray(c, ci + 5 * ldc + 0);
        c5_1.fma(av, FloatVector.fromArray(S, c, ci + 5 * ldc + 16)).intoArray(c, ci + 5 * ldc + 16);
        c6_0.fma(av, FloatVector.fromArray(S, c, ci + 6 * ldc + 0)).intoArray(c, ci + 6 * ldc + 0);
        c6_1.fma(av, FloatVector.fromArray(S, c, ci + 6 * ldc + 16)).intoArray(c, ci + 6 * ldc + 16);
        c7_0.fma(av, FloatVector.fromArray(S, c, ci + 7 * ldc + 0)).intoArray(c, ci + 7 * ldc + 0);
        c7_1.fma(av, FloatVector.fromArray(S, c, ci + 7 * ldc + 16)).intoArray(c, ci + 7 * ldc + 16);
        c8_0.fma(av, FloatVector.fromArray(S, c, ci + 8 * ldc + 0)).intoArray(c, ci + 8 * ldc + 0);
        c8_1.fma(av, FloatVector.fromArray(S, c, ci + 8 * ldc + 16)).intoArray(c, ci + 8 * ldc + 16);
        c9_0.fma(av, FloatVector.fromArray(S, c, ci + 9 * ldc + 0)).intoArray(c, ci + 9 * ldc + 0);
        c9_1.fma(av, FloatVector.fromArray(S, c, ci + 9 * ldc + 16)).intoArray(c, ci + 9 * ldc + 16);
        c10_0.fma(av, FloatVector.fromArray(S, c, ci + 10 * ldc + 0)).intoArray(c, ci + 10 * ldc + 0);
        c10_1.fma(av, FloatVector.fromArray(S, c, ci + 10 * ldc + 16)).intoArray(c, ci + 10 * ldc + 16);
        c11_0.fma(av, FloatVector.fromArray(S, c, ci + 11 * ldc + 0)).intoArray(c, ci + 11 * ldc + 0);
        c11_1.fma(av, FloatVector.fromArray(S, c, ci + 11 * ldc + 16)).intoArray(c, ci + 11 * ldc + 16);
    }

    /** Full 6-row x 2-vector tile: {@code kc} rank-1 updates, then {@code C = fma(acc, alpha, C)}. */
    private static void kernel6x2(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, float alpha) {
        FloatVector c0_0 = FloatVector.zero(S); FloatVector c0_1 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S); FloatVector c1_1 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S); FloatVector c2_1 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S); FloatVector c3_1 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S); FloatVector c4_1 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S); FloatVector c5_1 = FloatVector.zero(S);
        // same shape as kernel12x2, for the same reason
        int p = 0;
        for (; p + 0 < kc; p += 1) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a4.fma(b0, c4_0);
            c4_1 = a4.fma(b1, c4_1);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a5.fma(b0, c5_0);
            c5_1 = a5.fma(b1, c5_1);
            ai += 6;
            bi += 2 * L;
        }
        for (; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c0_0 = a0.fma(b0, c0_0);
            c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c1_0 = a1.fma(b0, c1_0);
            c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c2_0 = a2.fma(b0, c2_0);
            c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c3_0 = a3.fma(b0, c3_0);
            c3_1 = a3.fma(b1, c3_1);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c4_0 = a4.fma(b0, c4_0);
            c4_1 = a4.fma(b1, c4_1);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c5_0 = a5.fma(b0, c5_0);
            c5_1 = a5.fma(b1, c5_1);
            ai += 6;
            bi += 2 * L;
        }
        FloatVector av = FloatVector.broadcast(S, alpha);
        c0_0.fma(av, FloatVector.fromArray(S, c, ci + 0 * ldc + 0 * L)).intoArray(c, ci + 0 * ldc + 0 * L);
        c0_1.fma(av, FloatVector.fromArray(S, c, ci + 0 * ldc + 1 * L)).intoArray(c, ci + 0 * ldc + 1 * L);
        c1_0.fma(av, FloatVector.fromArray(S, c, ci + 1 * ldc + 0 * L)).intoArray(c, ci + 1 * ldc + 0 * L);
        c1_1.fma(av, FloatVector.fromArray(S, c, ci + 1 * ldc + 1 * L)).intoArray(c, ci + 1 * ldc + 1 * L);
        c2_0.fma(av, FloatVector.fromArray(S, c, ci + 2 * ldc + 0 * L)).intoArray(c, ci + 2 * ldc + 0 * L);
        c2_1.fma(av, FloatVector.fromArray(S, c, ci + 2 * ldc + 1 * L)).intoArray(c, ci + 2 * ldc + 1 * L);
        c3_0.fma(av, FloatVector.fromArray(S, c, ci + 3 * ldc + 0 * L)).intoArray(c, ci + 3 * ldc + 0 * L);
        c3_1.fma(av, FloatVector.fromArray(S, c, ci + 3 * ldc + 1 * L)).intoArray(c, ci + 3 * ldc + 1 * L);
        c4_0.fma(av, FloatVector.fromArray(S, c, ci + 4 * ldc + 0 * L)).intoArray(c, ci + 4 * ldc + 0 * L);
        c4_1.fma(av, FloatVector.fromArray(S, c, ci + 4 * ldc + 1 * L)).intoArray(c, ci + 4 * ldc + 1 * L);
        c5_0.fma(av, FloatVector.fromArray(S, c, ci + 5 * ldc + 0 * L)).intoArray(c, ci + 5 * ldc + 0 * L);
        c5_1.fma(av, FloatVector.fromArray(S, c, ci + 5 * ldc + 1 * L)).intoArray(c, ci + 5 * ldc + 1 * L);
    }
}
