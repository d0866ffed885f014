package dev.tessera.tensor;

/**
 * Scaled dot-product attention as one fused op of the {@link Backend} SPI, with its composite form
 * (batched matmuls and a masked softmax) as the oracle and as the implementation for backends
 * without a fused kernel.
 *
 * <p>Shapes: q [B, H, Tq, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv] with {@code H % Hkv == 0}; query
 * head h reads kv head {@code h / (H / Hkv)} (MHA when Hkv == H, MQA when Hkv == 1, GQA otherwise);
 * kv heads are indexed, never repeated. All three share one floating dtype (F32 or F64) and device.
 * Masks: {@code keyPadding} BOOL [B, Tk] (true = masked, nullable); {@code causal} lets query i see
 * keys {@code j <= i + causalOffset}. Scores are {@code scale * q.k}.
 *
 * <p>{@link #forward} returns the output [B, H, Tq, Dv] and the row log-sum-exp of the scaled,
 * masked scores [B, H, Tq]; a row with no visible key has output 0 and log-sum-exp -infinity (and
 * zero gradients). {@link #backward} recomputes the probabilities from that log-sum-exp and returns
 * dq, dk, dv, where dk and dv sum the contributions of the query heads that share a kv head.
 * Outputs may be strided views (a backend may lay them out like its inputs).
 *
 * <pre>{@code
 * Attention.Result r = Attention.forward(q, k, v, null, true, 0, 1 / Math.sqrt(64));
 * Attention.Grads g = Attention.backward(q, k, v, r.out(), r.lse(), gradOut, null, true, 0, 1 / Math.sqrt(64));
 * }</pre>
 */
public final class Attention {
    private Attention() {}

    /** Output [B, H, Tq, Dv] and row log-sum-exp [B, H, Tq]. */
    public record Result(Tensor out, Tensor lse) {}

    /** Gradients with respect to q, k and v (each with its input's shape). */
    public record Grads(Tensor dq, Tensor dk, Tensor dv) {}

