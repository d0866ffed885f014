package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;

/**
 * Fused scaled dot-product attention on the CPU, FlashAttention-2 style (semantics in
 * {@link dev.tessera.tensor.Attention}). Float32 runs the blocked kernels below on
 * {@link AttentionKernels}; float64 runs {@link CpuAttentionF64}.
 *
 * <p>Forward: one task per (batch, query head, block of {@link #Q_BLOCK} queries), spread over the
 * {@link Parallel} pool. A task packs its queries transposed ({@code Qt[c][i] = scale * q[i][c]}), then
 * walks the visible keys in blocks of {@link #K_BLOCK}: the block of scores is computed transposed,
 * keys by queries ({@code S^T = K Qt}, K read in place), so the online softmax (running max, rescale,
 * exp, running sum) is columnwise vector work, and {@code S^T} is already the layout the next product
 * reads: {@code O += P V} with V read in place. O accumulates in the output rows themselves. At most
 * one K_BLOCK x Q_BLOCK block of scores exists per worker thread.
 *
 * <p>Backward: one task per (batch, kv head), owning dk and dv of that head (no two tasks write the same
 * element, and each element's sum runs in a fixed order, so results do not depend on the thread count).
 * For each query head of the group and each query block it recomputes {@code P^T = exp(S^T - lse)}
 * block by block and accumulates {@code dV += P^T dO}, {@code dK += dS^T Q}, {@code dQ += dS K} with
 * {@code dS = P (dP - delta)}, {@code dP = dO V^T}, {@code delta_i = dO_i . O_i}. The scale is folded
 * into the packed queries and output gradients, so dq and dk accumulate straight into the outputs and
 * need no rescaling. Nothing of size Tq x Tk is stored: two blocks (P and dS) per worker.
 *
 * <p>GQA/MQA: query head h reads kv head {@code h / (H / Hkv)} by offset; nothing is repeated. Masks: a
 * padded key's score row is set to -infinity; causal masking limits the keys walked per query block and
 * sets the masked prefix of each key row to -infinity. Inputs may be any strided views whose last
 * dimension is unit-stride (others are copied first); outputs are laid out [B, T, H, D] (returned as a
 * [B, H, T, D] view) when the matching input is a head split of a [B, T, H*D] projection, so the
 * caller's merge of the heads is free.
 */
final class CpuAttention {
    /**
     * Queries per task (the lanes of a score block). With {@link #K_BLOCK} a block is 64 KiB: it stays in L2
     * beside the head's K and V, and a batch-16, 6-head, 256-token call still has 384 tasks to balance.
     * At batch 16, 6 heads, 256 tokens, head dim 64 on one core, query blocks of 32 to 256 and key blocks
     * of 128 to 512 measured within 10% of each other, forward and backward.
     */
    static final int Q_BLOCK = 64;
    /** Keys per score block. */
    static final int K_BLOCK = 256;

    private CpuAttention() {}

    /** A [B, H, T, D] operand in place: element (b, h, t, c) at {@code off + b*sb + h*sh + t*st + c}. */
    record View(int off, int sb, int sh, int st) {
        static View of(Tensor t) {
            int[] s = t.strides();
            return new View(t.offset(), s[0], s[1], s[2]);
        }

        int row(int b, int h, int t) {
            return off + b * sb + h * sh + t * st;
        }
    }

