package dev.tessera.nn.attention;

import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Scaled dot-product attention over heads, with grouped kv heads.
 *
 * <p>Shapes: q [B, H, Tq, D], k and v [B, Hkv, Tk, D] / [B, Hkv, Tk, Dv], with {@code H % Hkv == 0}.
 * Query head {@code h} uses kv head {@code h / (H / Hkv)}. The kv heads are indexed, never repeated:
 * the H query heads are regrouped (a free reshape) into [B, Hkv, G * Tq, D] so one batched product per
 * kv head serves all G query heads that share it; autograd therefore sums the G query heads' gradients
 * into their shared kv head.
 *
 * <p>Masks: {@code keyPadding} is BOOL [B, Tk] with true = masked (nullable); {@code causal} lets query
 * i see keys {@code j <= i + causalOffset}. A query row whose keys are all masked yields a zero output
 * (and zero gradients), not NaN.
 *
 * <p>{@link #attention} runs the fused op ({@link #fused}: {@link Variable#attention}, blocked online
 * softmax on the backend, never more than one block of scores per worker, backward recomputed from the
 * row log-sum-exp) when there is no dropout, and the composite ({@link #composite}: batched GEMMs,
 * keeps the [.., Tq, Tk] probabilities) with dropout, because the fused backward recomputes the
 * probabilities and would have to regenerate the same dropout mask. The composite is also the
 * oracle of the fused path.
 *
 * <pre>{@code
 * Variable out = Sdpa.attention(q, k, v, pad, true, 0, 0.0, null);
 * }</pre>
 */
public final class Sdpa {
    /** Score given to masked positions before the softmax: finite so fully masked rows stay NaN-free. */
    private static final double MASKED = -1e30;

    private Sdpa() {}

    /**
     * Attention with scale {@code 1 / sqrt(D)}.
     *
     * @param dropoutP attention-probability dropout (0 disables; needs {@code rng} when positive)
     */
    public static Variable attention(Variable q, Variable k, Variable v, Tensor keyPadding, boolean causal, int causalOffset,
                                     double dropoutP, Rng rng) {
        return attention(q, k, v, keyPadding, causal, causalOffset, 1.0 / Math.sqrt(q.dim(3)), dropoutP, rng);
    }

    /** Attention with an explicit scale; see the class documentation for shapes and masks. */
    public static Variable attention(Variable q, Variable k, Variable v, Tensor keyPadding, boolean causal, int causalOffset,
                                     double scale, double dropoutP, Rng rng) {
        check(q, k, v, keyPadding);
        if (!(dropoutP >= 0 && dropoutP < 1)) throw new IllegalArgumentException("attention: dropoutP must be in [0, 1), got " + dropoutP);
        if (dropoutP > 0 && rng == null) throw new IllegalArgumentException("attention: dropoutP " + dropoutP + " needs an rng");
        if (dropoutP == 0) return fused(q, k, v, keyPadding, causal, causalOffset, scale);
        return composite(q, k, v, keyPadding, causal, causalOffset, scale, dropoutP, rng);
    }

    /**
     * The fused path ({@link Variable#attention}): blocked online-softmax forward that returns the row
     * log-sum-exp, backward recomputed from it; no [Tq, Tk] score matrix is kept. No dropout (see the class
     * documentation).
     */
    public static Variable fused(Variable q, Variable k, Variable v, Tensor keyPadding, boolean causal, int causalOffset, double scale) {
        check(q, k, v, keyPadding);
        return Variable.attention(q, k, v, keyPadding, causal, causalOffset, scale);
    }

    /**
     * The composite path (matmul, masked softmax, dropout, matmul), which keeps the [.., Tq, Tk]
     * probabilities; it is also the oracle for the fused path.
     */
    public static Variable composite(Variable q, Variable k, Variable v, Tensor keyPadding, boolean causal, int causalOffset,
                                     double scale, double dropoutP, Rng rng) {
        check(q, k, v, keyPadding);
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3);
        int hkv = k.dim(1), tk = k.dim(2), dv = v.dim(3), g = h / hkv;
        Variable qg = q.reshape(b, hkv, g * tq, d);
        Variable s = qg.matmul(k.mT()).mul(scale).reshape(b, hkv, g, tq, tk);
        Tensor mask = mask(b, tq, tk, keyPadding, causal, causalOffset, q.value().device());
        Variable p;
        if (mask == null) {
            p = s.softmax(4);
        } else {
            DType dt = s.dtype();
            Variable masked = Variable.where(mask, Variable.constant(Tensor.full(dt, s.device(), MASKED)), s);
            // rows with no visible key would be uniform after the softmax; zero them instead
            Tensor anyVisible = mask.broadcastTo(b, 1, 1, tq, tk).not().to(dt).maxKeepDims(4);
            p = masked.softmax(4).mul(Variable.constant(anyVisible));
        }
        if (dropoutP > 0) p = p.dropout(dropoutP, rng);
        Variable o = p.reshape(b, hkv, g * tq, tk).matmul(v);
        return o.reshape(b, h, tq, dv);
    }

    /** The combined BOOL mask broadcastable to [B, Hkv, G, Tq, Tk], or null when nothing is masked. */
    static Tensor mask(int b, int tq, int tk, Tensor keyPadding, boolean causal, int causalOffset, dev.tessera.tensor.Device dev) {
        Tensor m = null;
        if (causal) m = AttentionMask.causal(tq, tk, causalOffset).to(dev);          // [Tq, Tk]
        if (keyPadding != null) {
            Tensor pm = keyPadding.reshape(b, 1, 1, 1, tk);
            m = m == null ? pm : pm.or(m);
        }
        return m;
    }

    private static void check(Variable q, Variable k, Variable v, Tensor keyPadding) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException("attention: expected q [B,H,Tq,D], k [B,Hkv,Tk,D], v [B,Hkv,Tk,Dv], got q"
                    + Shape.str(q.shape()) + ", k" + Shape.str(k.shape()) + ", v" + Shape.str(v.shape()));
        }
        int b = q.dim(0), h = q.dim(1), d = q.dim(3), hkv = k.dim(1);
        if (k.dim(0) != b || v.dim(0) != b || v.dim(1) != hkv || k.dim(3) != d || v.dim(2) != k.dim(2) || h % hkv != 0) {
            throw new IllegalArgumentException("attention: incompatible shapes q" + Shape.str(q.shape()) + ", k" + Shape.str(k.shape())
                    + ", v" + Shape.str(v.shape()) + " (need equal batch, k/v equal heads and length, q heads a multiple of kv heads)");
        }
        if (keyPadding != null && (keyPadding.dtype() != DType.BOOL || keyPadding.rank() != 2 || keyPadding.dim(0) != b
                || keyPadding.dim(1) != k.dim(2))) {
            throw new IllegalArgumentException("attention: keyPadding must be BOOL [" + b + ", " + k.dim(2) + "], got "
                    + keyPadding.dtype() + Shape.str(keyPadding.shape()));
        }
    }
}
