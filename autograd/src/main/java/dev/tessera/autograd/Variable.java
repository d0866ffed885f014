package dev.tessera.autograd;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Objects;

/**
 * A node of the computation graph: a {@link Tensor} value, whether it requires a gradient, and
 * after {@link #backward()} the accumulated gradient (leaves only). Ops mirror {@link Tensor}'s
 * names and semantics; each records its inputs and a derivative rule when any input requires a
 * gradient and recording is enabled ({@link Grad}). Gradients of broadcast operands are summed back
 * to the operand's shape; gradients of reused nodes accumulate.
 *
 * <pre>{@code
 * Variable w = Variable.leaf(Tensor.randn(rng, DType.F32, 4, 3));
 * Variable x = Variable.constant(input);                       // [N, 4]
 * Variable loss = x.matmul(w).relu().square().mean();
 * loss.backward();
 * Tensor dw = w.grad();                                        // [4, 3]
 * }</pre>
 */
public final class Variable {
    private Tensor value;
    private final boolean requiresGrad;
    /** True for results of recorded ops (they have or had inputs and a rule); false for leaves and constants. */
    private final boolean history;
    /** Name of the op that produced this node (null for leaves and constants). */
    final String op;
    /** Inputs and derivative rule; cleared after backward unless the graph is retained. */
    Variable[] inputs;
    Backward backwardFn;
    private Tensor grad;
    private String name;

    private Variable(Tensor value, boolean requiresGrad, String op, Variable[] inputs, Backward backwardFn) {
        this.value = Objects.requireNonNull(value, "Variable: value is null");
        this.requiresGrad = requiresGrad;
        this.history = inputs != null;
        this.op = op;
        this.inputs = inputs;
        this.backwardFn = backwardFn;
    }

    // ------------------------------------------------------------------ construction

    /** A value that never receives a gradient (data, targets, frozen weights). */
    public static Variable constant(Tensor value) {
        return new Variable(value, false, null, null, null);
    }

    /** A trainable value: gradients of backward passes accumulate into {@link #grad()}. */
    public static Variable leaf(Tensor value) {
        if (!value.dtype().isFloating()) {
            throw new IllegalArgumentException("leaf: only floating tensors can require grad, got " + value.dtype());
        }
        return new Variable(value, true, null, null, null);
    }

    /**
     * Records a result of an op. The result requires grad iff recording is enabled and any
     * (non-null) input requires grad; otherwise it is a constant that keeps no references.
     */
    static Variable record(String op, Tensor value, Backward backward, Variable... inputs) {
        if (Grad.isEnabled()) {
            for (Variable in : inputs) {
                if (in != null && in.requiresGrad) return new Variable(value, true, op, inputs, backward);
            }
        }
        return new Variable(value, false, null, null, null);
    }

    /**
     * A custom differentiable op (for layers with their own fused backward, e.g. attention): the
     * forward value is computed by the caller, {@code backward} maps the output gradient to one
     * gradient per input (null for none).
     *
     * <pre>{@code
     * Variable y = Variable.custom("scale2", x.value().mul(2.0), new Variable[] {x}, g -> new Tensor[] {g.mul(2.0)});
     * }</pre>
     */
    public static Variable custom(String opName, Tensor value, Variable[] inputs, Backward backward) {
        Objects.requireNonNull(backward, "custom: backward is null");
        return record(Objects.requireNonNull(opName, "custom: opName is null"), value, backward, inputs.clone());
    }

    /** The value (never null). */
    public Tensor value() {
        return value;
    }

    /** The accumulated gradient, or null until a backward pass reached this variable. */
    public Tensor grad() {
        return grad;
    }

    /** Whether gradients flow to or through this variable. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** True for leaves and constants (no recorded history). */
    public boolean isLeaf() {
        return !history;
    }

    boolean hasHistory() {
        return history;
    }

    /** Drops the gradient (PyTorch's set_to_none). */
    public void zeroGrad() {
        grad = null;
    }

    /**
     * {@code grad += g}. The first gradient is copied into a fresh tensor this variable owns, so
     * later accumulation (and optimizers) may update it in place without touching any other tensor.
     */
    public void accumulateGrad(Tensor g) {
        if (!Shape.same(g.shape(), value.shape())) {
            throw new IllegalArgumentException("accumulateGrad: gradient " + Shape.str(g.shape())
                    + " differs from value " + Shape.str(value.shape()));
        }
        if (grad == null) {
            grad = Tensor.empty(value.dtype(), value.device(), value.shape()).copyFrom(g);
        } else {
            grad.addInPlace(g);
        }
    }

