package dev.tessera.nn.attention;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Linear;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.LinearAttentionOp;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Objects;

/**
 * Linear attention (Katharopoulos et al.) with feature map {@code phi(x) = elu(x) + 1}:
 * {@code out_i = phi(q_i)^T S / (phi(q_i)^T z)} with {@code S = sum_j phi(k_j) v_j^T} and
 * {@code z = sum_j phi(k_j)}; the sums run over all keys (non-causal) or over {@code j <= i} (causal,
 * prefix sums). Padded keys contribute nothing; a query with no visible key gets 0. Heads and kv heads
 * follow {@link MultiHeadAttention} (query head h uses kv head {@code h / (heads / kvHeads)}).
 *
 * <pre>{@code
 * var la = new LinearAttention(64, 8, 8, true, new Rng(1));
 * Variable y = la.forward(x, padMask, true);
 * }</pre>
 */
public final class LinearAttention extends Module {
    /** Floor of the normalizer: only reached when no key is visible, where the numerator is 0 too. */
    private static final double TINY = LinearAttentionOp.TINY;
    /** Chunk length of the causal form (see {@link #attend(Variable, Variable, Variable, Tensor, boolean, int)}). */
    public static final int DEFAULT_CHUNK = 64;

    private final int dModel, heads, kvHeads, headDim;
    private final Linear wq, wk, wv, wo;

    /** F32 layer. */
    public LinearAttention(int dModel, int heads, int kvHeads, boolean bias, Rng rng) {
        this(dModel, heads, kvHeads, bias, DType.F32, rng);
    }

    /** Layer with an explicit parameter dtype. */
    public LinearAttention(int dModel, int heads, int kvHeads, boolean bias, DType dtype, Rng rng) {
        if (dModel <= 0 || heads <= 0 || kvHeads <= 0 || dModel % heads != 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("LinearAttention: need dModel % heads == 0 and heads % kvHeads == 0, got dModel "
                    + dModel + ", heads " + heads + ", kvHeads " + kvHeads);
        }
        Objects.requireNonNull(rng, "LinearAttention: rng is null");
        this.dModel = dModel;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = dModel / heads;
        this.wq = child("q", new Linear(dModel, dModel, bias, dtype, rng));
        this.wk = child("k", new Linear(dModel, kvHeads * headDim, bias, dtype, rng));
        this.wv = child("v", new Linear(dModel, kvHeads * headDim, bias, dtype, rng));
        this.wo = child("out", new Linear(dModel, dModel, bias, dtype, rng));
    }

    /** Query projection. */
    public Linear q() { return wq; }

    /** Key projection. */
    public Linear k() { return wk; }

    /** Value projection. */
    public Linear v() { return wv; }

    /** Output projection. */
    public Linear out() { return wo; }

    /** Number of query heads. */
    public int heads() { return heads; }

    /** Number of key/value heads. */
    public int kvHeads() { return kvHeads; }

    /** Self-attention of x [B, T, dModel]; keyPadding BOOL [B, T] (true = masked) is nullable. */
    public Variable forward(Variable x, Tensor keyPadding, boolean causal) {
        if (x.rank() != 3 || x.dim(2) != dModel) {
            throw new IllegalArgumentException("LinearAttention: x must be [B, T, " + dModel + "], got " + Shape.str(x.shape()));
        }
        int b = x.dim(0), t = x.dim(1);
        Variable v = wv.forward(x).reshape(b, t, kvHeads, headDim).permute(0, 2, 1, 3);
        Variable o;
        if (!causal) {
            // the fused op maps features itself and writes its output laid out [B, T, H, Dv]: the head merge below is a view
            Variable q = wq.forward(x).reshape(b, t, heads, headDim).permute(0, 2, 1, 3);
            Variable k = wk.forward(x).reshape(b, t, kvHeads, headDim).permute(0, 2, 1, 3);
            o = Variable.linearAttention(q, k, v, keyPadding);   // the op checks the padding mask
        } else {
            // the feature map runs on the contiguous projections: on the head-split views it is a strided pass of short rows
            Variable fq = phi(wq.forward(x)).reshape(b, t, heads, headDim).permute(0, 2, 1, 3);
            Variable fk = phi(wk.forward(x)).reshape(b, t, kvHeads, headDim).permute(0, 2, 1, 3);
            checkCausalShapes(fq, fk, v, keyPadding);
            o = causalFeatures(fq, fk, v, keyPadding, DEFAULT_CHUNK);
        }
        return wo.forward(o.permute(0, 2, 1, 3).reshape(b, t, dModel));
    }

    /**
     * The attention itself on q [B, H, Tq, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv] (causal needs Tq == Tk);
     * returns [B, H, Tq, Dv].
     */
    public static Variable attend(Variable q, Variable k, Variable v, Tensor keyPadding, boolean causal) {
        return attend(q, k, v, keyPadding, causal, DEFAULT_CHUNK);
    }

