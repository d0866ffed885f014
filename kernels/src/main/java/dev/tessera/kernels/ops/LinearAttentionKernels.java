package dev.tessera.kernels.ops;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.tessera.kernels.memory.DeviceBlock;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Linear attention with {@code phi(x) = elu(x) + 1} on the GPU ({@code linattn.cu}), the contract of
 * {@code nn.attention.LinearAttention.attend}: q [B, H, Tq, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv]
 * (causal needs Tq == Tk), query head h reads kv head {@code h / (H / Hkv)}, padded keys ({@code keyPadding}
 * BOOL [B, Tk], true = masked) contribute nothing, a query that sees no key gets 0.
 *
 * <p>Causal: chunked (chunks of 64 rows, 32 when a head dim exceeds 64), one block per (batch, head)
 * carrying the running state in shared memory; the backward walks forward for dQ and backward for
 * dK/dV with the suffix state, summing the query heads of a kv head inside one block (no atomics).
 * Non-causal: the state per kv head, then every row in parallel. Float32 arithmetic; BF16 inputs are
 * widened and the results rounded back. Head dims up to {@value #MAX_HEAD_DIM}.
 *
 * <pre>{@code
 * Tensor out = la.forward(q, k, v, pad, true);
 * Tensor[] g = la.backward(q, k, v, pad, true, dOut);   // {dq, dk, dv}
 * }</pre>
 */
public final class LinearAttentionKernels {
    private static final String M = "linattn";
    /** Largest head dimension (the causal kernels keep a D x Dv state in shared memory). */
    public static final int MAX_HEAD_DIM = 128;
    /** Bytes of {@code struct LaArgs}: 13 pointers, 12 strides, 8 ints. */
    static final int ARGS_BYTES = 13 * 8 + 12 * 8 + 8 * 4;

    private final Gpu g;

    /** Linear attention kernels on a device. */
    public LinearAttentionKernels(Gpu g) {
        this.g = g;
    }

    private record Dims(int b, int h, int hkv, int tq, int tk, int d, int dv, int chunk) {}

    private static Dims check(String op, Tensor q, Tensor k, Tensor v, Tensor pad, boolean causal) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4 || k.dim(0) != q.dim(0) || v.dim(0) != q.dim(0) || k.dim(1) != v.dim(1)
                || k.dim(2) != v.dim(2) || k.dim(3) != q.dim(3) || k.dim(1) == 0 || q.dim(1) % k.dim(1) != 0
                || (causal && q.dim(2) != k.dim(2))) {
            throw new IllegalArgumentException(op + ": incompatible shapes q" + Shape.str(q.shape()) + ", k" + Shape.str(k.shape())
                    + ", v" + Shape.str(v.shape()) + (causal ? " (causal needs Tq == Tk)" : ""));
        }
        for (Tensor t : new Tensor[] {q, k, v}) {
            if (t.dtype() != DType.F32 && t.dtype() != DType.BF16) {
                throw new IllegalArgumentException(op + ": the CUDA linear attention kernels take F32 or BF16, got " + t.dtype());
            }
        }
        int b = q.dim(0), tk = k.dim(2), d = q.dim(3), dv = v.dim(3);
        if (d < 1 || dv < 1 || d > MAX_HEAD_DIM || dv > MAX_HEAD_DIM) {
            throw new IllegalArgumentException(op + ": head dims must be in [1, " + MAX_HEAD_DIM + "], got D " + d + ", Dv " + dv);
        }
        if (pad != null && (pad.dtype() != DType.BOOL || !Shape.same(pad.shape(), new int[] {b, tk}))) {
            throw new IllegalArgumentException(op + ": keyPadding must be BOOL [" + b + ", " + tk + "], got " + pad.dtype()
                    + Shape.str(pad.shape()));
        }
        int chunk = Math.max(d, dv) > 64 ? 32 : 64;
        return new Dims(b, q.dim(1), k.dim(1), q.dim(2), tk, d, dv, chunk);
    }

    /** The attention output [B, H, Tq, Dv] in q's dtype. */
    public Tensor forward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal) {
        Dims s = check("linearAttention", q, k, v, keyPadding, causal);
        Tensor qq = f32(q), kk = f32(k), vv = f32(v), pad = keyPadding == null ? null : keyPadding.contiguous();
        Tensor out = g.alloc(DType.F32, new int[] {s.b, s.h, s.tq, s.dv});
        if (out.numel() == 0) return out.to(q.dtype());
        long[] p = new long[13];
        p[0] = Gpu.ptr(qq);
        p[1] = Gpu.ptr(kk);
        p[2] = Gpu.ptr(vv);
        p[4] = Gpu.ptr(out);
        p[12] = pad == null ? 0 : Gpu.ptr(pad);
        if (causal) {
            int c = s.chunk;
            int shared = 4 * (s.d * s.dv + s.d + c * (2 * s.d + s.dv) + c * c + c);
            g.launchGrid(M, "la_fwd_causal", s.b * s.h, 1, 256, shared, (ar, ka) -> ka.struct(args(ar, p, s, qq, kk, vv, null)));
        } else {
            DeviceBlock state = g.scratch(4L * s.b * s.hkv * s.d * (s.dv + 1));
            p[8] = state.ptr();
            p[9] = state.ptr() + 4L * s.b * s.hkv * s.d * s.dv;
            g.launchGrid(M, "la_state", s.b * s.hkv, 1, 256, 0, (ar, ka) -> ka.struct(args(ar, p, s, qq, kk, vv, null)));
            g.launchGrid(M, "la_fwd_noncausal", s.b * s.h, (s.tq + 7) / 8, 256, 0, (ar, ka) -> ka.struct(args(ar, p, s, qq, kk, vv, null)));
            g.free(state);
        }
        return out.to(q.dtype());
    }

    /** {dq, dk, dv} of {@link #forward} given {@code gOut [B, H, Tq, Dv]}, in the inputs' dtypes. */
    public Tensor[] backward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, Tensor gOut) {
        Dims s = check("linearAttentionBackward", q, k, v, keyPadding, causal);
        if (!Shape.same(gOut.shape(), new int[] {s.b, s.h, s.tq, s.dv})) {
            throw new IllegalArgumentException("linearAttentionBackward: gOut must be " + Shape.str(new int[] {s.b, s.h, s.tq, s.dv})
                    + ", got " + Shape.str(gOut.shape()));
        }
        Tensor qq = f32(q), kk = f32(k), vv = f32(v), go = f32(gOut), pad = keyPadding == null ? null : keyPadding.contiguous();
        Tensor dq = g.alloc(DType.F32, q.shape()), dk = g.alloc(DType.F32, k.shape()), dv = g.alloc(DType.F32, v.shape());
        if (s.tq == 0 || s.tk == 0 || s.b == 0) {
            for (Tensor t : new Tensor[] {dq, dk, dv}) g.dev().fill8(Gpu.ptr(t), (byte) 0, 4L * t.numel());
            return new Tensor[] {dq.to(q.dtype()), dk.to(k.dtype()), dv.to(v.dtype())};
        }
        DeviceBlock dn = g.scratch(4L * s.b * s.h * s.tq * (s.dv + 1));
        long[] p = new long[13];
        p[0] = Gpu.ptr(qq);
        p[1] = Gpu.ptr(kk);
        p[2] = Gpu.ptr(vv);
        p[3] = Gpu.ptr(go);
        p[5] = Gpu.ptr(dq);
        p[6] = Gpu.ptr(dk);
        p[7] = Gpu.ptr(dv);
        p[10] = dn.ptr();
        p[11] = dn.ptr() + 4L * s.b * s.h * s.tq * s.dv;
        p[12] = pad == null ? 0 : Gpu.ptr(pad);
        if (causal) {
            int c = s.chunk;
            int sharedQ = 4 * (s.d * s.dv + s.d + c * (2 * s.d + s.dv) + c * c + c + c * s.dv + c);
            g.launchGrid(M, "la_bwd_q_causal", s.b * s.h, 1, 256, sharedQ, (ar, ka) -> ka.struct(args(ar, p, s, qq, kk, vv, go)));
            int sharedKv = 4 * (s.d * s.dv + s.d + c * (2 * s.d + 2 * s.dv) + c + 2 * c * c);
            g.launchGrid(M, "la_bwd_kv_causal", s.b * s.hkv, 1, 256, sharedKv, (ar, ka) -> ka.struct(args(ar, p, s, qq, kk, vv, go)));
        } else {
            DeviceBlock state = g.scratch(4L * s.b * s.hkv * s.d * (s.dv + 1));
            p[8] = state.ptr();
            p[9] = state.ptr() + 4L * s.b * s.hkv * s.d * s.dv;
            g.launchGrid(M, "la_state", s.b * s.hkv, 1, 256, 0, (ar, ka) -> ka.struct(args(ar, p, s, qq, kk, vv, go)));
            g.launchGrid(M, "la_bwd_q_noncausal", s.b * s.h, (s.tq + 7) / 8, 256, 0, (ar, ka) -> ka.struct(args(ar, p, s, qq, kk, vv, go)));
            g.launchGrid(M, "la_state_bwd", s.b * s.hkv, 1, 256, 0, (ar, ka) -> ka.struct(args(ar, p, s, qq, kk, vv, go)));
            g.launchGrid(M, "la_bwd_kv_noncausal", s.b * s.hkv, (s.tk + 7) / 8, 256, 0, (ar, ka) -> ka.struct(args(ar, p, s, qq, kk, vv, go)));
            g.free(state);
        }
        g.free(dn);
        return new Tensor[] {dq.to(q.dtype()), dk.to(k.dtype()), dv.to(v.dtype())};
    }

    /** F32 with a contiguous last dimension (the kernels read rows through (b, h, t) strides). */
    private static Tensor f32(Tensor t) {
        Tensor x = t.dtype() == DType.F32 ? t : t.to(DType.F32);
        return x.dim(3) == 1 || x.strides()[3] == 1 ? x : x.contiguous();
    }

    private static MemorySegment args(Arena a, long[] ptrs, Dims s, Tensor q, Tensor k, Tensor v, Tensor gOut) {
        MemorySegment m = a.allocate(ARGS_BYTES, 16);
        for (int i = 0; i < ptrs.length; i++) m.set(JAVA_LONG, 8L * i, ptrs[i]);
        Tensor[] ts = {q, k, v, gOut};
        for (int t = 0; t < ts.length; t++) {
            if (ts[t] == null) continue;
            int[] st = ts[t].strides();
            for (int i = 0; i < 3; i++) m.set(JAVA_LONG, 104 + 8L * (3 * t + i), st[i]);
        }
        int[] ints = {s.b, s.h, s.hkv, s.tq, s.tk, s.d, s.dv, s.chunk};
        for (int i = 0; i < ints.length; i++) m.set(JAVA_INT, 200 + 4L * i, ints[i]);
        return m;
    }
}