    /** The fused forward on the inputs' backend; see the class documentation. */
    public static Result forward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, int causalOffset, double scale) {
        check("attention", q, k, v, keyPadding, scale);
        Tensor[] r = q.backend().attention(q, k, v, keyPadding, causal, causalOffset, scale);
        return new Result(r[0], r[1]);
    }

    /** The fused backward from the forward's output and log-sum-exp and the output gradient gOut. */
    public static Grads backward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor keyPadding, boolean causal,
                                 int causalOffset, double scale) {
        checkBackward(q, k, v, out, lse, gOut, keyPadding, scale);
        Tensor[] g = q.backend().attentionBackward(q, k, v, out, lse, gOut, keyPadding, causal, causalOffset, scale);
        return new Grads(g[0], g[1], g[2]);
    }

    /**
     * The composite forward (batched matmuls, masked softmax, matmul) with the same results as
     * {@link #forward}; it keeps the [B, H, Tq, Tk] probabilities in memory.
     */
    public static Result composite(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, int causalOffset, double scale) {
        check("attention", q, k, v, keyPadding, scale);
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), hkv = k.dim(1), dv = v.dim(3), g = h / hkv;
        Tensor s = scores(q, k, keyPadding, causal, causalOffset, scale);                // [B, Hkv, G, Tq, Tk], masked = -inf
        Tensor m = s.maxKeepDims(4);
        Tensor mSafe = Tensor.where(m.eq(Double.NEGATIVE_INFINITY), m.zerosLike(), m);    // fully masked rows: shift by 0
        Tensor e = s.sub(mSafe).exp();
        Tensor l = e.sumKeepDims(4);
        Tensor p = e.div(Tensor.where(l.eq(0.0), l.onesLike(), l));
        Tensor out = p.reshape(b, hkv, g * tq, k.dim(2)).matmul(v).reshape(b, h, tq, dv);
        Tensor lse = mSafe.add(l.log()).reshape(b, h, tq);                                 // log 0 = -inf for masked rows
        return new Result(out, lse);
    }

    /** The composite backward (recomputes the probabilities from lse with batched matmuls); see {@link #backward}. */
    public static Grads compositeBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor keyPadding,
                                          boolean causal, int causalOffset, double scale) {
        checkBackward(q, k, v, out, lse, gOut, keyPadding, scale);
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), hkv = k.dim(1), tk = k.dim(2), dv = v.dim(3), g = h / hkv;
        Tensor s = scores(q, k, keyPadding, causal, causalOffset, scale);
        Tensor l5 = lse.reshape(b, hkv, g, tq, 1);
        Tensor p = s.sub(Tensor.where(l5.eq(Double.NEGATIVE_INFINITY), l5.zerosLike(), l5)).exp();   // masked entries: exp(-inf) = 0
        p = Tensor.where(l5.eq(Double.NEGATIVE_INFINITY).broadcastTo(p.shape()), p.zerosLike(), p).reshape(b, hkv, g * tq, tk);
        Tensor go = gOut.reshape(b, hkv, g * tq, dv);
        Tensor dvOut = p.mT().matmul(go);                                                   // sums the G query heads
        Tensor delta = gOut.mul(out).sumKeepDims(3).reshape(b, hkv, g * tq, 1);
        Tensor ds = p.mul(go.matmul(v.mT()).sub(delta)).mul(scale);
        Tensor dq = ds.matmul(k).reshape(b, h, tq, d);
        Tensor dk = ds.mT().matmul(q.reshape(b, hkv, g * tq, d));
        return new Grads(dq, dk, dvOut);
    }

    /** Scaled scores [B, Hkv, G, Tq, Tk] with masked entries set to -infinity. */
    private static Tensor scores(Tensor q, Tensor k, Tensor keyPadding, boolean causal, int causalOffset, double scale) {
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), hkv = k.dim(1), tk = k.dim(2), g = h / hkv;
        Tensor s = q.reshape(b, hkv, g * tq, d).matmul(k.mT()).mul(scale).reshape(b, hkv, g, tq, tk);
        Tensor mask = null;
        if (causal) {
            boolean[] c = new boolean[tq * tk];
            for (int i = 0; i < tq; i++) for (int j = 0; j < tk; j++) c[i * tk + j] = (long) j > (long) i + causalOffset;
            mask = Tensor.of(c, tq, tk).to(q.device());
        }
        if (keyPadding != null) {
            Tensor pm = keyPadding.reshape(b, 1, 1, 1, tk);
            mask = mask == null ? pm : pm.or(mask);
        }
        if (mask == null) return s;
        return Tensor.where(mask, Tensor.full(s.dtype(), s.device(), Double.NEGATIVE_INFINITY), s);
    }

    /** Validates q, k, v, the padding mask and the scale of an attention call. */
    public static void check(String op, Tensor q, Tensor k, Tensor v, Tensor keyPadding, double scale) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected q [B,H,Tq,D], k [B,Hkv,Tk,D], v [B,Hkv,Tk,Dv], got q"
                    + Shape.str(q.shape()) + ", k" + Shape.str(k.shape()) + ", v" + Shape.str(v.shape()));
        }
        int b = q.dim(0), h = q.dim(1), d = q.dim(3), hkv = k.dim(1);
        if (k.dim(0) != b || v.dim(0) != b || v.dim(1) != hkv || k.dim(3) != d || v.dim(2) != k.dim(2) || hkv == 0 || h % hkv != 0) {
            throw new IllegalArgumentException(op + ": incompatible shapes q" + Shape.str(q.shape()) + ", k" + Shape.str(k.shape())
                    + ", v" + Shape.str(v.shape()) + " (need equal batch, k/v equal heads and length, q heads a multiple of kv heads)");
        }
        if ((q.dtype() != DType.F32 && q.dtype() != DType.F64) || k.dtype() != q.dtype() || v.dtype() != q.dtype()) {
            throw new IllegalArgumentException(op + ": q, k and v must share dtype F32 or F64, got " + q.dtype() + ", " + k.dtype()
                    + ", " + v.dtype());
        }
        q.checkSameDevice(op, k);
        q.checkSameDevice(op, v);
        if (keyPadding != null) {
            if (keyPadding.dtype() != DType.BOOL || keyPadding.rank() != 2 || keyPadding.dim(0) != b || keyPadding.dim(1) != k.dim(2)) {
                throw new IllegalArgumentException(op + ": keyPadding must be BOOL [" + b + ", " + k.dim(2) + "], got "
                        + keyPadding.dtype() + Shape.str(keyPadding.shape()));
            }
            q.checkSameDevice(op, keyPadding);
        }
        if (!Double.isFinite(scale)) throw new IllegalArgumentException(op + ": scale must be finite, got " + scale);
    }

    private static void checkBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor keyPadding, double scale) {
        String op = "attentionBackward";
        check(op, q, k, v, keyPadding, scale);
        int[] os = {q.dim(0), q.dim(1), q.dim(2), v.dim(3)};
        int[] ls = {q.dim(0), q.dim(1), q.dim(2)};
        if (!Shape.same(out.shape(), os) || !Shape.same(gOut.shape(), os) || !Shape.same(lse.shape(), ls)) {
            throw new IllegalArgumentException(op + ": expected out and gOut " + Shape.str(os) + " and lse " + Shape.str(ls) + ", got out "
                    + Shape.str(out.shape()) + ", gOut " + Shape.str(gOut.shape()) + ", lse " + Shape.str(lse.shape()));
        }
        for (Tensor t : new Tensor[] {out, lse, gOut}) {
            if (t.dtype() != q.dtype()) {
                throw new IllegalArgumentException(op + ": out, lse and gOut must have dtype " + q.dtype() + ", got " + out.dtype() + ", "
                        + lse.dtype() + ", " + gOut.dtype());
            }
            q.checkSameDevice(op, t);
        }
    }
}