    /** Replaces the value of a leaf or constant (same shape and dtype), e.g. when loading weights. */
    public void setValue(Tensor v) {
        if (history) throw new IllegalStateException("setValue: only leaves and constants can be assigned, this is the result of '" + op + "'");
        if (!Shape.same(v.shape(), value.shape()) || v.dtype() != value.dtype()) {
            throw new IllegalArgumentException("setValue: expected " + value.dtype() + Shape.str(value.shape())
                    + ", got " + v.dtype() + Shape.str(v.shape()));
        }
        value = v;
    }

    /** The same value without history: gradients stop here. */
    public Variable detach() {
        return constant(value);
    }

    /** The debug name, or null. */
    public String name() {
        return name;
    }

    /** Sets a debug name and returns this variable. */
    public Variable named(String n) {
        name = n;
        return this;
    }

    /** Drops inputs and rule after backward so the intermediate tensors can be collected. */
    void release() {
        inputs = null;
        backwardFn = null;
    }

    // ------------------------------------------------------------------ backward

    /** Backward from a one-element output with seed 1; frees the graph. */
    public void backward() {
        if (value.numel() != 1) {
            throw new IllegalArgumentException("backward: output has shape " + Shape.str(value.shape())
                    + "; give a seed gradient for non-scalar outputs");
        }
        backward(Tensor.full(value.dtype(), value.device(), 1.0, value.shape()), false);
    }

    /** Backward with an explicit seed gradient of this output's shape; frees the graph. */
    public void backward(Tensor seed) {
        backward(seed, false);
    }

    /**
     * Backward with an explicit seed. Leaf gradients accumulate until {@link #zeroGrad()}. Unless
     * {@code retainGraph}, the recorded graph is freed and a second backward through it throws.
     */
    public void backward(Tensor seed, boolean retainGraph) {
        Engine.backward(this, seed, retainGraph);
    }

    // ------------------------------------------------------------------ shape info

    /** A copy of the value's shape. */
    public int[] shape() { return value.shape(); }
    /** Size of dimension {@code axis} (negative counts from the end). */
    public int dim(int axis) { return value.dim(axis); }
    /** Number of dimensions. */
    public int rank() { return value.rank(); }
    /** Number of elements. */
    public int numel() { return value.numel(); }
    /** The value's element type. */
    public DType dtype() { return value.dtype(); }
    /** The device holding the value. */
    public Device device() { return value.device(); }

    // ------------------------------------------------------------------ elementwise

