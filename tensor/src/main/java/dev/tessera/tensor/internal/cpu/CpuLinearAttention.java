package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.LinearAttentionOp;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.internal.cpu.CpuAttention.View;
import java.util.Arrays;

/**
 * Fused non-causal linear attention on the CPU (semantics in {@link LinearAttentionOp}); float32 on
 * {@link AttentionKernels}, float64 through the composite.
 *
 * <p>Forward: one task per (batch, group of kv heads) (see {@link Call#kvHeadsPerTask}). A task maps the keys of its
 * kv heads and the queries of their query heads ({@code phi}, 0 on padded keys) into cache-resident [T, D] blocks,
 * time step by time step so that head-split inputs are read in address order; then per kv head it forms
 * {@code S = phi(K)^T V} and {@code z = phi(K)^T 1}, and per query head writes {@code out = phi(Q) S / phi(Q) z}
 * straight into the output rows. Backward: one task per (batch, kv head), which owns that head's dk and dv; it
 * recomputes those blocks (cheaper than keeping them) and accumulates {@code dS} and {@code dz} over the group before
 * it forms dk and dv. No two tasks write the same element and every sum runs in a fixed order, so results do not
 * depend on the thread count. Inputs are read in place (any strided view with a unit-stride last dimension; others
 * are copied first), and outputs are laid out like the inputs ({@link CpuAttention#allocLike}), so the layer's head
 * split and merge around the op are free.
 */
final class CpuLinearAttention {
    private static final float TINY = (float) LinearAttentionOp.TINY;

    private CpuLinearAttention() {}

    static Tensor forward(Tensor q, Tensor k, Tensor v, Tensor keyPadding) {
        if (q.dtype() != DType.F32) return LinearAttentionOp.composite(q, k, v, keyPadding);
        return forwardF32(AttentionKernels.get(), q, k, v, keyPadding);
    }

