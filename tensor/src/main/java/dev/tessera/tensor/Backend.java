package dev.tessera.tensor;

import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.ReduceOp;
import dev.tessera.tensor.ops.UnaryOp;

/**
 * The service provider interface every device implements. {@link Tensor} validates arguments
 * (shapes, dtypes, devices, axes) and infers result shapes before calling a backend, so
 * implementations may assume valid input: all tensors on this backend's device, axes normalised,
 * shapes compatible. Results are new tensors unless the method name says {@code InPlace}.
 *
 * <p>Backends are found with {@link java.util.ServiceLoader} through {@link BackendProvider};
 * the CPU backend is built in.
 */
public interface Backend {
    /** The device this backend serves. */
    Device device();

    /** Allocates uninitialised storage (contents unspecified) for {@code numel} elements. */
    Storage allocate(DType dtype, int numel);

    /** Copies a tensor's elements to a new Java array of its dtype (float[], double[], int[], boolean[], short[]) in row-major order. */
    Object toArray(Tensor t);

    /** A new contiguous tensor from a Java array of the matching type, in row-major order. */
    Tensor fromArray(Object array, DType dtype, int[] shape);

    // ---- creation and copies
    /** Sets every element of {@code dst} (any strides, no overlapping elements) to {@code value}. */
    void fillInPlace(Tensor dst, double value);

    /** Copies {@code src} into {@code dst}, broadcasting src to dst's shape and converting dtype. */
    void copyInPlace(Tensor dst, Tensor src);

    /** Fills {@code dst} (contiguous, floating) with uniform values in [lo, hi) drawn from {@code rng}. */
    void fillUniformInPlace(Tensor dst, Rng rng, double lo, double hi);

    /** Fills {@code dst} (contiguous, floating) with normal values drawn from {@code rng}. */
    void fillNormalInPlace(Tensor dst, Rng rng, double mean, double std);

    // ---- elementwise
    /** Elementwise {@code op(x)} into a new contiguous tensor of x's shape and dtype. */
    Tensor unary(UnaryOp op, Tensor x);

    /** Broadcast binary op; the result has the broadcast shape and the promoted dtype (BOOL for comparisons). */
    Tensor binary(BinaryOp op, Tensor a, Tensor b, DType outType);

    /** {@code x op s} (or {@code s op x} when {@code scalarFirst}). */
    Tensor binaryScalar(BinaryOp op, Tensor x, double s, boolean scalarFirst);

    /** {@code cond ? a : b} with broadcasting; cond is BOOL. */
    Tensor where(Tensor cond, Tensor a, Tensor b, int[] outShape, DType outType);

    /** Clamps to [lo, hi] (either may be infinite). */
    Tensor clamp(Tensor x, double lo, double hi);

    /** In place {@code dst += alpha * src} with src broadcast to dst. */
    void addInPlace(Tensor dst, Tensor src, double alpha);

    /** In place {@code dst *= s}. */
    void scaleInPlace(Tensor dst, double s);

    // ---- reductions
    /** Reduces over sorted, distinct {@code axes}; ARGMAX/ARGMIN receive exactly one axis. */
    Tensor reduce(ReduceOp op, Tensor x, int[] axes, boolean keepDims);

    /** Variance over axes with the given correction (0 = biased, 1 = unbiased). */
    Tensor variance(Tensor x, int[] axes, int correction, boolean keepDims);

    // ---- linear algebra
    /** Batched matmul of a[..., m, k] and b[..., k, n] (rank >= 2 each) with broadcast batch dims. */
    Tensor matmul(Tensor a, Tensor b, int[] outShape);

