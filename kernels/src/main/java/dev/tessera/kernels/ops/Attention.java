package dev.tessera.kernels.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Fused scaled dot-product attention on the GPU (FlashAttention-2 style, {@code attention.cu}):
 * the forward streams key tiles through an online softmax and returns the output with the row
 * log-sum-exp; the backward recomputes the probabilities from it and is deterministic (dK/dV per
 * key tile summing the query heads of each kv head, dQ per query tile, no atomics).
 *
 * <p>Shapes and masks are those of {@code nn.attention.Sdpa}: q [B, H, Tq, D], k [B, Hkv, Tk, D],
 * v [B, Hkv, Tk, Dv] with {@code H % Hkv == 0}; query head h reads kv head {@code h / (H / Hkv)} by
 * index (never repeated); {@code keyPadding} BOOL [B, Tk] (true = masked) or null; causal lets query
 * i see keys {@code j <= i + causalOffset}. A row that sees no key gets output 0, log-sum-exp
 * -infinity and zero gradients. Views with a contiguous last dimension (e.g. heads permuted out of
 * [B, T, H, D]) are read in place.
 *
 * <p>Kernels: BF16 inputs with {@code D == Dv} in {32, 64, 128} run on tensor cores (bf16 products,
 * fp32 accumulation and softmax), and so do F32 inputs of those sizes when the precision supplier
 * says {@link MatmulPrecision#BF16} (inputs rounded to bf16, results back in F32: mixed precision);
 * every other F32 or BF16 case with {@code D, Dv <= 128} runs the float32 SIMT kernels (BF16 widened
 * to F32 and the results rounded back). Output, log-sum-exp [B, H, Tq] (F32) and gradients are new
 * contiguous tensors in the input dtype.
 *
 * <pre>{@code
 * Attention att = new Attention(gpu);
 * Attention.Result r = att.forward(q, k, v, null, true, 1 / Math.sqrt(64), 0);
 * Attention.Grads gr = att.backward(q, k, v, r.out(), r.lse(), dOut, null, true, 1 / Math.sqrt(64), 0);
 * }</pre>
 */
public final class Attention {
    private static final String M = "attention";
    /** Largest head dimension of the kernels. */
    public static final int MAX_HEAD_DIM = 128;
    /** Bytes of {@code struct AttnArgs} (12 pointers, 24 strides, 9 ints, 2 floats, padded to 8). */
    static final int ARGS_BYTES = 336;
    private static final int F32_BM = 64, F32_BN = 64, F32_BQ = 32, F32_BK = 32, TC_BM = 64, TC_BN = 64;

    private final Gpu g;
    private final java.util.function.Supplier<MatmulPrecision> precision;

    /** Attention kernels on a device, in the inputs' precision. */
    public Attention(Gpu g) {
        this(g, () -> MatmulPrecision.F32);
    }

    /** Attention kernels on a device; F32 inputs run in bf16 on tensor cores while {@code precision} gives BF16. */
    public Attention(Gpu g, java.util.function.Supplier<MatmulPrecision> precision) {
        this.g = g;
        this.precision = precision;
    }

    private boolean useTensorCores(DType dt, int d, int dv) {
        return tensorCores(DType.BF16, d, dv) && (dt == DType.BF16 || (dt == DType.F32 && precision.get() == MatmulPrecision.BF16));
    }

    /** Output [B, H, Tq, Dv] and row log-sum-exp [B, H, Tq] (F32, natural log). */
    public record Result(Tensor out, Tensor lse) {}

    /** Gradients with respect to q, k and v. */
    public record Grads(Tensor dq, Tensor dk, Tensor dv) {}

    /** True when {@code dtype} with head dims d, dv runs on the tensor-core kernels. */
    public static boolean tensorCores(DType dtype, int d, int dv) {
        return dtype == DType.BF16 && d == dv && (d == 32 || d == 64 || d == 128);
    }

    /** Forward; see the class documentation. */
    public Result forward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, double scale, int causalOffset) {
        Dims s = check("attention", q, k, v, keyPadding, causalOffset);
        DType dt = q.dtype();
        boolean tc = useTensorCores(dt, s.d, s.dv);
        DType kt = tc ? DType.BF16 : DType.F32;
        Tensor qq = operand(q, kt, tc), kk = operand(k, kt, tc), vv = operand(v, kt, tc);
        Tensor out = g.alloc(kt, new int[] {s.b, s.h, s.tq, s.dv});
        Tensor lse = g.alloc(DType.F32, new int[] {s.b, s.h, s.tq});
        if (s.tq > 0) {
            Tensor pad = keyPadding == null ? null : keyPadding.contiguous();
            Args a = new Args(s, causal, causalOffset, scale).q(qq).k(kk).v(vv).out(out).lse(lse).pad(pad);
            int tiles = ceil(s.tq, tc ? TC_BM : F32_BM);
            if (tc) {
                int shared = (TC_BM + 4 * TC_BN) * (s.d + 8) * 2;
                g.launchGrid(M, "attn_fwd_bf16_d" + s.d, s.b * s.h, tiles, 128, shared, (ar, ka) -> ka.struct(a.struct(ar)));
            } else {
                int shared = 4 * (F32_BM * (s.d + 1) + F32_BN * (s.d + 1) + F32_BN * s.dv + F32_BM * (F32_BN + 1));
                g.launchGrid(M, "attn_fwd_f32", s.b * s.h, tiles, 256, shared, (ar, ka) -> ka.struct(a.struct(ar)));
            }
        }
        return new Result(out.to(dt), lse);
    }

    /** Backward from the forward's output and log-sum-exp and the output gradient {@code gOut}. */
    public Grads backward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor keyPadding, boolean causal,
                          double scale, int causalOffset) {
        Dims s = check("attentionBackward", q, k, v, keyPadding, causalOffset);
        int[] os = {s.b, s.h, s.tq, s.dv}, ls = {s.b, s.h, s.tq};
        if (!Shape.same(out.shape(), os) || !Shape.same(gOut.shape(), os) || !Shape.same(lse.shape(), ls)) {
            throw new IllegalArgumentException("attentionBackward: expected out and gOut " + Shape.str(os) + " and lse " + Shape.str(ls)
                    + ", got out " + Shape.str(out.shape()) + ", gOut " + Shape.str(gOut.shape()) + ", lse " + Shape.str(lse.shape()));
        }
        DType dt = q.dtype();
        boolean tc = useTensorCores(dt, s.d, s.dv);
        DType kt = tc ? DType.BF16 : DType.F32;
        Tensor qq = operand(q, kt, tc), kk = operand(k, kt, tc), vv = operand(v, kt, tc);
        Tensor oo = operand(out, kt, tc), go = operand(gOut, kt, tc), lc = lse.to(DType.F32).contiguous();
        Tensor dq = g.alloc(kt, q.shape()), dk = g.alloc(kt, k.shape()), dv = g.alloc(kt, v.shape());
        if (s.tq == 0 || s.tk == 0) {
            for (Tensor t : new Tensor[] {dq, dk, dv}) g.dev().fill8(Gpu.ptr(t), (byte) 0, (long) t.numel() * kt.byteSize());
            return new Grads(dq.to(dt), dk.to(dt), dv.to(dt));
        }
        Tensor delta = g.alloc(DType.F32, ls);
        Tensor pad = keyPadding == null ? null : keyPadding.contiguous();
        Args a = new Args(s, causal, causalOffset, scale).q(qq).k(kk).v(vv).o(oo).dout(go).lse(lc).delta(delta).pad(pad)
                .dq(dq).dk(dk).dv(dv);
        long rows = (long) s.b * s.h * s.tq;
        g.launchGrid(M, "attn_delta", g.grid(rows, 8), 1, 256, 0, (ar, ka) -> ka.struct(a.struct(ar)).i32(kt.ordinal()));
        if (tc) {
            int bq = s.d > 64 ? 32 : 64;
            int sharedKv = (2 * TC_BN + 4 * bq) * (s.d + 8) * 2 + 4 * bq * 4;
            g.launchGrid(M, "attn_bwd_dkdv_bf16_d" + s.d, s.b * s.hkv, ceil(s.tk, TC_BN), 128, sharedKv,
                    (ar, ka) -> ka.struct(a.struct(ar)));
            int sharedQ = (2 * TC_BM + 4 * TC_BN) * (s.d + 8) * 2 + 2 * TC_BM * 4;
            g.launchGrid(M, "attn_bwd_dq_bf16_d" + s.d, s.b * s.h, ceil(s.tq, TC_BM), 128, sharedQ,
                    (ar, ka) -> ka.struct(a.struct(ar)));
        } else {
            int sharedKv = 4 * (F32_BN * (s.d + 1) + F32_BN * (s.dv + 1) + F32_BQ * (s.d + 1) + F32_BQ * (s.dv + 1)
                    + 2 * F32_BN * (F32_BQ + 1) + 2 * F32_BQ);
            g.launchGrid(M, "attn_bwd_dkdv_f32", s.b * s.hkv, ceil(s.tk, F32_BN), 256, sharedKv, (ar, ka) -> ka.struct(a.struct(ar)));
            int sharedQ = 4 * (F32_BM * (s.d + 1) + F32_BM * (s.dv + 1) + F32_BK * (s.d + 1) + F32_BK * (s.dv + 1)
                    + F32_BM * (F32_BK + 1) + 2 * F32_BM);
            g.launchGrid(M, "attn_bwd_dq_f32", s.b * s.h, ceil(s.tq, F32_BM), 256, sharedQ, (ar, ka) -> ka.struct(a.struct(ar)));
        }
        return new Grads(dq.to(dt), dk.to(dt), dv.to(dt));
    }

    private static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Validated sizes of one call. */
    private record Dims(int b, int h, int hkv, int tq, int tk, int d, int dv) {}

    private static Dims check(String op, Tensor q, Tensor k, Tensor v, Tensor pad, int causalOffset) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected q [B,H,Tq,D], k [B,Hkv,Tk,D], v [B,Hkv,Tk,Dv], got q"
                    + Shape.str(q.shape()) + ", k" + Shape.str(k.shape()) + ", v" + Shape.str(v.shape()));
        }
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), hkv = k.dim(1), tk = k.dim(2), dv = v.dim(3);
        if (k.dim(0) != b || v.dim(0) != b || v.dim(1) != hkv || k.dim(3) != d || v.dim(2) != tk || hkv == 0 || h % hkv != 0) {
            throw new IllegalArgumentException(op + ": incompatible shapes q" + Shape.str(q.shape()) + ", k" + Shape.str(k.shape())
                    + ", v" + Shape.str(v.shape()) + " (need equal batch, k/v equal heads and length, q heads a multiple of kv heads)");
        }
        if (q.dtype() != k.dtype() || q.dtype() != v.dtype()) {
            throw new IllegalArgumentException(op + ": q, k and v must share a dtype, got " + q.dtype() + ", " + k.dtype() + ", " + v.dtype());
        }
        if (q.dtype() != DType.F32 && q.dtype() != DType.BF16) {
            throw new IllegalArgumentException(op + ": the CUDA attention kernels take F32 or BF16, got " + q.dtype());
        }
        if (d < 1 || dv < 1 || d > MAX_HEAD_DIM || dv > MAX_HEAD_DIM) {
            throw new IllegalArgumentException(op + ": the CUDA attention kernels need head dims in [1, " + MAX_HEAD_DIM
                    + "], got D " + d + ", Dv " + dv);
        }
        if (causalOffset < 0) throw new IllegalArgumentException(op + ": causalOffset must be >= 0, got " + causalOffset);
        if (pad != null && (pad.dtype() != DType.BOOL || pad.rank() != 2 || pad.dim(0) != b || pad.dim(1) != tk)) {
            throw new IllegalArgumentException(op + ": keyPadding must be BOOL [" + b + ", " + tk + "], got " + pad.dtype()
                    + Shape.str(pad.shape()));
        }
        if ((long) b * h > Integer.MAX_VALUE / 2) throw new IllegalArgumentException(op + ": B * H = " + (long) b * h + " is too large");
        return new Dims(b, h, hkv, tq, tk, d, dv);
    }

    /**
     * The operand as the kernels read it: dtype {@code dt}, last dimension contiguous, and for the
     * tensor-core kernels rows starting on 16-byte boundaries (cp.async); anything else is copied.
     */
    private static Tensor operand(Tensor t, DType dt, boolean aligned16) {
        Tensor x = t.dtype() == dt ? t : t.to(dt);
        int[] st = x.strides();
        boolean ok = x.dim(3) == 1 || st[3] == 1;
        if (ok && aligned16) {
            long bytes = dt.byteSize();
            ok = (Gpu.ptr(x) & 15) == 0;
            for (int i = 0; i < 3 && ok; i++) ok = x.dim(i) == 1 || ((long) st[i] * bytes) % 16 == 0;
        }
        return ok ? x : x.contiguous();
    }

    /** The {@code struct AttnArgs} of one launch. */
    private static final class Args {
        private final long[] ptrs = new long[12];
        private final long[] strides = new long[24];
        private final int[] ints;
        private final float scaleLog2, scale;

        Args(Dims s, boolean causal, int causalOffset, double scale) {
            ints = new int[] {s.b, s.h, s.hkv, s.tq, s.tk, s.d, s.dv, causal ? 1 : 0, causalOffset};
            this.scale = (float) scale;
            this.scaleLog2 = (float) (scale / Math.log(2));
        }

        private Args set(int ptrSlot, int strideSlot, Tensor t) {
            if (t == null) return this;
            ptrs[ptrSlot] = Gpu.ptr(t);
            if (strideSlot >= 0) {
                int[] st = t.strides();
                for (int i = 0; i < 3; i++) strides[3 * strideSlot + i] = st[i];
            }
            return this;
        }

        Args q(Tensor t) { return set(0, 0, t); }
        Args k(Tensor t) { return set(1, 1, t); }
        Args v(Tensor t) { return set(2, 2, t); }
        Args o(Tensor t) { return set(3, 3, t); }
        Args dout(Tensor t) { return set(4, 4, t); }
        Args out(Tensor t) { return set(5, 3, t); }
        Args lse(Tensor t) { return set(6, -1, t); }
        Args delta(Tensor t) { return set(7, -1, t); }
        Args dq(Tensor t) { return set(8, 5, t); }
        Args dk(Tensor t) { return set(9, 6, t); }
        Args dv(Tensor t) { return set(10, 7, t); }
        Args pad(Tensor t) { return set(11, -1, t); }

        MemorySegment struct(Arena a) {
            MemorySegment m = a.allocate(ARGS_BYTES, 16);
            for (int i = 0; i < ptrs.length; i++) m.set(JAVA_LONG, 8L * i, ptrs[i]);
            for (int i = 0; i < strides.length; i++) m.set(JAVA_LONG, 96 + 8L * i, strides[i]);
            for (int i = 0; i < ints.length; i++) m.set(JAVA_INT, 288 + 4L * i, ints[i]);
            m.set(JAVA_FLOAT, 324, scaleLog2);
            m.set(JAVA_FLOAT, 328, scale);
            return m;
        }
    }
}