    /** Elementwise sum (broadcasting). */
    public Variable add(Variable o) { return ElementwiseRules.add(this, o); }
    /** Elementwise difference (broadcasting). */
    public Variable sub(Variable o) { return ElementwiseRules.sub(this, o); }
    /** Elementwise product (broadcasting). */
    public Variable mul(Variable o) { return ElementwiseRules.mul(this, o); }
    /** Elementwise quotient (broadcasting). */
    public Variable div(Variable o) { return ElementwiseRules.div(this, o); }
    /** Elementwise maximum; on ties each operand gets half the gradient. */
    public Variable maximum(Variable o) { return ElementwiseRules.maximum(this, o, true); }
    /** Elementwise minimum; on ties each operand gets half the gradient. */
    public Variable minimum(Variable o) { return ElementwiseRules.maximum(this, o, false); }
    /** {@code this ^ o}; d/do = this^o ln(this) (0 where this == 0). */
    public Variable pow(Variable o) { return ElementwiseRules.pow(this, o); }
    /** {@code this + s}. */
    public Variable add(double s) { return ElementwiseRules.add(this, s); }
    /** {@code this - s}. */
    public Variable sub(double s) { return ElementwiseRules.sub(this, s); }
    /** {@code this * s}. */
    public Variable mul(double s) { return ElementwiseRules.mul(this, s); }
    /** {@code this / s}. */
    public Variable div(double s) { return ElementwiseRules.div(this, s); }
    /** Elementwise maximum with a scalar; a tie gets half the gradient. */
    public Variable maximum(double s) { return ElementwiseRules.maximum(this, s, true); }
    /** Elementwise minimum with a scalar; a tie gets half the gradient. */
    public Variable minimum(double s) { return ElementwiseRules.maximum(this, s, false); }
    /** x^p; the gradient is p x^(p-1). */
    public Variable pow(double p) { return ElementwiseRules.pow(this, p); }
    /** {@code s - this}. */
    public Variable rsub(double s) { return ElementwiseRules.rsub(this, s); }
    /** {@code s / this}. */
    public Variable rdiv(double s) { return ElementwiseRules.rdiv(this, s); }
    /** Negation. */
    public Variable neg() { return ElementwiseRules.neg(this); }
    /** e^x. */
    public Variable exp() { return ElementwiseRules.exp(this); }
    /** Natural logarithm. */
    public Variable log() { return ElementwiseRules.log(this); }
    /** Square root. */
    public Variable sqrt() { return ElementwiseRules.sqrt(this); }
    /** 1 / sqrt(x). */
    public Variable rsqrt() { return ElementwiseRules.rsqrt(this); }
    /** |x|; the gradient is sign(x) (0 at 0). */
    public Variable abs() { return ElementwiseRules.abs(this); }
    /** x^2. */
    public Variable square() { return ElementwiseRules.square(this); }
    /** 1 / x. */
    public Variable reciprocal() { return ElementwiseRules.reciprocal(this); }
    /** Sine. */
    public Variable sin() { return ElementwiseRules.sin(this); }
    /** Cosine. */
    public Variable cos() { return ElementwiseRules.cos(this); }
    /** Hyperbolic tangent (gradient from the output). */
    public Variable tanh() { return ElementwiseRules.tanh(this); }
    /** Logistic sigmoid (gradient from the output). */
    public Variable sigmoid() { return ElementwiseRules.sigmoid(this); }
    /** max(x, 0); the gradient is 1 where x > 0. */
    public Variable relu() { return ElementwiseRules.relu(this); }
    /** Exact GELU. */
    public Variable gelu() { return ElementwiseRules.gelu(this); }
    /** GELU with the tanh approximation. */
    public Variable geluTanh() { return ElementwiseRules.geluTanh(this); }
    /** ELU with alpha 1. */
    public Variable elu() { return ElementwiseRules.elu(this); }
    /** SiLU x * sigmoid(x). */
    public Variable silu() { return ElementwiseRules.silu(this); }
    /** log(1 + x). */
    public Variable log1p() { return ElementwiseRules.log1p(this); }
    /** e^x - 1. */
    public Variable expm1() { return ElementwiseRules.expm1(this); }
    /** Error function. */
    public Variable erf() { return ElementwiseRules.erf(this); }
    /** Clamps to [lo, hi]; the gradient passes where {@code lo <= x <= hi}. */
    public Variable clamp(double lo, double hi) { return ElementwiseRules.clamp(this, lo, hi); }

    /** {@code cond ? a : b} with broadcasting; cond is a BOOL tensor. */
    public static Variable where(Tensor cond, Variable a, Variable b) { return ElementwiseRules.where(cond, a, b); }

    // ------------------------------------------------------------------ reductions

    /** Sum over axes (all when none given), dropping them. */
    public Variable sum(int... axes) { return ReductionRules.sum(this, axes, false); }
    /** Sum over axes, keeping them as size 1. */
    public Variable sumKeepDims(int... axes) { return ReductionRules.sum(this, axes, true); }
    /** Mean over axes (all when none given), dropping them. */
    public Variable mean(int... axes) { return ReductionRules.mean(this, axes, false); }
    /** Mean over axes, keeping them as size 1. */
    public Variable meanKeepDims(int... axes) { return ReductionRules.mean(this, axes, true); }
    /** Maximum over axes; the gradient is split equally among tied maxima. */
    public Variable max(int... axes) { return ReductionRules.extreme(this, axes, false, true); }
    /** Maximum over axes, keeping them as size 1. */
    public Variable maxKeepDims(int... axes) { return ReductionRules.extreme(this, axes, true, true); }
    /** Minimum over axes; the gradient is split equally among tied minima. */
    public Variable min(int... axes) { return ReductionRules.extreme(this, axes, false, false); }
    /** Minimum over axes, keeping them as size 1. */
    public Variable minKeepDims(int... axes) { return ReductionRules.extreme(this, axes, true, false); }
    /** log(sum(exp(x))) over axes; the gradient is the softmax. */
    public Variable logsumexp(int... axes) { return ReductionRules.logsumexp(this, axes, false); }
    /** logsumexp over axes, keeping them as size 1. */
    public Variable logsumexpKeepDims(int... axes) { return ReductionRules.logsumexp(this, axes, true); }
    /** Variance over axes (all when empty) with the given correction (0 biased, 1 unbiased). */
    public Variable var(int[] axes, int correction, boolean keepDims) { return ReductionRules.var(this, axes, correction, keepDims); }