    /**
     * The affine map of a linear layer: {@code x [m, k]} times {@code w [n, k]} transposed plus {@code bias [n]}
     * (same floating dtype, checked by the caller). The default is a matmul and a broadcast add; a backend may
     * fold the bias into the product.
     */
    default Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return x.matmul(w.mT()).add(bias);
    }

    /**
     * {@link #linear} written into {@code dst [m, n]} (a view of a floating tensor of the inputs' dtype that does not
     * overlap them; bias may be null), the out= form: a caller assembles one result from several products
     * without a concatenating copy. The default computes {@link #linear} (or the matmul) and copies it in; a backend
     * may write the product straight into dst.
     */
    default void linearInPlace(Tensor dst, Tensor x, Tensor w, Tensor bias) {
        copyInPlace(dst, bias == null ? x.matmul(w.mT()) : linear(x, w, bias));
    }

    // ---- shape ops that copy
    /** Concatenates {@code parts} (same dtype, equal shapes except along {@code axis}) into a new tensor of {@code outShape}. */
    Tensor concat(Tensor[] parts, int axis, int[] outShape);

    /** Constant padding: {@code pads[2*i]} before and {@code pads[2*i+1]} after dimension i. */
    Tensor pad(Tensor x, int[] pads, double value);

    // ---- indexing
    /** out[i][j][k] = x[i][index[i][j][k]][k] (for dim 1); index is I32 with x's rank. */
    Tensor gather(Tensor x, int dim, Tensor index);

    /** A copy of {@code base} with {@code src} added at {@code index} along {@code dim} (scatter_add). */
    Tensor scatterAdd(Tensor base, int dim, Tensor index, Tensor src);

    /** Selects entries along {@code dim} by a 1-d I32 index. */
    Tensor indexSelect(Tensor x, int dim, Tensor index);

    /** Adds {@code src} rows into a zero tensor of {@code shape} at a 1-d I32 index along {@code dim} (index_add). */
    Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src);

    /** One-hot encoding of an I32 tensor as F32 with a new last dimension of size {@code classes}. */
    Tensor oneHot(Tensor index, int classes);

    /** Top-k along {@code dim}: {values, indices (I32)}; ties go to the lower index; sorted by value. */
    Tensor[] topk(Tensor x, int k, int dim, boolean largest);

    /** Stable sort along {@code dim}: {values, indices (I32)}. */
    Tensor[] sort(Tensor x, int dim, boolean descending);

    /** Inclusive cumulative sum along {@code dim}. */
    Tensor cumsum(Tensor x, int dim);

    /** Counts of each value of a 1-d non-negative I32 tensor, length max(minLength, max+1). */
    Tensor bincount(Tensor x, int minLength);

    // ---- fused ops (forward and the backward kernels autograd needs)
    /** Softmax along {@code dim}, computed with the row maximum subtracted. */
    Tensor softmax(Tensor x, int dim);

    /** Log-softmax along {@code dim}: {@code x - logsumexp(x)}. */
    Tensor logSoftmax(Tensor x, int dim);

    /** Given y = softmax(x) and dL/dy, returns dL/dx. */
    Tensor softmaxBackward(Tensor y, Tensor gy, int dim);

    /**
     * Given x and dL/dy for y = gelu(x) (exact form x Phi(x)), returns dL/dx = dL/dy (Phi(x) + x phi(x)),
     * with x and gy of the same shape. The default composes elementwise ops; a backend may fuse them.
     */
    default Tensor geluBackward(Tensor x, Tensor gy) {
        Tensor cdf = x.mul(1 / Math.sqrt(2)).erf().add(1.0).mul(0.5);
        Tensor pdf = x.square().mul(-0.5).exp().div(Math.sqrt(2 * Math.PI));
        return gy.mul(cdf.add(x.mul(pdf)));
    }

    /** Given y = logSoftmax(x) and dL/dy, returns dL/dx. */
    Tensor logSoftmaxBackward(Tensor y, Tensor gy, int dim);

    /**
     * Layer norm over the last dimension: {out, mean, rstd} (mean and rstd have x's shape without
     * its last dimension). gamma and beta may be null.
     */
    Tensor[] layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps);

    /** {dx, dgamma (or null), dbeta (or null)}. */
    Tensor[] layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor gy, boolean needGammaBeta);

    /** RMS norm over the last dimension: {out, rstd}. gamma may be null. */
    Tensor[] rmsNorm(Tensor x, Tensor gamma, double eps);

    /** {dx, dgamma (or null)}. */
    Tensor[] rmsNormBackward(Tensor x, Tensor gamma, Tensor rstd, Tensor gy, boolean needGamma);

    /**
     * Per-row cross-entropy of logits[N, C] against I32 targets[N]: {loss[N], logProbs[N, C]}.
     * Rows whose target equals {@code ignoreIndex} get loss 0. Label smoothing eps mixes the
     * one-hot target with the uniform distribution.
     */
    Tensor[] crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing);

    /** dL/dlogits for {@link #crossEntropy} given dL/dloss[N]. */
    Tensor crossEntropyBackward(Tensor logProbs, Tensor targets, Tensor gLoss, int ignoreIndex, double labelSmoothing);

    /**
     * Fused scaled dot-product attention (see {@link Attention} for shapes, masks and semantics):
     * {out [B, H, Tq, Dv], lse [B, H, Tq]} in q's dtype. Query head h reads kv head
     * {@code h / (H / Hkv)}; rows with no visible key get output 0 and lse -infinity. Inputs may be
     * strided views; outputs may be strided views too.
     */
    Tensor[] attention(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, int causalOffset, double scale);

    /**
     * Backward of {@link #attention} from its output, its lse and dL/dout: {dq, dk, dv}, with dk and
     * dv summed over the query heads that share a kv head. The probabilities are recomputed from lse.
     */
    Tensor[] attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor keyPadding, boolean causal,
                               int causalOffset, double scale);

    /**
     * Non-causal linear attention with {@code phi = elu + 1} (see {@link LinearAttentionOp} for shapes, masks and
     * semantics): out [B, H, Tq, Dv] in q's dtype; q and k are the projections before the feature map. The
     * default is {@link LinearAttentionOp#composite}; a backend may fuse it. Inputs and outputs may be strided views.
     */
    default Tensor linearAttention(Tensor q, Tensor k, Tensor v, Tensor keyPadding) {
        return LinearAttentionOp.composite(q, k, v, keyPadding);
    }

    /**
     * Backward of {@link #linearAttention} from its output and dL/dout: {dq, dk, dv}, with dk and dv summed over the
     * query heads that share a kv head. The default is {@link LinearAttentionOp#compositeBackward}.
     */
    default Tensor[] linearAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor gOut, Tensor keyPadding) {
        LinearAttentionOp.Grads g = LinearAttentionOp.compositeBackward(q, k, v, out, gOut, keyPadding);
        return new Tensor[] {g.dq(), g.dk(), g.dv()};
    }

    /**
     * Inverted dropout: {out, mask (F32 holding 0 or 1/(1-p))}. The mask is drawn from {@code rng}
     * element-indexed, so every backend produces the same mask.
     */
    Tensor[] dropout(Tensor x, double p, Rng rng);

    /**
     * One fused AdamW step in place on contiguous F32 tensors: decoupled weight decay, bias
     * correction with the given step (1-based).
     */
    void adamWStepInPlace(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1,
                          double beta2, double eps, double weightDecay, long step);
}