    static Tensor[] backward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor gOut, Tensor keyPadding) {
        if (q.dtype() != DType.F32) {
            LinearAttentionOp.Grads g = LinearAttentionOp.compositeBackward(q, k, v, out, gOut, keyPadding);
            return new Tensor[] {g.dq(), g.dk(), g.dv()};
        }
        return backwardF32(AttentionKernels.get(), q, k, v, out, gOut, keyPadding);
    }

    /** Per-thread blocks, grown on demand and kept for the thread's next call. */
    private static final class Scratch {
        float[] fk = new float[0], fq = new float[0], s = new float[0], st = new float[0], ds = new float[0];
        float[] z = new float[0], dz = new float[0], r = new float[0], dden = new float[0], dnum = new float[0], df = new float[0];

        /** Room for qRows mapped query rows and kRows mapped key rows of width d (and the backward's blocks). */
        Scratch ensure(int qRows, int kRows, int d, int dv, boolean backward) {
            int t = Math.max(qRows, kRows);
            if (fk.length < kRows * d) fk = new float[kRows * d];
            if (fq.length < qRows * d) fq = new float[qRows * d];
            if (s.length < d * dv) {
                s = new float[d * dv];
                st = new float[d * dv];
                ds = new float[d * dv];
            }
            if (z.length < d) {
                z = new float[d];
                dz = new float[d];
            }
            if (r.length < qRows) {
                r = new float[qRows];
                dden = new float[qRows];
            }
            if (backward) {
                if (dnum.length < qRows * dv) dnum = new float[qRows * dv];
                if (df.length < t * d) df = new float[t * d];
            }
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Everything a float32 call reads, shared by its tasks. */
    private record Call(AttentionKernels kn, int b, int h, int tq, int d, int hkv, int tk, int dv, int g,
                        float[] q, View qv, float[] k, View kv, float[] v, View vv, byte[] pad, int padOff) {
        static Call of(AttentionKernels kn, Tensor q, Tensor k, Tensor v, Tensor pad) {
            int h = q.dim(1), hkv = k.dim(1);
            return new Call(kn, q.dim(0), h, q.dim(2), q.dim(3), hkv, k.dim(2), v.dim(3), h / hkv,
                    CpuBackend.st(q).f32(), View.of(q), CpuBackend.st(k).f32(), View.of(k), CpuBackend.st(v).f32(), View.of(v),
                    pad == null ? null : CpuBackend.st(pad).bool(), pad == null ? 0 : pad.offset());
        }

        /**
         * Maps the keys of kv heads [kv0, kv1) of batch row bi into dst (head j's [Tk, D] block at
         * {@code ((j - kv0) * tk) * d}; padded keys 0). Time steps outermost: with head-split inputs the heads of
         * one step are adjacent in memory, so the source is read in address order (head by head it was a stride
         * through memory that the prefetchers did not follow, and the feature map waited on its loads).
         */
        void mapKeys(int bi, int kv0, int kv1, float[] dst) {
            for (int j = 0; j < tk; j++) {
                if (pad != null && pad[padOff + bi * tk + j] != 0) {
                    for (int hh = kv0; hh < kv1; hh++) Arrays.fill(dst, ((hh - kv0) * tk + j) * d, ((hh - kv0) * tk + j + 1) * d, 0f);
                } else {
                    kn.featureMap(k, kv.row(bi, kv0, j), kv.sh(), kv1 - kv0, d, dst, j * d, tk * d);
                }
            }
        }

        /** Maps the queries of heads [h0, h1) of batch row bi into dst (head j's [Tq, D] block at {@code ((j - h0) * tq) * d}). */
        void mapQueries(int bi, int h0, int h1, float[] dst) {
            for (int i = 0; i < tq; i++) kn.featureMap(q, qv.row(bi, h0, i), qv.sh(), h1 - h0, d, dst, i * d, tq * d);
        }

        /** From mapped keys fk (kv head kvh's block at fkOff): w.s = phi(K)^T V and w.z = phi(K)^T 1. */
        void keySums(float[] fk, int fkOff, int bi, int kvh, Scratch w) {
            kn.gemmTN(d, dv, tk, fk, fkOff, d, v, vv.row(bi, kvh, 0), vv.st(), w.s, 0, dv, false);
            Arrays.fill(w.z, 0, d, 0f);
            for (int j = 0; j < tk; j++) {
                int o = fkOff + j * d;
                for (int c = 0; c < d; c++) w.z[c] += fk[o + c];
            }
        }

        /** From mapped queries fq (block at fqOff): w.r = 1 / (phi(q_i) . z), or 0 where no key is visible. */
        void normalizers(float[] fq, int fqOff, Scratch w) {
            for (int i = 0; i < tq; i++) {
                float den = kn.dot(fq, fqOff + i * d, w.z, 0, d);
                w.r[i] = den > TINY ? 1f / den : 0f;
            }
        }

        /**
         * KV heads per forward task: as many as keep the task's mapped keys and queries within about 4 MiB, and no
         * more than leave two tasks per worker thread.
         */
        int kvHeadsPerTask() {
            long perHead = (long) (tk + (long) g * tq) * d;
            int n = (int) Math.max(1, Math.min(hkv, (1L << 20) / Math.max(1, perHead)));
            while (n > 1 && (long) b * ((hkv + n - 1) / n) < 2L * Parallel.threads()) n--;
            return n;
        }
    }

    /** The float32 forward on the given kernels (tests choose the SIMD or scalar ones). */
    static Tensor forwardF32(AttentionKernels kn, Tensor q0, Tensor k0, Tensor v0, Tensor keyPadding) {
        Tensor q = CpuAttention.unitLast(q0), k = CpuAttention.unitLast(k0), v = CpuAttention.unitLast(v0);
        Call c = Call.of(kn, q, k, v, CpuAttention.padding(keyPadding));
        Tensor out = CpuAttention.allocLike(DType.F32, q, c.dv());
        float[] oa = CpuBackend.st(out).f32();
        View ov = View.of(out);
        int per = c.kvHeadsPerTask(), chunks = (c.hkv() + per - 1) / per;
        int d = c.d(), tq = c.tq(), g = c.g();
        Parallel.forTasks(c.b() * chunks, task -> {
            int bi = task / chunks, kv0 = task % chunks * per, kv1 = Math.min(c.hkv(), kv0 + per);
            Scratch w = SCRATCH.get().ensure(tq * g * (kv1 - kv0), c.tk() * (kv1 - kv0), d, c.dv(), false);
            c.mapKeys(bi, kv0, kv1, w.fk);
            c.mapQueries(bi, kv0 * g, kv1 * g, w.fq);
            for (int kvh = kv0; kvh < kv1; kvh++) {
                c.keySums(w.fk, (kvh - kv0) * c.tk() * d, bi, kvh, w);
                for (int gi = 0; gi < g; gi++) {
                    int hi = kvh * g + gi, fqOff = (hi - kv0 * g) * tq * d;
                    c.normalizers(w.fq, fqOff, w);
                    int oRow = ov.row(bi, hi, 0);
                    kn.gemmNN(tq, c.dv(), d, w.fq, fqOff, d, w.s, 0, c.dv(), oa, oRow, ov.st(), false);
                    for (int i = 0; i < tq; i++) kn.scale(oa, oRow + i * ov.st(), c.dv(), w.r[i]);
                }
            }
        });
        return out;
    }

    /** The float32 backward on the given kernels. */
    static Tensor[] backwardF32(AttentionKernels kn, Tensor q0, Tensor k0, Tensor v0, Tensor out0, Tensor gOut0, Tensor keyPadding) {
        Tensor q = CpuAttention.unitLast(q0), k = CpuAttention.unitLast(k0), v = CpuAttention.unitLast(v0);
        Tensor out = CpuAttention.unitLast(out0), gOut = CpuAttention.unitLast(gOut0);
        Call c = Call.of(kn, q, k, v, CpuAttention.padding(keyPadding));
        int d = c.d(), dv = c.dv(), tq = c.tq(), tk = c.tk();
        Tensor dq = CpuAttention.allocLike(DType.F32, q, d), dk = CpuAttention.allocLike(DType.F32, k, d);
        Tensor dvt = CpuAttention.allocLike(DType.F32, v, dv);
        float[] oa = CpuBackend.st(out).f32(), ga = CpuBackend.st(gOut).f32();
        float[] dqa = CpuBackend.st(dq).f32(), dka = CpuBackend.st(dk).f32(), dva = CpuBackend.st(dvt).f32();
        View ov = View.of(out), gv = View.of(gOut), dqv = View.of(dq), dkv = View.of(dk), dvv = View.of(dvt);
        Parallel.forTasks(c.b() * c.hkv(), task -> {
            int bi = task / c.hkv(), kvh = task % c.hkv();
            Scratch w = SCRATCH.get().ensure(tq, tk, d, dv, true);
            c.mapKeys(bi, kvh, kvh + 1, w.fk);
            c.keySums(w.fk, 0, bi, kvh, w);
            transpose(w.s, d, dv, w.st);
            Arrays.fill(w.ds, 0, d * dv, 0f);
            Arrays.fill(w.dz, 0, d, 0f);
            for (int gi = 0; gi < c.g(); gi++) {
                int hi = kvh * c.g() + gi;
                c.mapQueries(bi, hi, hi + 1, w.fq);
                c.normalizers(w.fq, 0, w);
                int oRow = ov.row(bi, hi, 0), gRow = gv.row(bi, hi, 0);
                for (int i = 0; i < tq; i++) {
                    int go = gRow + i * gv.st(), dn = i * dv;
                    float ri = w.r[i];
                    for (int e = 0; e < dv; e++) w.dnum[dn + e] = ga[go + e] * ri;
                    w.dden[i] = -kn.dot(ga, go, oa, oRow + i * ov.st(), dv) * ri;
                }
                // dphi(Q) = dnum S^T + dden z^T, then through the feature map into dq
                for (int i = 0; i < tq; i++) {
                    int o = i * d;
                    float di = w.dden[i];
                    for (int cc = 0; cc < d; cc++) w.df[o + cc] = di * w.z[cc];
                }
                kn.gemmNN(tq, d, dv, w.dnum, 0, dv, w.st, 0, d, w.df, 0, d, true);
                kn.featureMapGrad(w.df, 0, d, w.fq, 0, d, tq, d, dqa, dqv.row(bi, hi, 0), dqv.st());
                // dS += phi(Q)^T dnum, dz += phi(Q)^T dden
                kn.gemmTN(d, dv, tq, w.fq, 0, d, w.dnum, 0, dv, w.ds, 0, dv, true);
                for (int i = 0; i < tq; i++) {
                    int o = i * d;
                    float di = w.dden[i];
                    for (int cc = 0; cc < d; cc++) w.dz[cc] += di * w.fq[o + cc];
                }
            }
            // dv = phi(K) dS; dphi(K) = V dS^T + dz, then through the feature map (0 on padded keys, whose features are 0)
            kn.gemmNN(tk, dv, d, w.fk, 0, d, w.ds, 0, dv, dva, dvv.row(bi, kvh, 0), dvv.st(), false);
            transpose(w.ds, d, dv, w.st);
            for (int j = 0; j < tk; j++) System.arraycopy(w.dz, 0, w.df, j * d, d);
            kn.gemmNN(tk, d, dv, c.v(), c.vv().row(bi, kvh, 0), c.vv().st(), w.st, 0, d, w.df, 0, d, true);
            kn.featureMapGrad(w.df, 0, d, w.fk, 0, d, tk, d, dka, dkv.row(bi, kvh, 0), dkv.st());
        });
        return new Tensor[] {dq, dk, dvt};
    }

    /** {@code dst[j*rows + i] = src[i*cols + j]}. */
    private static void transpose(float[] src, int rows, int cols, float[] dst) {
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            for (int j = 0; j < cols; j++) dst[j * rows + i] = src[o + j];
        }
    }
}
