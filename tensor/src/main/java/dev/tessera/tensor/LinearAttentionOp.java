package dev.tessera.tensor;

/**
 * Non-causal linear attention with the feature map {@code phi(x) = elu(x) + 1} as one op of the
 * {@link Backend} SPI (Katharopoulos et al.), with its composite form (elementwise ops and batched
 * matmuls) as the oracle and as the implementation for backends without a fused kernel.
 *
 * <p>Shapes as in {@link Attention}: q [B, H, Tq, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv], query head
 * h reads kv head {@code h / (H / Hkv)}; one floating dtype (F32 or F64) and device. For each query
 * {@code out_i = phi(q_i)^T S / max(phi(q_i)^T z, TINY)} with {@code S = sum_j phi(k_j) v_j^T} and
 * {@code z = sum_j phi(k_j)} over the keys not masked by {@code keyPadding} (BOOL [B, Tk], true =
 * masked, nullable). A query whose batch row has no visible key gets 0, and zero gradients. The op
 * takes the projections themselves (before the feature map), so a fused kernel applies phi on data
 * it already has in cache. Causal linear attention (prefix sums) is composed from other ops by the
 * layer; it is not part of this op.
 *
 * <p>{@link #backward} returns dq, dk, dv, where dk and dv sum the contributions of the query heads that
 * share a kv head. Outputs may be strided views (a backend may lay them out like its inputs).
 *
 * <pre>{@code
 * Tensor out = LinearAttentionOp.forward(q, k, v, null);
 * LinearAttentionOp.Grads g = LinearAttentionOp.backward(q, k, v, out, gradOut, null);
 * }</pre>
 */
public final class LinearAttentionOp {
    /** Floor of the normaliser: only reached when no key is visible, where the numerator is 0 too. */
    public static final double TINY = 1e-30;

    private LinearAttentionOp() {}

    /** Gradients with respect to q, k and v (each with its input's shape). */
    public record Grads(Tensor dq, Tensor dk, Tensor dv) {}

    /** The op on the inputs' backend; returns out [B, H, Tq, Dv]. */
    public static Tensor forward(Tensor q, Tensor k, Tensor v, Tensor keyPadding) {
        Attention.check("linearAttention", q, k, v, keyPadding, 1.0);
        return q.backend().linearAttention(q, k, v, keyPadding);
    }

    /** The backward from the forward's output and the output gradient gOut. */
    public static Grads backward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor gOut, Tensor keyPadding) {
        checkBackward(q, k, v, out, gOut, keyPadding);
        Tensor[] g = q.backend().linearAttentionBackward(q, k, v, out, gOut, keyPadding);
        return new Grads(g[0], g[1], g[2]);
    }

    /** The composite forward: the feature maps, {@code phi(K)^T V} and {@code phi(K)^T 1} per kv head, two matmuls, a division. */
    public static Tensor composite(Tensor q, Tensor k, Tensor v, Tensor keyPadding) {
        Attention.check("linearAttention", q, k, v, keyPadding, 1.0);
        Parts p = parts(q, k, v, keyPadding);
        Tensor num = p.fq.matmul(p.s);                                          // [B, Hkv, G*Tq, Dv]
        return num.div(p.den.maximum(TINY)).reshape(q.dim(0), q.dim(1), q.dim(2), v.dim(3));
    }

    /**
     * The composite backward. With {@code r = 1 / den} where a key is visible (else 0):
     * {@code dnum = gOut r}, {@code dden = -(gOut . out) r}, {@code dphi(q) = dnum S^T + dden z^T},
     * {@code dS = phi(Q)^T dnum}, {@code dz = phi(Q)^T dden}, {@code dphi(k) = V dS^T + dz}, {@code dv = phi(K) dS};
     * the feature map's derivative is {@code min(1, phi(x))} (1 above 0, {@code exp(x) = phi(x)} below), and 0 on
     * padded keys, whose features are 0.
     */
    public static Grads compositeBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor gOut, Tensor keyPadding) {
        checkBackward(q, k, v, out, gOut, keyPadding);
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), hkv = k.dim(1), dv = v.dim(3), g = h / hkv;
        Parts p = parts(q, k, v, keyPadding);
        Tensor visible = p.den.gt(TINY).to(q.dtype());
        Tensor r = visible.div(p.den.maximum(TINY));                            // 1/den, 0 without a visible key
        Tensor go = gOut.reshape(b, hkv, g * tq, dv), o = out.reshape(b, hkv, g * tq, dv);
        Tensor dnum = go.mul(r);
        Tensor dden = go.mul(o).sumKeepDims(3).mul(r).neg();                    // [B, Hkv, G*Tq, 1]
        Tensor dfq = dnum.matmul(p.s.mT()).add(dden.mul(p.z.mT()));
        Tensor dq = dfq.mul(p.fq.minimum(1.0)).reshape(b, h, tq, d);
        Tensor ds = p.fq.mT().matmul(dnum);                                     // [B, Hkv, D, Dv]
        Tensor dz = p.fq.mT().matmul(dden);                                     // [B, Hkv, D, 1]
        Tensor dfk = v.matmul(ds.mT()).add(dz.mT());
        Tensor dk = dfk.mul(p.fk.minimum(1.0));
        Tensor dvv = p.fk.matmul(ds);
        return new Grads(dq, dk, dvv);
    }

    /** Feature-mapped queries grouped by kv head, masked key features, the sums S and z, the normaliser. */
    private record Parts(Tensor fq, Tensor fk, Tensor s, Tensor z, Tensor den) {}

    private static Parts parts(Tensor q, Tensor k, Tensor v, Tensor keyPadding) {
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), hkv = k.dim(1), tk = k.dim(2), g = h / hkv;
        Tensor fq = phi(q).reshape(b, hkv, g * tq, d);
        Tensor fk = phi(k);
        if (keyPadding != null) fk = fk.mul(keyPadding.not().to(fk.dtype()).reshape(b, 1, tk, 1));
        Tensor s = fk.mT().matmul(v);                                           // [B, Hkv, D, Dv]
        Tensor z = fk.sumKeepDims(2).mT();                                      // [B, Hkv, D, 1]
        return new Parts(fq, fk, s, z, fq.matmul(z));
    }

    private static Tensor phi(Tensor x) {
        return x.elu().add(1.0);
    }

    private static void checkBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor gOut, Tensor keyPadding) {
        String op = "linearAttentionBackward";
        Attention.check(op, q, k, v, keyPadding, 1.0);
        int[] os = {q.dim(0), q.dim(1), q.dim(2), v.dim(3)};
        if (!Shape.same(out.shape(), os) || !Shape.same(gOut.shape(), os)) {
            throw new IllegalArgumentException(op + ": expected out and gOut " + Shape.str(os) + ", got out " + Shape.str(out.shape())
                    + ", gOut " + Shape.str(gOut.shape()));
        }
        if (out.dtype() != q.dtype() || gOut.dtype() != q.dtype()) {
            throw new IllegalArgumentException(op + ": out and gOut must have dtype " + q.dtype() + ", got " + out.dtype() + ", " + gOut.dtype());
        }
        q.checkSameDevice(op, out);
        q.checkSameDevice(op, gOut);
    }
}