    static Tensor[] forward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, int causalOffset, double scale) {
        if (q.dtype() == DType.F64) return CpuAttentionF64.forward(q, k, v, keyPadding, causal, causalOffset, scale);
        return forwardF32(AttentionKernels.get(), q, k, v, keyPadding, causal, causalOffset, (float) scale);
    }

    static Tensor[] backward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor keyPadding, boolean causal,
                             int causalOffset, double scale) {
        if (q.dtype() == DType.F64) return CpuAttentionF64.backward(q, k, v, out, lse, gOut, keyPadding, causal, causalOffset, scale);
        return backwardF32(AttentionKernels.get(), q, k, v, out, lse, gOut, keyPadding, causal, causalOffset, (float) scale);
    }

    // ------------------------------------------------------------------ layout helpers (shared with the F64 path)

    /** x itself when its last dimension is unit-stride (or of size 1), else a contiguous copy. */
    static Tensor unitLast(Tensor x) {
        return x.dim(3) <= 1 || x.strides()[3] == 1 ? x : x.contiguous();
    }

    /**
     * A zeroed [B, H, T, last] tensor laid out like {@code x}: stored [B, T, H, last] (returned as a permuted
     * view) when x's heads are interleaved per time step, else contiguous.
     */
    static Tensor allocLike(DType dt, Tensor x, int last) {
        int b = x.dim(0), h = x.dim(1), t = x.dim(2);
        if (h > 1 && t > 1 && x.strides()[1] < x.strides()[2]) {
            return CpuBackend.alloc(dt, new int[] {b, t, h, last}).permute(0, 2, 1, 3);
        }
        return CpuBackend.alloc(dt, new int[] {b, h, t, last});
    }

    /** The padding mask made contiguous (its bytes: 1 = masked, element (b, j) at {@code offset + b*tk + j}); null when absent. */
    static Tensor padding(Tensor keyPadding) {
        return keyPadding == null ? null : keyPadding.contiguous();
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Number of keys the last query of a block (queries i0 .. i0+nq-1) may see under the causal rule. */
    static int causalEnd(int tk, int i0, int nq, int off) {
        long end = (long) i0 + nq + off;          // query i sees keys j <= i + off
        return (int) Math.max(0, Math.min(tk, end));
    }

    // ------------------------------------------------------------------ float32

    /** Per-thread block buffers, grown on demand and kept for the thread's next call. */
    private static final class Scratch {
        float[] qt = new float[0], gt = new float[0], st = new float[0], dpt = new float[0];
        float[] m = new float[0], mNew = new float[0], mSafe = new float[0], l = new float[0], corr = new float[0];

        Scratch ensure(int qtLen, int gtLen, int blockLen, int lanes, boolean backward) {
            if (qt.length < qtLen) qt = new float[qtLen];
            if (st.length < blockLen) st = new float[blockLen];
            if (m.length < lanes) {
                m = new float[lanes];
                mNew = new float[lanes];
                mSafe = new float[lanes];
                l = new float[lanes];
                corr = new float[lanes];
            }
            if (backward) {
                if (gt.length < gtLen) gt = new float[gtLen];
                if (dpt.length < blockLen) dpt = new float[blockLen];
            }
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Everything a float32 call reads and writes, shared by its tasks. */
    private record F32Call(AttentionKernels kn, int b, int h, int tq, int d, int hkv, int tk, int dv, int g,
                           float[] q, View qv, float[] k, View kv, float[] v, View vv, byte[] pad, int padOff,
                           boolean causal, int off, float scale) {
        /** True when key j of batch bi is padding. */
        boolean padded(int bi, int j) {
            return pad != null && pad[padOff + bi * tk + j] != 0;
        }
    }

    private static F32Call call(AttentionKernels kn, Tensor q, Tensor k, Tensor v, Tensor pad, boolean causal, int off, float scale) {
        int h = q.dim(1), hkv = k.dim(1);
        return new F32Call(kn, q.dim(0), h, q.dim(2), q.dim(3), hkv, k.dim(2), v.dim(3), h / hkv,
                CpuBackend.st(q).f32(), View.of(q), CpuBackend.st(k).f32(), View.of(k), CpuBackend.st(v).f32(), View.of(v),
                pad == null ? null : CpuBackend.st(pad).bool(), pad == null ? 0 : pad.offset(), causal, off, scale);
    }

    /** The float32 forward on the given kernels (tests choose the SIMD or scalar ones). */
    static Tensor[] forwardF32(AttentionKernels kn, Tensor q0, Tensor k0, Tensor v0, Tensor keyPadding, boolean causal, int off,
                               float scale) {
        Tensor q = unitLast(q0), k = unitLast(k0), v = unitLast(v0);
        F32Call c = call(kn, q, k, v, padding(keyPadding), causal, off, scale);
        Tensor out = allocLike(DType.F32, q, c.dv());
        Tensor lse = CpuBackend.alloc(DType.F32, new int[] {c.b(), c.h(), c.tq()});
        float[] oa = CpuBackend.st(out).f32(), la = CpuBackend.st(lse).f32();
        View ov = View.of(out);
        int qBlocks = ceilDiv(c.tq(), Q_BLOCK);
        Parallel.forTasks(c.b() * c.h() * qBlocks, task -> {
            int bi = task / (c.h() * qBlocks), hi = task / qBlocks % c.h(), i0 = task % qBlocks * Q_BLOCK;
            forwardBlock(c, bi, hi, i0, oa, ov, la);
        });
        return new Tensor[] {out, lse};
    }

    private static void forwardBlock(F32Call c, int bi, int hi, int i0, float[] oa, View ov, float[] la) {
        AttentionKernels kn = c.kn();
        int nq = Math.min(Q_BLOCK, c.tq() - i0), qPad = ceilDiv(nq, kn.colTile()) * kn.colTile();
        int d = c.d(), dv = c.dv(), kvh = hi / c.g();
        Scratch w = SCRATCH.get().ensure(d * qPad, 0, K_BLOCK * qPad, qPad, false);
        float[] qt = w.qt, st = w.st, m = w.m, mNew = w.mNew, mSafe = w.mSafe, l = w.l, corr = w.corr;
        kn.packTransposed(c.q(), c.qv().row(bi, hi, i0), c.qv().st(), nq, d, c.scale(), qt, qPad);
        Arrays.fill(m, 0, qPad, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, qPad, 0f);
        int oRow = ov.row(bi, hi, i0);
        int kEnd = c.causal() ? causalEnd(c.tk(), i0, nq, c.off()) : c.tk();
        for (int j0 = 0; j0 < kEnd; j0 += K_BLOCK) {
            int nk = Math.min(K_BLOCK, kEnd - j0);
            scores(c, bi, kvh, i0, j0, nk, qt, qPad, st);
            // online softmax, columnwise: new running max, rescale factor, exp, running sum
            System.arraycopy(m, 0, mNew, 0, qPad);
            kn.maxRows(st, 0, qPad, nk, qPad, mNew, 0);
            for (int i = 0; i < qPad; i++) {
                mSafe[i] = mNew[i] == Float.NEGATIVE_INFINITY ? 0f : mNew[i];
                corr[i] = m[i];
            }
            kn.expSubRows(corr, 0, qPad, 1, qPad, mSafe, 0, null, 0);
            for (int i = 0; i < qPad; i++) l[i] *= corr[i];
            kn.expSubRows(st, 0, qPad, nk, qPad, mSafe, 0, l, 0);
            if (j0 > 0) {
                for (int r = 0; r < nq; r++) if (corr[r] != 1f) kn.scale(oa, oRow + r * ov.st(), dv, corr[r]);
            }
            kn.gemmTN(nq, dv, nk, st, 0, qPad, c.v(), c.vv().row(bi, kvh, j0), c.vv().st(), oa, oRow, ov.st(), true);
            float[] t = m;
            m = mNew;
            mNew = t;
        }
        int lRow = (bi * c.h() + hi) * c.tq() + i0;
        for (int r = 0; r < nq; r++) {
            int o = oRow + r * ov.st();
            if (l[r] == 0f) {
                Arrays.fill(oa, o, o + dv, 0f);
                la[lRow + r] = Float.NEGATIVE_INFINITY;
            } else {
                kn.scale(oa, o, dv, 1f / l[r]);
                la[lRow + r] = m[r] + (float) Math.log(l[r]);
            }
        }
    }

    /**
     * The masked, scaled score block transposed: {@code st[r][i] = scale * k[j0+r] . q[i0+i]} for r < nk,
     * {@code i < qPad} (qt holds the scaled queries transposed), -infinity where masked.
     */
    private static void scores(F32Call c, int bi, int kvh, int i0, int j0, int nk, float[] qt, int qPad, float[] st) {
        c.kn().gemmNN(nk, qPad, c.d(), c.k(), c.kv().row(bi, kvh, j0), c.kv().st(), qt, 0, qPad, st, 0, qPad, false);
        for (int r = 0; r < nk; r++) {
            int j = j0 + r;
            if (c.padded(bi, j)) {
                Arrays.fill(st, r * qPad, (r + 1) * qPad, Float.NEGATIVE_INFINITY);
            } else if (c.causal()) {
                long cut = (long) j - c.off() - i0;     // queries i < j - off do not see key j
                if (cut > 0) Arrays.fill(st, r * qPad, r * qPad + (int) Math.min(qPad, cut), Float.NEGATIVE_INFINITY);
            }
        }
    }

    /** The float32 backward on the given kernels. */
    static Tensor[] backwardF32(AttentionKernels kn, Tensor q0, Tensor k0, Tensor v0, Tensor out0, Tensor lse, Tensor gOut0,
                                Tensor keyPadding, boolean causal, int off, float scale) {
        Tensor q = unitLast(q0), k = unitLast(k0), v = unitLast(v0), out = unitLast(out0), gOut = unitLast(gOut0);
        Tensor lc = lse.contiguous();
        F32Call c = call(kn, q, k, v, padding(keyPadding), causal, off, scale);
        Tensor dq = allocLike(DType.F32, q, c.d()), dk = allocLike(DType.F32, k, c.d()), dvT = allocLike(DType.F32, v, c.dv());
        Grads gr = new Grads(CpuBackend.st(out).f32(), View.of(out), CpuBackend.st(gOut).f32(), View.of(gOut),
                CpuBackend.st(lc).f32(), lc.offset(), CpuBackend.st(dq).f32(), View.of(dq), CpuBackend.st(dk).f32(), View.of(dk),
                CpuBackend.st(dvT).f32(), View.of(dvT));
        Parallel.forTasks(c.b() * c.hkv(), task -> backwardHead(c, gr, task / c.hkv(), task % c.hkv()));
        return new Tensor[] {dq, dk, dvT};
    }

    /** The backward's extra inputs and its outputs. */
    private record Grads(float[] o, View ov, float[] go, View gv, float[] lse, int lseOff, float[] dq, View dqv, float[] dk, View dkv,
                         float[] dv, View dvv) {}

    private static void backwardHead(F32Call c, Grads gr, int bi, int kvh) {
        AttentionKernels kn = c.kn();
        int d = c.d(), dv = c.dv();
        for (int gi = 0; gi < c.g(); gi++) {
            int hi = kvh * c.g() + gi;
            for (int i0 = 0; i0 < c.tq(); i0 += Q_BLOCK) {
                int nq = Math.min(Q_BLOCK, c.tq() - i0), qPad = ceilDiv(nq, kn.colTile()) * kn.colTile();
                Scratch w = SCRATCH.get().ensure(d * qPad, dv * qPad, K_BLOCK * qPad, qPad, true);
                float[] qt = w.qt, gt = w.gt, st = w.st, dpt = w.dpt, lseL = w.mSafe, delta = w.l;
                int qRow = c.qv().row(bi, hi, i0), gRow = gr.gv().row(bi, hi, i0), oRow = gr.ov().row(bi, hi, i0);
                kn.packTransposed(c.q(), qRow, c.qv().st(), nq, d, c.scale(), qt, qPad);
                kn.packTransposed(gr.go(), gRow, gr.gv().st(), nq, dv, c.scale(), gt, qPad);
                int lRow = gr.lseOff() + (bi * c.h() + hi) * c.tq() + i0;
                for (int r = 0; r < qPad; r++) {
                    if (r < nq) {
                        float ls = gr.lse()[lRow + r];
                        lseL[r] = ls == Float.NEGATIVE_INFINITY ? Float.POSITIVE_INFINITY : ls;   // no visible key: P = 0
                        delta[r] = c.scale() * kn.dot(gr.go(), gRow + r * gr.gv().st(), gr.o(), oRow + r * gr.ov().st(), dv);
                    } else {
                        lseL[r] = Float.POSITIVE_INFINITY;
                        delta[r] = 0f;
                    }
                }
                int kEnd = c.causal() ? causalEnd(c.tk(), i0, nq, c.off()) : c.tk();
                for (int j0 = 0; j0 < kEnd; j0 += K_BLOCK) {
                    int nk = Math.min(K_BLOCK, kEnd - j0);
                    int kRow = c.kv().row(bi, kvh, j0), vRow = c.vv().row(bi, kvh, j0);
                    scores(c, bi, kvh, i0, j0, nk, qt, qPad, st);
                    kn.expSubRows(st, 0, qPad, nk, qPad, lseL, 0, null, 0);                       // P^T
                    kn.gemmNN(nk, qPad, dv, c.v(), vRow, c.vv().st(), gt, 0, qPad, dpt, 0, qPad, false);  // scale dP^T
                    kn.softmaxGradRows(st, 0, dpt, 0, qPad, nk, qPad, delta, 0);                          // scale dS^T
                    kn.gemmNN(nk, dv, nq, st, 0, qPad, gr.go(), gRow, gr.gv().st(), gr.dv(), gr.dvv().row(bi, kvh, j0), gr.dvv().st(),
                            true);
                    kn.gemmNN(nk, d, nq, dpt, 0, qPad, c.q(), qRow, c.qv().st(), gr.dk(), gr.dkv().row(bi, kvh, j0), gr.dkv().st(), true);
                    kn.gemmTN(nq, d, nk, dpt, 0, qPad, c.k(), kRow, c.kv().st(), gr.dq(), gr.dqv().row(bi, hi, i0), gr.dqv().st(), true);
                }
            }
        }
    }
}