    /**
     * {@link #attend(Variable, Variable, Variable, Tensor, boolean)} with an explicit causal chunk length:
     * {@code chunk > 0} splits the sequence into chunks of that length, attends within a chunk in the
     * quadratic masked form and across chunks through the running sums carried from chunk to chunk (memory
     * O(T C + T/C D Dv) per head, real GEMMs); {@code chunk <= 0} is the token-level prefix-sum form (a
     * [B, Hkv, T, D, Dv] state per position). Both equal the explicit N x N form up to rounding. The non-causal
     * form is the fused {@link Variable#linearAttention} op.
     */
    public static Variable attend(Variable q, Variable k, Variable v, Tensor keyPadding, boolean causal, int chunk) {
        if (!causal) return Variable.linearAttention(q, k, v, keyPadding);   // the op checks its operands
        checkCausalShapes(q, k, v, keyPadding);
        return causalFeatures(phi(q), phi(k), v, keyPadding, chunk);
    }

    /** The feature map {@code elu(x) + 1}. */
    private static Variable phi(Variable x) {
        return x.elu().add(1.0);
    }

    /** The operand checks of the causal form (the non-causal op checks its own). */
    private static void checkCausalShapes(Variable q, Variable k, Variable v, Tensor keyPadding) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4 || k.dim(0) != q.dim(0) || v.dim(0) != q.dim(0) || k.dim(1) != v.dim(1)
                || k.dim(2) != v.dim(2) || k.dim(3) != q.dim(3) || q.dim(1) % k.dim(1) != 0 || q.dim(2) != k.dim(2)) {
            throw new IllegalArgumentException("linearAttention: incompatible shapes q" + Shape.str(q.shape()) + ", k" + Shape.str(k.shape())
                    + ", v" + Shape.str(v.shape()) + " (causal needs Tq == Tk)");
        }
        int b = q.dim(0), tk = k.dim(2);
        if (keyPadding != null && (keyPadding.dtype() != DType.BOOL || !Shape.same(keyPadding.shape(), new int[] {b, tk}))) {
            throw new IllegalArgumentException("linearAttention: keyPadding must be BOOL [" + b + ", " + tk + "], got "
                    + keyPadding.dtype() + Shape.str(keyPadding.shape()));
        }
    }

    /** The causal form of {@link #attend} on feature-mapped queries and keys (shapes checked by the caller). */
    private static Variable causalFeatures(Variable fq, Variable fk, Variable v, Tensor keyPadding, int chunk) {
        int b = fq.dim(0), h = fq.dim(1), hkv = fk.dim(1), tk = fk.dim(2), g = h / hkv;
        if (keyPadding != null) fk = fk.mul(Variable.constant(keyPadding.not().to(fk.dtype()).reshape(b, 1, tk, 1)));
        if (chunk > 0) return chunked(fq, fk, v, g, chunk);
        Variable s = fk.unsqueeze(4).mul(v.unsqueeze(3)).cumsum(2);              // [B, Hkv, T, D, Dv] prefix states
        Variable z = fk.cumsum(2);                                               // [B, Hkv, T, D]
        return readout(fq, s, z, g);
    }

    /**
     * Chunked causal form on feature-mapped fq [B, H, T, D], fk [B, Hkv, T, D] and v [B, Hkv, T, Dv]:
     * within a chunk {@code A = tril(phi(Q) phi(K)^T)}, {@code num = A V}, {@code den = A 1}; across
     * chunks each query adds {@code phi(q)^T S} and {@code phi(q)^T z} of the sums over all earlier chunks
     * (an exclusive prefix sum of the per-chunk {@code phi(K)^T V} and {@code phi(K)^T 1}).
     */
    private static Variable chunked(Variable fq, Variable fk, Variable v, int g, int chunk) {
        int b = fq.dim(0), h = fq.dim(1), t = fq.dim(2), d = fq.dim(3), hkv = fk.dim(1), dv = v.dim(3);
        int c = Math.min(chunk, t), n = (t + c - 1) / c, tp = n * c;
        DType dt = fq.dtype();
        if (tp != t) {
            // zero rows: an appended key has phi(k) = 0 and adds nothing; appended queries are cut off below
            fq = Variable.concat(2, fq, Variable.constant(Tensor.zeros(dt, fq.device(), b, h, tp - t, d)));
            fk = Variable.concat(2, fk, Variable.constant(Tensor.zeros(dt, fk.device(), b, hkv, tp - t, d)));
            v = Variable.concat(2, v, Variable.constant(Tensor.zeros(dt, v.device(), b, hkv, tp - t, dv)));
        }
        Variable qc = fq.reshape(b, hkv, g, n, c, d);
        Variable kc = fk.reshape(b, hkv, 1, n, c, d);
        Variable vc = v.reshape(b, hkv, 1, n, c, dv);
        Variable a = qc.matmul(kc.mT()).mul(Variable.constant(lowerTriangle(c, dt).to(fq.device())));   // [B, Hkv, G, n, C, C]
        Variable num = a.matmul(vc);                                             // [B, Hkv, G, n, C, Dv]
        Variable den = a.sumKeepDims(5);                                         // [B, Hkv, G, n, C, 1]
        if (n > 1) {
            Variable kv = kc.mT().matmul(vc);                                    // [B, Hkv, 1, n, D, Dv] per-chunk sums
            Variable ks = kc.sumKeepDims(4).mT();                                // [B, Hkv, 1, n, D, 1]
            num = num.add(qc.matmul(exclusivePrefixSum(kv, 3)));
            den = den.add(qc.matmul(exclusivePrefixSum(ks, 3)));
        }
        Variable o = num.div(den.maximum(TINY)).reshape(b, h, tp, dv);
        return tp == t ? o : o.narrow(2, 0, t);
    }

    /** Sum of the entries before each index along {@code axis} (0 at index 0). */
    private static Variable exclusivePrefixSum(Variable x, int axis) {
        int n = x.dim(axis);
        int[] zs = x.shape().clone();
        zs[axis] = 1;
        Variable zero = Variable.constant(Tensor.zeros(x.dtype(), x.device(), zs));
        return Variable.concat(axis, zero, x.narrow(axis, 0, n - 1)).cumsum(axis);
    }

    /** [c, c] with ones on and below the diagonal. */
    private static Tensor lowerTriangle(int c, DType dtype) {
        double[] m = new double[c * c];
        for (int i = 0; i < c; i++) for (int j = 0; j <= i; j++) m[i * c + j] = 1;
        return Tensor.of(m, c, c).to(dtype);
    }

    /**
     * Causal read-out {@code phi(q_t)^T S_t / phi(q_t)^T z_t} of feature-mapped queries fq [B, H, T, D]
     * against prefix states s [B, Hkv, T, D, Dv] and z [B, Hkv, T, D]; returns [B, H, T, Dv].
     */
    private static Variable readout(Variable fq, Variable s, Variable z, int g) {
        int b = fq.dim(0), h = fq.dim(1), t = fq.dim(2), d = fq.dim(3), hkv = s.dim(1), dv = s.dim(4);
        Variable qg = fq.reshape(b, hkv, g, t, d).unsqueeze(4);                  // [B, Hkv, G, T, 1, D]
        Variable num = qg.matmul(s.unsqueeze(2));                                // [B, Hkv, G, T, 1, Dv]
        Variable den = qg.matmul(z.unsqueeze(2).unsqueeze(5));                   // [B, Hkv, G, T, 1, 1]
        return num.div(den.maximum(TINY)).reshape(b, h, t, dv);
    }

    /**
     * Causal self-attention step with a recurrent state: x [B, Tnew, dModel] continues the sequence whose
     * running sums are in {@code state}; the sums are extended by the new positions. The running sums are
     * accumulated in the same order as the token-level prefix-sum form, so the result equals the matching
     * rows of {@link #forward(Variable, Tensor, boolean) forward(x, null, true)} over the whole sequence up
     * to rounding (exactly, against the prefix-sum form). No key padding; no gradient flows into the state
     * (decoding).
     */
    public Variable forward(Variable x, LinearAttentionState state) {
        if (x.rank() != 3 || x.dim(2) != dModel) {
            throw new IllegalArgumentException("LinearAttention: x must be [B, T, " + dModel + "], got " + Shape.str(x.shape()));
        }
        Objects.requireNonNull(state, "LinearAttention.forward: state is null");
        int b = x.dim(0), t = x.dim(1);
        Variable fq = phi(wq.forward(x)).reshape(b, t, heads, headDim).permute(0, 2, 1, 3);
        Variable fk = phi(wk.forward(x)).reshape(b, t, kvHeads, headDim).permute(0, 2, 1, 3);
        Variable v = wv.forward(x).reshape(b, t, kvHeads, headDim).permute(0, 2, 1, 3);
        Variable kv = fk.unsqueeze(4).mul(v.unsqueeze(3));                      // [B, Hkv, T, D, Dv]
        Variable s, z;
        if (state.length() == 0) {
            s = kv.cumsum(2);
            z = fk.cumsum(2);
        } else {
            // the carried sums enter as position "-1" of the prefix sums: the same left-to-right order as the full forward
            s = Variable.concat(2, Variable.constant(state.sums()).unsqueeze(2), kv).cumsum(2).narrow(2, 1, t);
            z = Variable.concat(2, Variable.constant(state.normalizer()).unsqueeze(2), fk).cumsum(2).narrow(2, 1, t);
        }
        state.advance(s.select(2, t - 1).value(), z.select(2, t - 1).value(), t);
        Variable o = readout(fq, s, z, heads / kvHeads);
        return wo.forward(o.permute(0, 2, 1, 3).reshape(b, t, dModel));
    }
}
