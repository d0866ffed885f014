package dev.tessera.tensor.internal.cpu.simd;

import dev.tessera.tensor.internal.cpu.AttentionKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The attention kernels on the Vector API. The block products use a register tile of
 * {@link #rowTile()} rows by two vectors: 8 x 32 floats (16 accumulators) with 512-bit vectors,
 * 4 x 2 vectors with narrower ones so the accumulators fit 16 registers. The A operand is read in
 * place (broadcast from memory) in both layouts, so neither the probabilities nor the queries are
 * repacked for the second product; B is read as vectors from rows of its storage. Tiles are walked
 * column strip by column strip, so one strip of B stays in L1 while the row tiles pass over it.
 *
 * <p>The softmax operations work columnwise on blocks stored by rows (one lane per query), so they need
 * no horizontal reductions: running maxima and sums add rows in order, lane by lane. exp is
 * {@link #expNonPositive}, plain lane arithmetic (deterministic bits), so every result is a fixed
 * function of the inputs.
 */
public final class VectorAttentionKernels implements AttentionKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final boolean WIDE = S.vectorBitSize() >= 512;
    private static final int MR = WIDE ? 8 : 4;
    private static final int NR = 2 * L;
    private static final VectorMask<Float> ALL = S.maskAll(true);

    /** Creates the kernels (one instance is enough; they hold no state). */
    public VectorAttentionKernels() {}

    @Override
    public int rowTile() {
        return MR;
    }

    @Override
    public int colTile() {
        return NR;
    }

    // ------------------------------------------------------------------ block products

    @Override
    public void gemmTN(int m, int n, int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc,
                       boolean accumulate) {
        int nFull = n - n % NR, mFull = m - m % MR;
        for (int j = 0; j < nFull; j += NR) {
            for (int r = 0; r < mFull; r += MR) {
                if (WIDE) tileTN8(kc, a, ao + r, as, b, bo + j, bs, c, co + r * ldc + j, ldc, accumulate);
                else tileTN4(kc, a, ao + r, as, b, bo + j, bs, c, co + r * ldc + j, ldc, accumulate);
            }
            for (int r = mFull; r < m; r++) rowTN(kc, a, ao + r, as, b, bo + j, bs, c, co + r * ldc + j, ALL, ALL, accumulate);
        }
        if (nFull < n) {
            VectorMask<Float> m0 = S.indexInRange(0, n - nFull), m1 = S.indexInRange(L, n - nFull);
            for (int r = 0; r < m; r++) rowTN(kc, a, ao + r, as, b, bo + nFull, bs, c, co + r * ldc + nFull, m0, m1, accumulate);
        }
    }

    @Override
    public void gemmNN(int m, int n, int kc, float[] a, int ao, int lda, float[] b, int bo, int bs, float[] c, int co, int ldc,
                       boolean accumulate) {
        int nFull = n - n % NR, mFull = m - m % MR;
        for (int j = 0; j < nFull; j += NR) {
            for (int r = 0; r < mFull; r += MR) {
                if (WIDE) tileNN8(kc, a, ao + r * lda, lda, b, bo + j, bs, c, co + r * ldc + j, ldc, accumulate);
                else tileNN4(kc, a, ao + r * lda, lda, b, bo + j, bs, c, co + r * ldc + j, ldc, accumulate);
            }
            for (int r = mFull; r < m; r++) rowTN(kc, a, ao + r * lda, 1, b, bo + j, bs, c, co + r * ldc + j, ALL, ALL, accumulate);
        }
        if (nFull < n) {
            VectorMask<Float> m0 = S.indexInRange(0, n - nFull), m1 = S.indexInRange(L, n - nFull);
            for (int r = 0; r < m; r++) rowTN(kc, a, ao + r * lda, 1, b, bo + nFull, bs, c, co + r * ldc + nFull, m0, m1, accumulate);
        }
    }

    /**
     * One row of C over one column strip (lanes limited by m0, m1): {@code C(j) += sum_p a[ai + p*as] B(p, j)}.
     * Serves the edge rows of both layouts (an A row stored by rows is a = 1 stride walk).
     */
    private static void rowTN(int kc, float[] a, int ai, int as, float[] b, int bi, int bs, float[] c, int ci,
                              VectorMask<Float> m0, VectorMask<Float> m1, boolean acc) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++, ai += as, bi += bs) {
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c0 = x.fma(FloatVector.fromArray(S, b, bi, m0), c0);
            c1 = x.fma(FloatVector.fromArray(S, b, bi + L, m1), c1);
        }
        if (acc) {
            c0 = FloatVector.fromArray(S, c, ci, m0).add(c0);
            c1 = FloatVector.fromArray(S, c, ci + L, m1).add(c1);
        }
        c0.intoArray(c, ci, m0);
        c1.intoArray(c, ci + L, m1);
    }

    /** Stores a tile vector into C, added to C's old value when {@code acc}. */
    private static void put(FloatVector v, float[] c, int off, boolean acc) {
        (acc ? FloatVector.fromArray(S, c, off).add(v) : v).intoArray(c, off);
    }

    /** 8 x 2-vector tile of A^T B, A(p, r) = a[ai + p*as + r]. */
    private static void tileTN8(int kc, float[] a, int ai, int as, float[] b, int bi, int bs, float[] c, int ci, int ldc, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S), c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        // main loop plus a remainder loop that never runs, and the C writes spelled out per case: the shape
        // C2 (JDK 25) compiles without vector moves in the loop (see SgemmKernel)
        int p = 0;
        for (; p + 0 < kc; p += 1, ai += as, bi += bs) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ai + 6]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ai + 7]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        for (; p < kc; p++, ai += as, bi += bs) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ai + 6]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ai + 7]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        if (acc) {
            c00.add(FloatVector.fromArray(S, c, ci)).intoArray(c, ci);
            c01.add(FloatVector.fromArray(S, c, ci + L)).intoArray(c, ci + L);
            c10.add(FloatVector.fromArray(S, c, ci + 1 * ldc)).intoArray(c, ci + 1 * ldc);
            c11.add(FloatVector.fromArray(S, c, ci + 1 * ldc + L)).intoArray(c, ci + 1 * ldc + L);
            c20.add(FloatVector.fromArray(S, c, ci + 2 * ldc)).intoArray(c, ci + 2 * ldc);
            c21.add(FloatVector.fromArray(S, c, ci + 2 * ldc + L)).intoArray(c, ci + 2 * ldc + L);
            c30.add(FloatVector.fromArray(S, c, ci + 3 * ldc)).intoArray(c, ci + 3 * ldc);
            c31.add(FloatVector.fromArray(S, c, ci + 3 * ldc + L)).intoArray(c, ci + 3 * ldc + L);
            c40.add(FloatVector.fromArray(S, c, ci + 4 * ldc)).intoArray(c, ci + 4 * ldc);
            c41.add(FloatVector.fromArray(S, c, ci + 4 * ldc + L)).intoArray(c, ci + 4 * ldc + L);
            c50.add(FloatVector.fromArray(S, c, ci + 5 * ldc)).intoArray(c, ci + 5 * ldc);
            c51.add(FloatVector.fromArray(S, c, ci + 5 * ldc + L)).intoArray(c, ci + 5 * ldc + L);
            c60.add(FloatVector.fromArray(S, c, ci + 6 * ldc)).intoArray(c, ci + 6 * ldc);
            c61.add(FloatVector.fromArray(S, c, ci + 6 * ldc + L)).intoArray(c, ci + 6 * ldc + L);
            c70.add(FloatVector.fromArray(S, c, ci + 7 * ldc)).intoArray(c, ci + 7 * ldc);
            c71.add(FloatVector.fromArray(S, c, ci + 7 * ldc + L)).intoArray(c, ci + 7 * ldc + L);
        } else {
            c00.intoArray(c, ci);
            c01.intoArray(c, ci + L);
            c10.intoArray(c, ci + 1 * ldc);
            c11.intoArray(c, ci + 1 * ldc + L);
            c20.intoArray(c, ci + 2 * ldc);
            c21.intoArray(c, ci + 2 * ldc + L);
            c30.intoArray(c, ci + 3 * ldc);
            c31.intoArray(c, ci + 3 * ldc + L);
            c40.intoArray(c, ci + 4 * ldc);
            c41.intoArray(c, ci + 4 * ldc + L);
            c50.intoArray(c, ci + 5 * ldc);
            c51.intoArray(c, ci + 5 * ldc + L);
            c60.intoArray(c, ci + 6 * ldc);
            c61.intoArray(c, ci + 6 * ldc + L);
            c70.intoArray(c, ci + 7 * ldc);
            c71.intoArray(c, ci + 7 * ldc + L);
        }
    }

    /** 8 x 2-vector tile of A B, A(r, p) = a[ai + r*lda + p]. */
    private static void tileNN8(int kc, float[] a, int ai, int lda, float[] b, int bi, int bs, float[] c, int ci, int ldc, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S), c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        // one running index per k step, rows reached by adding lda: eight separate row indices would not fit
        // the general registers and halve the speed
        // main loop plus a remainder loop that never runs, and the C writes spelled out per case: the shape
        // C2 (JDK 25) compiles without vector moves in the loop (see SgemmKernel)
        int p = ai, end = ai + kc;
        for (; p + 0 < end; p += 1, bi += bs) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
            int q = p;
            FloatVector x = FloatVector.broadcast(S, a[q]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[q += lda]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[q += lda]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[q += lda]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[q += lda]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[q += lda]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[q += lda]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[q + lda]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        for (; p < end; p++, bi += bs) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
            int q = p;
            FloatVector x = FloatVector.broadcast(S, a[q]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[q += lda]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[q += lda]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[q += lda]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[q += lda]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[q += lda]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[q += lda]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[q + lda]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        if (acc) {
            c00.add(FloatVector.fromArray(S, c, ci)).intoArray(c, ci);
            c01.add(FloatVector.fromArray(S, c, ci + L)).intoArray(c, ci + L);
            c10.add(FloatVector.fromArray(S, c, ci + 1 * ldc)).intoArray(c, ci + 1 * ldc);
            c11.add(FloatVector.fromArray(S, c, ci + 1 * ldc + L)).intoArray(c, ci + 1 * ldc + L);
            c20.add(FloatVector.fromArray(S, c, ci + 2 * ldc)).intoArray(c, ci + 2 * ldc);
            c21.add(FloatVector.fromArray(S, c, ci + 2 * ldc + L)).intoArray(c, ci + 2 * ldc + L);
            c30.add(FloatVector.fromArray(S, c, ci + 3 * ldc)).intoArray(c, ci + 3 * ldc);
            c31.add(FloatVector.fromArray(S, c, ci + 3 * ldc + L)).intoArray(c, ci + 3 * ldc + L);
            c40.add(FloatVector.fromArray(S, c, ci + 4 * ldc)).intoArray(c, ci + 4 * ldc);
            c41.add(FloatVector.fromArray(S, c, ci + 4 * ldc + L)).intoArray(c, ci + 4 * ldc + L);
            c50.add(FloatVector.fromArray(S, c, ci + 5 * ldc)).intoArray(c, ci + 5 * ldc);
            c51.add(FloatVector.fromArray(S, c, ci + 5 * ldc + L)).intoArray(c, ci + 5 * ldc + L);
            c60.add(FloatVector.fromArray(S, c, ci + 6 * ldc)).intoArray(c, ci + 6 * ldc);
            c61.add(FloatVector.fromArray(S, c, ci + 6 * ldc + L)).intoArray(c, ci + 6 * ldc + L);
            c70.add(FloatVector.fromArray(S, c, ci + 7 * ldc)).intoArray(c, ci + 7 * ldc);
            c71.add(FloatVector.fromArray(S, c, ci + 7 * ldc + L)).intoArray(c, ci + 7 * ldc + L);
        } else {
            c00.intoArray(c, ci);
            c01.intoArray(c, ci + L);
            c10.intoArray(c, ci + 1 * ldc);
            c11.intoArray(c, ci + 1 * ldc + L);
            c20.intoArray(c, ci + 2 * ldc);
            c21.intoArray(c, ci + 2 * ldc + L);
            c30.intoArray(c, ci + 3 * ldc);
            c31.intoArray(c, ci + 3 * ldc + L);
            c40.intoArray(c, ci + 4 * ldc);
            c41.intoArray(c, ci + 4 * ldc + L);
            c50.intoArray(c, ci + 5 * ldc);
            c51.intoArray(c, ci + 5 * ldc + L);
            c60.intoArray(c, ci + 6 * ldc);
            c61.intoArray(c, ci + 6 * ldc + L);
            c70.intoArray(c, ci + 7 * ldc);
            c71.intoArray(c, ci + 7 * ldc + L);
        }
    }

    /** 4 x 2-vector tile of A^T B (narrow vectors: 8 accumulators). */
    private static void tileTN4(int kc, float[] a, int ai, int as, float[] b, int bi, int bs, float[] c, int ci, int ldc, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++, ai += as, bi += bs) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        put(c00, c, ci, acc); put(c01, c, ci + L, acc); ci += ldc;
        put(c10, c, ci, acc); put(c11, c, ci + L, acc); ci += ldc;
        put(c20, c, ci, acc); put(c21, c, ci + L, acc); ci += ldc;
        put(c30, c, ci, acc); put(c31, c, ci + L, acc);
    }

    /** 4 x 2-vector tile of A B (narrow vectors). */
    private static void tileNN4(int kc, float[] a, int ai, int lda, float[] b, int bi, int bs, float[] c, int ci, int ldc, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = ai, end = ai + kc; p < end; p++, bi += bs) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
            int q = p;
            FloatVector x = FloatVector.broadcast(S, a[q]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[q += lda]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[q += lda]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[q + lda]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        put(c00, c, ci, acc); put(c01, c, ci + L, acc); ci += ldc;
        put(c10, c, ci, acc); put(c11, c, ci + L, acc); ci += ldc;
        put(c20, c, ci, acc); put(c21, c, ci + L, acc); ci += ldc;
        put(c30, c, ci, acc); put(c31, c, ci + L, acc);
    }

    // ------------------------------------------------------------------ row operations

    /** Pairwise tree over the lanes of (a0 + a1) + (a2 + a3). */
    private static float combine(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        float[] t = a0.add(a1).add(a2.add(a3)).toArray();
        for (int w = L / 2; w >= 1; w >>= 1)
            for (int k = 0; k < w; k++) t[k] += t[k + w];
        return t[0];
    }

    @Override
    public void maxRows(float[] s, int so, int lds, int rows, int n, float[] acc, int ao) {
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) {
            FloatVector mx = FloatVector.fromArray(S, acc, ao + i);
            for (int r = 0, si = so + i; r < rows; r++, si += lds) mx = mx.max(FloatVector.fromArray(S, s, si));
            mx.intoArray(acc, ao + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector mx = FloatVector.fromArray(S, acc, ao + i, k);
            for (int r = 0, si = so + i; r < rows; r++, si += lds) mx = mx.max(FloatVector.fromArray(S, s, si, k));
            mx.intoArray(acc, ao + i, k);
        }
    }

    @Override
    public void expSubRows(float[] s, int so, int lds, int rows, int n, float[] m, int mo, float[] sum, int sumo) {
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) {
            FloatVector mv = FloatVector.fromArray(S, m, mo + i);
            FloatVector acc = sum == null ? FloatVector.zero(S) : FloatVector.fromArray(S, sum, sumo + i);
            for (int r = 0, si = so + i; r < rows; r++, si += lds) {
                FloatVector e = expNonPositive(FloatVector.fromArray(S, s, si).sub(mv));
                e.intoArray(s, si);
                acc = acc.add(e);
            }
            if (sum != null) acc.intoArray(sum, sumo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector mv = FloatVector.fromArray(S, m, mo + i, k);
            FloatVector acc = sum == null ? FloatVector.zero(S) : FloatVector.fromArray(S, sum, sumo + i, k);
            for (int r = 0, si = so + i; r < rows; r++, si += lds) {
                FloatVector e = expNonPositive(FloatVector.fromArray(S, s, si, k).sub(mv));
                e.intoArray(s, si, k);
                acc = acc.add(e);
            }
            if (sum != null) acc.intoArray(sum, sumo + i, k);
        }
    }

    @Override
    public void featureMap(float[] x, int xo, int ldx, int rows, int n, float[] dst, int dOff, int ldd) {
        int ub = S.loopBound(n);
        VectorMask<Float> tail = S.indexInRange(ub, n);
        for (int r = 0; r < rows; r++) {
            int xi = xo + r * ldx, di = dOff + r * ldd, i = 0;
            for (; i < ub; i += L) VectorMath.elu(FloatVector.fromArray(S, x, xi + i)).add(1f).intoArray(dst, di + i);
            if (i < n) VectorMath.elu(FloatVector.fromArray(S, x, xi + i, tail)).add(1f).intoArray(dst, di + i, tail);
        }
    }

    @Override
    public void featureMapGrad(float[] g, int go, int ldg, float[] f, int fo, int ldf, int rows, int n, float[] dst, int dOff, int ldd) {
        int ub = S.loopBound(n);
        VectorMask<Float> tail = S.indexInRange(ub, n);
        for (int r = 0; r < rows; r++) {
            int gi = go + r * ldg, fi = fo + r * ldf, di = dOff + r * ldd, i = 0;
            for (; i < ub; i += L) {
                FloatVector.fromArray(S, g, gi + i).mul(FloatVector.fromArray(S, f, fi + i).min(1f)).intoArray(dst, di + i);
            }
            if (i < n) {
                FloatVector.fromArray(S, g, gi + i, tail).mul(FloatVector.fromArray(S, f, fi + i, tail).min(1f)).intoArray(dst, di + i, tail);
            }
        }
    }

    /**
     * One vector of lanes per gather: lane i of column c reads {@code src[row + i*rowStride + c]}, so each
     * destination row is written whole and contiguous (a scalar transpose writes one element per cache
     * line and was a tenth of the attention time).
     */
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer held in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    /** Below this exp(x) is under the smallest normal float; the softmax takes it as 0. */
    private static final float EXP_FLOOR = -87.33f;

    /**
     * exp(x) for the softmax arguments {@code x = s - max} (at most a rounding error above 0, or -infinity):
     * Cephes' degree-6 polynomial on [-ln2/2, ln2/2] as in {@link VectorMath#exp} (about 2 ulp), with the
     * rounding and the 2^n scale done in one step each because the result is never above 1. Arguments
     * below {@link #EXP_FLOOR} (where exp is subnormal) and -infinity give 0; NaN propagates. About half the
     * operations of the general function, which matters because every score is exponentiated once in the
     * forward and again in the backward.
     */
    static FloatVector expNonPositive(FloatVector v) {
        FloatVector x = v.max(EXP_FLOOR).min(1f);
        FloatVector t = x.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(x.broadcast(-LN2_HI), x);
        r = n.fma(x.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, r.broadcast(8.3334519073e-3f));
        p = p.fma(r, r.broadcast(4.1665795894e-2f));
        p = p.fma(r, r.broadcast(1.6666665459e-1f));
        p = p.fma(r, r.broadcast(5.0000001201e-1f));
        FloatVector y = p.mul(r).fma(r, r).add(1f);
        // t's low mantissa bits hold n (two's complement): n + 127 shifted into the exponent field is 2^n
        FloatVector scale = t.reinterpretAsInts().add(127 - 0x4B400000).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(scale).blend(0f, v.compare(VectorOperators.LT, EXP_FLOOR));
    }

    @Override
    public void packTransposed(float[] src, int row, int rowStride, int n, int d, float s, float[] dst, int ld) {
        int[] map = new int[L];
        for (int i = 0; i < L; i++) map[i] = i * rowStride;
        for (int i0 = 0; i0 < ld; i0 += L) {
            int base = row + i0 * rowStride;
            if (i0 + L <= n) {
                for (int c = 0; c < d; c++) FloatVector.fromArray(S, src, base + c, map, 0).mul(s).intoArray(dst, c * ld + i0);
            } else if (i0 < n) {
                // the gather range-checks masked-off lanes too: point them at a valid row
                int[] tail = new int[L];
                for (int i = 0; i < n - i0; i++) tail[i] = map[i];
                VectorMask<Float> k = S.indexInRange(i0, n), store = S.indexInRange(i0, ld);
                for (int c = 0; c < d; c++) {
                    FloatVector.fromArray(S, src, base + c, tail, 0, k).mul(s).intoArray(dst, c * ld + i0, store);
                }
            } else {
                VectorMask<Float> k = S.indexInRange(i0, ld);
                for (int c = 0; c < d; c++) FloatVector.zero(S).intoArray(dst, c * ld + i0, k);
            }
        }
    }

    @Override
    public void softmaxGradRows(float[] p, int po, float[] d, int dOff, int ld, int rows, int n, float[] delta, int deltaOff) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = S.indexInRange(i, n);
            boolean full = i + L <= n;
            FloatVector dl = full ? FloatVector.fromArray(S, delta, deltaOff + i) : FloatVector.fromArray(S, delta, deltaOff + i, k);
            for (int r = 0; r < rows; r++) {
                int pi = po + r * ld + i, di = dOff + r * ld + i;
                if (full) {
                    FloatVector.fromArray(S, p, pi).mul(FloatVector.fromArray(S, d, di).sub(dl)).intoArray(d, di);
                } else {
                    FloatVector.fromArray(S, p, pi, k).mul(FloatVector.fromArray(S, d, di, k).sub(dl)).intoArray(d, di, k);
                }
            }
        }
    }

    @Override
    public void scale(float[] x, int o, int n, float s) {
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) FloatVector.fromArray(S, x, o + i).mul(s).intoArray(x, o + i);
        for (; i < n; i++) x[o + i] *= s;
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0, ub = S.loopBound(n);
        for (; i < ub; i += L) acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        FloatVector z = FloatVector.zero(S);
        float s = combine(acc, z, z, z);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }
}