    // ------------------------------------------------------------------ matmul

    /** Matrix product with NumPy semantics (1-d promotion, broadcast batch dims). */
    public Variable matmul(Variable o) { return LinalgRules.matmul(this, o); }

    // ------------------------------------------------------------------ shape

    /** Same elements in a new shape (one dimension may be -1). */
    public Variable reshape(int... shape) { return ShapeRules.reshape(this, shape); }
    /** Reshape to one dimension. */
    public Variable flatten() { return ShapeRules.reshape(this, -1); }
    /** Reorders dimensions. */
    public Variable permute(int... order) { return ShapeRules.permute(this, order); }
    /** Swaps two dimensions. */
    public Variable transpose(int a, int b) { return ShapeRules.transpose(this, a, b); }
    /** Swaps the last two dimensions. */
    public Variable mT() {
        if (rank() < 2) throw new IllegalArgumentException("mT: needs rank >= 2, got shape " + Shape.str(shape()));
        return ShapeRules.transpose(this, -2, -1);
    }
    /** Elements start, start+step, ... before end along an axis (Python slice bounds). */
    public Variable slice(int axis, int start, int end, int step) { return ShapeRules.slice(this, axis, start, end, step); }
    /** Elements start, start+step, ... before end along an axis (Python slice bounds). */
    public Variable slice(int axis, int start, int end) { return ShapeRules.slice(this, axis, start, end, 1); }
    /** {@code length} elements from {@code start} along an axis. */
    public Variable narrow(int axis, int start, int length) { return ShapeRules.narrow(this, axis, start, length); }
    /** Index {@code i} along an axis, removing it. */
    public Variable select(int axis, int i) { return ShapeRules.select(this, axis, i); }
    /** Broadcast view to a larger shape (-1 keeps a dimension); the gradient is summed back. */
    public Variable expand(int... shape) { return ShapeRules.expand(this, value.expand(shape), "expand"); }
    /** Broadcast view to {@code shape} (NumPy rules); the gradient is summed back. */
    public Variable broadcastTo(int... shape) { return ShapeRules.expand(this, value.broadcastTo(shape), "broadcastTo"); }
    /** Inserts a size-1 dimension. */
    public Variable unsqueeze(int axis) { return ShapeRules.unsqueeze(this, axis); }
    /** Removes size-1 dimensions. */
    public Variable squeeze(int axis) { return ShapeRules.squeeze(this, axis); }
    /** Removes size-1 dimensions. */
    public Variable squeeze() { return ShapeRules.squeezeAll(this); }
    /** This variable when its value is already contiguous, else a contiguous copy (gradient passes through). */
    public Variable contiguous() { return ShapeRules.contiguous(this); }
    /** Converts the dtype; the gradient is converted back. */
    public Variable to(DType dtype) { return ShapeRules.to(this, dtype); }
    /** Constant padding: pads[2i], pads[2i+1] before/after dimension i. */
    public Variable pad(int[] pads, double value) { return ShapeRules.pad(this, pads, value); }
    /** Splits along an axis into pieces of the given sizes. */
    public Variable[] split(int axis, int... sizes) { return ShapeRules.split(this, axis, sizes); }
    /** Splits into {@code chunks} nearly equal pieces along an axis. */
    public Variable[] chunk(int chunks, int axis) { return ShapeRules.chunk(this, chunks, axis); }
    /** Concatenates along an existing axis. */
    public static Variable concat(int axis, Variable... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("concat: no variables given");
        return ShapeRules.concat(axis, parts);
    }
    /** Stacks equally shaped variables along a new axis. */
    public static Variable stack(int axis, Variable... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("stack: no variables given");
        return ShapeRules.stack(axis, parts);
    }

    // ------------------------------------------------------------------ indexing

    /** torch.gather; the gradient is scatter-added back. */
    public Variable gather(int dim, Tensor index) { return IndexRules.gather(this, dim, index); }
    /** Selects entries along {@code dim} by a 1-d I32 index; the gradient is index-added back. */
    public Variable indexSelect(int dim, Tensor index) { return IndexRules.indexSelect(this, dim, index); }
    /** Out of place torch.scatter_add with this as the base. */
    public Variable scatterAdd(int dim, Tensor index, Variable src) { return IndexRules.scatterAdd(this, dim, index, src); }
    /** A zero tensor of {@code shape} with {@code src} slices added at index along dim. */
    public static Variable indexAdd(int[] shape, int dim, Tensor index, Variable src) { return IndexRules.indexAdd(shape, dim, index, src); }
    /** Inclusive cumulative sum along {@code dim}. */
    public Variable cumsum(int dim) { return IndexRules.cumsum(this, dim); }
    /** The top-k values along dim (indices: {@code value().topk(k, dim, largest).indices()}). */
    public Variable topkValues(int k, int dim, boolean largest) { return IndexRules.topkValues(this, k, dim, largest); }

    // ------------------------------------------------------------------ fused

    /** Softmax along {@code dim} (fused backward kernel). */
    public Variable softmax(int dim) { return FusedRules.softmax(this, dim); }
    /** Log-softmax along {@code dim} (fused backward kernel). */
    public Variable logSoftmax(int dim) { return FusedRules.logSoftmax(this, dim); }
    /** Layer norm over the last dimension; gamma and beta may be null. */
    public Variable layerNorm(Variable gamma, Variable beta, double eps) { return FusedRules.layerNorm(this, gamma, beta, eps); }
    /** RMS norm over the last dimension; gamma may be null. */
    public Variable rmsNorm(Variable gamma, double eps) { return FusedRules.rmsNorm(this, gamma, eps); }
    /** Per-row cross-entropy of these logits [N, C] against I32 targets [N]: loss [N]. */
    public Variable crossEntropy(Tensor targets, int ignoreIndex, double labelSmoothing) {
        return FusedRules.crossEntropy(this, targets, ignoreIndex, labelSmoothing);
    }
    /** Inverted dropout (p = 0 returns this variable). */
    public Variable dropout(double p, Rng rng) { return FusedRules.dropout(this, p, rng); }

    /**
     * Fused scaled dot-product attention of q [B, H, Tq, D] with k [B, Hkv, Tk, D] and v [B, Hkv, Tk, Dv]
     * (GQA by kv-head index; keyPadding BOOL [B, Tk], true = masked, nullable; causal: query i sees keys
     * {@code j <= i + causalOffset}); see {@link dev.tessera.tensor.Attention}. The backward recomputes the
     * probabilities from the saved row log-sum-exp; no [Tq, Tk] matrix is kept.
     *
     * <pre>{@code
     * Variable o = Variable.attention(q, k, v, null, true, 0, 1 / Math.sqrt(q.dim(3)));
     * }</pre>
     */
    public static Variable attention(Variable q, Variable k, Variable v, Tensor keyPadding, boolean causal, int causalOffset,
                                     double scale) {
        return FusedRules.attention(q, k, v, keyPadding, causal, causalOffset, scale);
    }

    /**
     * Fused non-causal linear attention with {@code phi = elu + 1} of the projections q [B, H, Tq, D], k [B, Hkv, Tk, D]
     * and v [B, Hkv, Tk, Dv] (GQA by kv-head index; keyPadding BOOL [B, Tk], true = masked, nullable): each query
     * gets {@code phi(q)^T S / phi(q)^T z} with {@code S = sum phi(k) v^T}, {@code z = sum phi(k)} over its batch
     * row's visible keys; see {@link dev.tessera.tensor.LinearAttentionOp}. Nothing of size Tq x Tk is formed.
     *
     * <pre>{@code
     * Variable o = Variable.linearAttention(q, k, v, null);
     * }</pre>
     */
    public static Variable linearAttention(Variable q, Variable k, Variable v, Tensor keyPadding) {
        return FusedRules.linearAttention(q, k, v, keyPadding);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Variable(");
        if (name != null) b.append(name).append(", ");
        if (op != null) b.append("op=").append(op).append(", ");
        if (requiresGrad) b.append("requiresGrad, ");
        return b.append(value).append(')').toString();
    }
}
