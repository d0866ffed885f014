package dev.tessera.tensor;

import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.ReduceOp;
import dev.tessera.tensor.ops.UnaryOp;
import java.util.Arrays;

/**
 * An immutable handle on an n-dimensional strided array: storage + shape + strides + offset.
 * Views ({@link #reshape}, {@link #permute}, {@link #slice}, {@link #expand}, ...) share storage;
 * operations return new tensors; the only mutations are the explicitly named {@code ...InPlace}
 * methods and {@link #copyFrom}. Binary operations broadcast like NumPy.
 *
 * <pre>{@code
 * Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
 * Tensor b = Tensor.of(new float[] {10, 20, 30}, 3);
 * Tensor c = a.add(b).matmul(a.transpose(0, 1));   // [2,2]
 * float[] data = c.toFloatArray();
 * }</pre>
 */
public final class Tensor {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    private Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    /**
     * Wraps storage as a tensor view. Used by backends; validates that every addressed element lies
     * inside the storage.
     */
    public static Tensor wrap(Storage storage, int[] shape, int[] strides, int offset) {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("wrap: shape " + Shape.str(shape) + " and strides "
                    + Shape.str(strides) + " differ in rank");
        }
        int n = Shape.numel(shape);
        if (n > 0) {
            long lo = offset, hi = offset;
            for (int i = 0; i < shape.length; i++) {
                long ext = (long) (shape[i] - 1) * strides[i];
                if (ext < 0) lo += ext; else hi += ext;
            }
            if (lo < 0 || hi >= storage.size()) {
                throw new IllegalArgumentException("wrap: view " + Shape.str(shape) + " strides " + Shape.str(strides)
                        + " offset " + offset + " exceeds storage of " + storage.size() + " elements");
            }
        }
        return new Tensor(storage, shape.clone(), strides.clone(), offset);
    }

    /** A contiguous tensor over the given storage. */
    public static Tensor wrap(Storage storage, int... shape) {
        return wrap(storage, shape, Shape.contiguousStrides(shape), 0);
    }

    // ------------------------------------------------------------------ creation

    /** Uninitialised contiguous tensor (contents unspecified) on a device. */
    public static Tensor empty(DType dtype, Device device, int... shape) {
        Backend be = Backends.of(device);
        return wrap(be.allocate(dtype, Shape.numel(shape)), shape);
    }

    /** Uninitialised contiguous tensor on the CPU. */
    public static Tensor empty(DType dtype, int... shape) {
        return empty(dtype, Device.cpu(), shape);
    }

    /** A tensor filled with {@code value}. */
    public static Tensor full(DType dtype, Device device, double value, int... shape) {
        Tensor t = empty(dtype, device, shape);
        t.backend().fillInPlace(t, value);
        return t;
    }

    /** A CPU tensor filled with {@code value}. */
    public static Tensor full(DType dtype, double value, int... shape) {
        return full(dtype, Device.cpu(), value, shape);
    }

    /** Zeros on the CPU. */
    public static Tensor zeros(DType dtype, int... shape) {
        return full(dtype, 0.0, shape);
    }

    /** Zeros on a device. */
    public static Tensor zeros(DType dtype, Device device, int... shape) {
        return full(dtype, device, 0.0, shape);
    }

    /** Ones on the CPU. */
    public static Tensor ones(DType dtype, int... shape) {
        return full(dtype, 1.0, shape);
    }

    /** Zeros with this tensor's dtype, device and shape. */
    public Tensor zerosLike() {
        return zeros(dtype(), device(), shape);
    }

    /** Ones with this tensor's dtype, device and shape. */
    public Tensor onesLike() {
        return full(dtype(), device(), 1.0, shape);
    }

    /** A 0-d (scalar) tensor. */
    public static Tensor scalar(DType dtype, double value) {
        return full(dtype, value);
    }

    /** {@code [start, end)} with the given step, as a 1-d tensor. */
    public static Tensor arange(DType dtype, double start, double end, double step) {
        if (step == 0 || Double.isNaN(step)) throw new IllegalArgumentException("arange: step must be nonzero, got " + step);
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = start + i * step;
        return of(v, n).to(dtype);
    }

    /** {@code [0, n)} as I32. */
    public static Tensor arange(int n) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return of(v, n);
    }

    /** The n x n identity. */
    public static Tensor eye(DType dtype, int n) {
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        return of(v, n, n).to(dtype);
    }

    /** Uniform values in [0, 1) from {@code rng} (element-indexed: identical on every backend). */
    public static Tensor rand(Rng rng, DType dtype, int... shape) {
        return uniform(rng, dtype, 0.0, 1.0, shape);
    }

    /** Uniform values in [lo, hi). */
    public static Tensor uniform(Rng rng, DType dtype, double lo, double hi, int... shape) {
        requireFloating("uniform", dtype);
        Tensor t = empty(dtype, shape);
        t.backend().fillUniformInPlace(t, rng, lo, hi);
        return t;
    }

    /** Standard normal values. */
    public static Tensor randn(Rng rng, DType dtype, int... shape) {
        return normal(rng, dtype, 0.0, 1.0, shape);
    }

    /** Normal values with the given mean and standard deviation. */
    public static Tensor normal(Rng rng, DType dtype, double mean, double std, int... shape) {
        requireFloating("normal", dtype);
        Tensor t = empty(dtype, shape);
        t.backend().fillNormalInPlace(t, rng, mean, std);
        return t;
    }

    /** F32 tensor from data in row-major order; {@code shape} defaults to [data.length]. */
    public static Tensor of(float[] data, int... shape) {
        return fromArray(data, data.length, DType.F32, shape);
    }

    /** F64 tensor from data in row-major order. */
    public static Tensor of(double[] data, int... shape) {
        return fromArray(data, data.length, DType.F64, shape);
    }

    /** I32 tensor from data in row-major order. */
    public static Tensor of(int[] data, int... shape) {
        return fromArray(data, data.length, DType.I32, shape);
    }

    /** BOOL tensor from data in row-major order. */
    public static Tensor of(boolean[] data, int... shape) {
        return fromArray(data, data.length, DType.BOOL, shape);
    }

    private static Tensor fromArray(Object data, int length, DType dtype, int[] shape) {
        int[] s = shape.length == 0 ? new int[] {length} : shape;
        if (Shape.numel(s) != length) {
            throw new IllegalArgumentException("of: " + length + " values do not fill shape " + Shape.str(s));
        }
        return CpuBackendHolder.cpu().fromArray(data, dtype, s.clone());
    }

    // ------------------------------------------------------------------ accessors

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code axis} (negative counts from the end). */
    public int dim(int axis) {
        return shape[Shape.axis("dim", axis, shape.length)];
    }

    /** A copy of the strides, in elements. */
    public int[] strides() {
        return strides.clone();
    }

    /** Offset of the first element in the storage, in elements. */
    public int offset() {
        return offset;
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Number of elements. */
    public int numel() {
        return Shape.numel(shape);
    }

    /** The element type, taken from the storage. */
    public DType dtype() {
        return storage.dtype();
    }

    /** The device holding the storage. */
    public Device device() {
        return storage.device();
    }

    /** The underlying storage (for backends). */
    public Storage storage() {
        return storage;
    }

    /** The backend of this tensor's device. */
    public Backend backend() {
        return Backends.of(storage.device());
    }

    /** True when the elements are laid out row-major without gaps (size-1 dims ignored). */
    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new IllegalArgumentException("item: tensor has " + numel() + " elements, shape " + Shape.str(shape));
        return toDoubleArray()[0];
    }

    /** Element at an index, as a double. */
    public double get(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("get: index rank " + index.length + " for tensor of shape " + Shape.str(shape));
        }
        Tensor t = this;
        for (int i = index.length - 1; i >= 0; i--) t = t.select(i, index[i]);
        return t.item();
    }

    /** Elements in row-major order as floats (converting from the dtype). */
    public float[] toFloatArray() {
        Tensor t = to(DType.F32);
        return (float[]) t.backend().toArray(t);
    }

    /** Elements in row-major order as doubles. */
    public double[] toDoubleArray() {
        Tensor t = to(DType.F64);
        return (double[]) t.backend().toArray(t);
    }

    /** Elements in row-major order as ints (floats are truncated toward zero). */
    public int[] toIntArray() {
        Tensor t = to(DType.I32);
        return (int[]) t.backend().toArray(t);
    }

    /** Elements in row-major order as booleans (nonzero is true). */
    public boolean[] toBooleanArray() {
        Tensor t = to(DType.BOOL);
        return (boolean[]) t.backend().toArray(t);
    }

    // ------------------------------------------------------------------ views

    /**
     * Same elements in a new shape (one dimension may be -1). A view when the layout allows it,
     * otherwise a contiguous copy.
     */
    public Tensor reshape(int... newShape) {
        int[] s = inferShape(newShape);
        int[] viewStrides = viewStrides(s);
        if (viewStrides != null) return new Tensor(storage, s, viewStrides, offset);
        return contiguous().reshape(s);
    }

    private int[] inferShape(int[] newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Shape.str(newShape));
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("reshape: negative dimension in " + Shape.str(newShape));
            } else {
                known *= s[i];
            }
        }
        int n = numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("reshape: cannot reshape " + Shape.str(shape) + " (" + n
                        + " elements) to " + Shape.str(newShape));
            }
            s[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException("reshape: cannot reshape " + Shape.str(shape) + " (" + n
                    + " elements) to " + Shape.str(newShape));
        }
        return s;
    }

    /**
     * Strides for viewing this tensor as {@code s} without a copy, or null if impossible: groups of
     * old dimensions that are contiguous among themselves may be split or merged (PyTorch's rule).
     */
    private int[] viewStrides(int[] s) {
        if (isContiguous() || numel() == 0) return Shape.contiguousStrides(s);
        int[] ns = new int[s.length];
        int viewD = s.length - 1;
        long chunkBaseStride = strides[shape.length - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBaseStride)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || s[viewD] == 1)) {
                    ns[viewD] = (int) (viewNumel * chunkBaseStride);
                    viewNumel *= s[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0) {
                    chunkBaseStride = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? ns : null;
    }

    /** Reshape to one dimension. */
    public Tensor flatten() {
        return reshape(-1);
    }

    /** Reorders dimensions: result dimension i is this tensor's dimension {@code order[i]}. */
    public Tensor permute(int... order) {
        if (order.length != shape.length) {
            throw new IllegalArgumentException("permute: order " + Arrays.toString(order) + " for tensor of rank " + shape.length);
        }
        int[] s = new int[order.length], st = new int[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            int a = Shape.axis("permute", order[i], shape.length);
            if (seen[a]) throw new IllegalArgumentException("permute: axis " + a + " repeated in " + Arrays.toString(order));
            seen[a] = true;
            s[i] = shape[a];
            st[i] = strides[a];
        }
        return new Tensor(storage, s, st, offset);
    }

    /** Swaps two dimensions (a view). */
    public Tensor transpose(int a, int b) {
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        int x = Shape.axis("transpose", a, shape.length), y = Shape.axis("transpose", b, shape.length);
        order[x] = y;
        order[y] = x;
        return permute(order);
    }

    /** Swaps the last two dimensions (matrix transpose of every batch item). */
    public Tensor mT() {
        if (shape.length < 2) throw new IllegalArgumentException("mT: needs rank >= 2, got shape " + Shape.str(shape));
        return transpose(-2, -1);
    }

    /** Elements {@code start, start+step, ...} before {@code end} along an axis (a view); bounds are clamped like Python slices. */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = Shape.axis("slice", axis, shape.length);
        if (step <= 0) throw new IllegalArgumentException("slice: step must be positive, got " + step);
        int n = shape[a];
        int s = start < 0 ? Math.max(0, start + n) : Math.min(start, n);
        int e = end < 0 ? Math.max(0, end + n) : Math.min(end, n);
        int len = e > s ? (e - s + step - 1) / step : 0;
        int[] ns = shape.clone(), nst = strides.clone();
        ns[a] = len;
        nst[a] = strides[a] * step;
        return new Tensor(storage, ns, nst, len == 0 ? offset : offset + s * strides[a]);
    }

    /** {@code slice(axis, start, end, 1)}. */
    public Tensor slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    /** {@code length} elements from {@code start} along an axis (a view); throws when out of range. */
    public Tensor narrow(int axis, int start, int length) {
        int a = Shape.axis("narrow", axis, shape.length);
        if (start < 0 || length < 0 || start + length > shape[a]) {
            throw new IllegalArgumentException("narrow: range [" + start + ", " + (start + length) + ") outside dimension "
                    + a + " of size " + shape[a] + " in " + Shape.str(shape));
        }
        return slice(a, start, start + length, 1);
    }

    /** Index {@code i} along an axis, removing that axis (a view). */
    public Tensor select(int axis, int i) {
        int a = Shape.axis("select", axis, shape.length);
        int idx = i < 0 ? i + shape[a] : i;
        if (idx < 0 || idx >= shape[a]) {
            throw new IllegalArgumentException("select: index " + i + " out of range for dimension " + a + " of size "
                    + shape[a] + " in " + Shape.str(shape));
        }
        int[] ns = new int[shape.length - 1], nst = new int[shape.length - 1];
        for (int k = 0, j = 0; k < shape.length; k++) {
            if (k == a) continue;
            ns[j] = shape[k];
            nst[j++] = strides[k];
        }
        return new Tensor(storage, ns, nst, offset + idx * strides[a]);
    }

    /** Broadcasts to a larger shape (a view with zero strides); -1 keeps a dimension. */
    public Tensor expand(int... newShape) {
        if (newShape.length < shape.length) {
            throw new IllegalArgumentException("expand: cannot expand " + Shape.str(shape) + " to fewer dimensions " + Shape.str(newShape));
        }
        int lead = newShape.length - shape.length;
        int[] ns = new int[newShape.length], nst = new int[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            int want = newShape[i];
            if (i < lead) {
                if (want < 0) throw new IllegalArgumentException("expand: -1 not allowed for new leading dimension in " + Shape.str(newShape));
                ns[i] = want;
                nst[i] = 0;
            } else {
                int have = shape[i - lead];
                if (want == -1 || want == have) {
                    ns[i] = have;
                    nst[i] = strides[i - lead];
                } else if (have == 1) {
                    ns[i] = want;
                    nst[i] = 0;
                } else {
                    throw new IllegalArgumentException("expand: cannot expand " + Shape.str(shape) + " to " + Shape.str(newShape));
                }
            }
        }
        return new Tensor(storage, ns, nst, offset);
    }

    /** Inserts a size-1 dimension at {@code axis} (in [-rank-1, rank]). */
    public Tensor unsqueeze(int axis) {
        int a = Shape.axis("unsqueeze", axis, shape.length + 1);
        int[] ns = new int[shape.length + 1], nst = new int[shape.length + 1];
        for (int i = 0, j = 0; i < ns.length; i++) {
            if (i == a) {
                ns[i] = 1;
                nst[i] = j < shape.length ? strides[j] * shape[j] : 1;
            } else {
                ns[i] = shape[j];
                nst[i] = strides[j++];
            }
        }
        return new Tensor(storage, ns, nst, offset);
    }

    /** Removes dimension {@code axis}, which must have size 1. */
    public Tensor squeeze(int axis) {
        int a = Shape.axis("squeeze", axis, shape.length);
        if (shape[a] != 1) throw new IllegalArgumentException("squeeze: dimension " + a + " has size " + shape[a] + " in " + Shape.str(shape));
        return select(a, 0);
    }

    /** Removes every size-1 dimension. */
    public Tensor squeeze() {
        Tensor t = this;
        for (int i = shape.length - 1; i >= 0; i--) if (shape[i] == 1) t = t.select(i, 0);
        return t;
    }

    /** Broadcast view to {@code target} (NumPy rules). */
    public Tensor broadcastTo(int... target) {
        int[] b = Shape.broadcast("broadcastTo", shape, target);
        if (!Shape.same(b, target)) {
            throw new IllegalArgumentException("broadcastTo: cannot broadcast " + Shape.str(shape) + " to " + Shape.str(target));
        }
        return expand(target);
    }

    // ------------------------------------------------------------------ copies and conversion

    /** This tensor if contiguous with offset 0, else a contiguous copy. */
    public Tensor contiguous() {
        if (isContiguous() && offset == 0 && storage.size() == numel()) return this;
        return copy();
    }

    /** A contiguous copy (never shares storage). */
    public Tensor copy() {
        Tensor out = empty(dtype(), device(), shape);
        backend().copyInPlace(out, this);
        return out;
    }

    /** Converts to another dtype (this tensor itself when the dtype already matches). */
    public Tensor to(DType dtype) {
        if (dtype == dtype()) return this;
        Tensor out = empty(dtype, device(), shape);
        backend().copyInPlace(out, this);
        return out;
    }

    /** Moves to another device (this tensor itself when already there). */
    public Tensor to(Device target) {
        if (target.equals(device())) return this;
        Tensor src = contiguous();
        Object data = src.backend().toArray(src);
        return Backends.of(target).fromArray(data, dtype(), shape.clone());
    }

    // ------------------------------------------------------------------ in-place API (optimizers, kernels)

    /** {@code this[...] = src} with src broadcast to this shape and converted to this dtype. */
    public Tensor copyFrom(Tensor src) {
        requireBroadcastsHere("copyFrom", src);
        backend().copyInPlace(this, src);
        return this;
    }

    /** {@code this += src}. */
    public Tensor addInPlace(Tensor src) {
        return addInPlace(src, 1.0);
    }

    /** {@code this += alpha * src} (src broadcast to this shape). */
    public Tensor addInPlace(Tensor src, double alpha) {
        requireBroadcastsHere("addInPlace", src);
        backend().addInPlace(this, src, alpha);
        return this;
    }

    /** Checks that {@code src} is on this device and broadcasts to this tensor's shape (in-place ops). */
    private void requireBroadcastsHere(String op, Tensor src) {
        checkSameDevice(op, src);
        if (!Shape.same(Shape.broadcast(op, src.shape, shape), shape)) {
            throw new IllegalArgumentException(op + ": source " + Shape.str(src.shape) + " does not broadcast to " + Shape.str(shape));
        }
    }

    /** {@code this *= s}. */
    public Tensor scaleInPlace(double s) {
        backend().scaleInPlace(this, s);
        return this;
    }

    /** Sets every element to {@code value}. */
    public Tensor fillInPlace(double value) {
        backend().fillInPlace(this, value);
        return this;
    }

    // ------------------------------------------------------------------ elementwise

    /** Applies an elementwise function. Integer and bool inputs compute in F32 except for sign-preserving ops. */
    public Tensor unary(UnaryOp op) {
        DType dt = dtype();
        if (dt == DType.BF16) return to(DType.F32).unary(op).to(DType.BF16);
        if (!dt.isFloating()) {
            boolean keepsInt = dt == DType.I32 && (op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.SIGN
                    || op == UnaryOp.SQUARE || op == UnaryOp.RELU);
            if (!keepsInt) return to(DType.F32).unary(op);
        }
        return backend().unary(op, this);
    }

    /** Elementwise {@code -x}. */
    public Tensor neg() { return unary(UnaryOp.NEG); }
    /** Elementwise {@code e^x}. */
    public Tensor exp() { return unary(UnaryOp.EXP); }
    /** Elementwise natural logarithm ({@code -inf} at 0, NaN below). */
    public Tensor log() { return unary(UnaryOp.LOG); }
    /** Elementwise square root. */
    public Tensor sqrt() { return unary(UnaryOp.SQRT); }
    /** Elementwise {@code 1 / sqrt(x)}. */
    public Tensor rsqrt() { return unary(UnaryOp.RSQRT); }
    /** Elementwise absolute value. */
    public Tensor abs() { return unary(UnaryOp.ABS); }
    /** Elementwise {@code x * x}. */
    public Tensor square() { return unary(UnaryOp.SQUARE); }
    /** Elementwise {@code 1 / x}. */
    public Tensor reciprocal() { return unary(UnaryOp.RECIPROCAL); }
    /** Elementwise sine. */
    public Tensor sin() { return unary(UnaryOp.SIN); }
    /** Elementwise cosine. */
    public Tensor cos() { return unary(UnaryOp.COS); }
    /** Elementwise hyperbolic tangent. */
    public Tensor tanh() { return unary(UnaryOp.TANH); }
    /** Elementwise logistic function {@code 1 / (1 + e^-x)}, evaluated without overflow. */
    public Tensor sigmoid() { return unary(UnaryOp.SIGMOID); }
    /** Elementwise {@code max(x, 0)}; NaN stays NaN. */
    public Tensor relu() { return unary(UnaryOp.RELU); }
    /** Exact GELU, x * Phi(x). */
    public Tensor gelu() { return unary(UnaryOp.GELU); }
    /** GELU with the tanh approximation. */
    public Tensor geluTanh() { return unary(UnaryOp.GELU_TANH); }
    /** ELU with alpha = 1. */
    public Tensor elu() { return unary(UnaryOp.ELU); }
    /** Elementwise SiLU (swish), {@code x * sigmoid(x)}. */
    public Tensor silu() { return unary(UnaryOp.SILU); }
    /** Elementwise sign: -1, 0 or 1. */
    public Tensor sign() { return unary(UnaryOp.SIGN); }
    /** Elementwise floor. */
    public Tensor floor() { return unary(UnaryOp.FLOOR); }
    /** Elementwise ceiling. */
    public Tensor ceil() { return unary(UnaryOp.CEIL); }
    /** Elementwise rounding to the nearest integer, ties to even (like {@code torch.round}). */
    public Tensor round() { return unary(UnaryOp.ROUND); }
    /** Elementwise {@code log(1 + x)}, accurate near 0. */
    public Tensor log1p() { return unary(UnaryOp.LOG1P); }
    /** Elementwise {@code e^x - 1}, accurate near 0. */
    public Tensor expm1() { return unary(UnaryOp.EXPM1); }
    /** Elementwise error function. */
    public Tensor erf() { return unary(UnaryOp.ERF); }

    /** Broadcast binary operation; operands are promoted to a common dtype. */
    public Tensor binary(BinaryOp op, Tensor other) {
        String name = OpNames.of(op);
        checkSameDevice(name, other);
        int[] outShape = Shape.broadcast(name, shape, other.shape);
        DType compute = DType.promote(dtype(), other.dtype());
        if (op == BinaryOp.AND || op == BinaryOp.OR) compute = DType.BOOL;
        else if (compute == DType.BOOL) compute = DType.I32;
        if (compute == DType.I32 && (op == BinaryOp.DIV || op == BinaryOp.POW)) compute = DType.F32;
        DType outType = op.isComparison() ? DType.BOOL : compute;
        Tensor a = to(compute), b = other.to(compute);
        Tensor r = a.backend().binary(op, a, b, outType);
        assert Shape.same(r.shape, outShape);
        return r;
    }

    /** Broadcast {@code this + o}. */
    public Tensor add(Tensor o) { return binary(BinaryOp.ADD, o); }
    /** Broadcast {@code this - o}. */
    public Tensor sub(Tensor o) { return binary(BinaryOp.SUB, o); }
    /** Broadcast {@code this * o}. */
    public Tensor mul(Tensor o) { return binary(BinaryOp.MUL, o); }
    /** Broadcast {@code this / o} (integer operands divide in F32). */
    public Tensor div(Tensor o) { return binary(BinaryOp.DIV, o); }
    /** Elementwise maximum (NaN propagates). */
    public Tensor maximum(Tensor o) { return binary(BinaryOp.MAX, o); }
    /** Elementwise minimum (NaN propagates). */
    public Tensor minimum(Tensor o) { return binary(BinaryOp.MIN, o); }
    /** Broadcast {@code this ^ o} (integer operands compute in F32). */
    public Tensor pow(Tensor o) { return binary(BinaryOp.POW, o); }
    /** Broadcast {@code this == o} as a BOOL tensor. */
    public Tensor eq(Tensor o) { return binary(BinaryOp.EQ, o); }
    /** Broadcast {@code this != o} as a BOOL tensor. */
    public Tensor ne(Tensor o) { return binary(BinaryOp.NE, o); }
    /** Broadcast {@code this < o} as a BOOL tensor. */
    public Tensor lt(Tensor o) { return binary(BinaryOp.LT, o); }
    /** Broadcast {@code this <= o} as a BOOL tensor. */
    public Tensor le(Tensor o) { return binary(BinaryOp.LE, o); }
    /** Broadcast {@code this > o} as a BOOL tensor. */
    public Tensor gt(Tensor o) { return binary(BinaryOp.GT, o); }
    /** Broadcast {@code this >= o} as a BOOL tensor. */
    public Tensor ge(Tensor o) { return binary(BinaryOp.GE, o); }
    /** Broadcast logical and (nonzero is true) as a BOOL tensor. */
    public Tensor and(Tensor o) { return binary(BinaryOp.AND, o); }
    /** Broadcast logical or (nonzero is true) as a BOOL tensor. */
    public Tensor or(Tensor o) { return binary(BinaryOp.OR, o); }

    /** {@code this op s}, keeping this tensor's dtype for floats (ints compute in F32 for DIV/POW). */
    public Tensor binary(BinaryOp op, double s) {
        DType dt = dtype();
        if (dt == DType.BF16) {
            Tensor r = to(DType.F32).binary(op, s);
            return op.isComparison() ? r : r.to(DType.BF16);
        }
        if (!dt.isFloating() && (op == BinaryOp.DIV || op == BinaryOp.POW || s != Math.rint(s))) {
            return to(DType.F32).binary(op, s);
        }
        if (dt == DType.BOOL) return to(DType.I32).binary(op, s);
        return backend().binaryScalar(op, this, s, false);
    }

    /** {@code s op this}. */
    public Tensor rbinary(BinaryOp op, double s) {
        DType dt = dtype();
        if (dt == DType.BF16) {
            Tensor r = to(DType.F32).rbinary(op, s);
            return op.isComparison() ? r : r.to(DType.BF16);
        }
        if (!dt.isFloating() && (op == BinaryOp.DIV || op == BinaryOp.POW || s != Math.rint(s))) {
            return to(DType.F32).rbinary(op, s);
        }
        if (dt == DType.BOOL) return to(DType.I32).rbinary(op, s);
        return backend().binaryScalar(op, this, s, true);
    }

    /** {@code this + s}. */
    public Tensor add(double s) { return binary(BinaryOp.ADD, s); }
    /** {@code this - s}. */
    public Tensor sub(double s) { return binary(BinaryOp.SUB, s); }
    /** {@code this * s}. */
    public Tensor mul(double s) { return binary(BinaryOp.MUL, s); }
    /** {@code this / s}. */
    public Tensor div(double s) { return binary(BinaryOp.DIV, s); }
    /** {@code this ^ s}. */
    public Tensor pow(double s) { return binary(BinaryOp.POW, s); }
    /** Elementwise {@code max(this, s)} (NaN propagates). */
    public Tensor maximum(double s) { return binary(BinaryOp.MAX, s); }
    /** Elementwise {@code min(this, s)} (NaN propagates). */
    public Tensor minimum(double s) { return binary(BinaryOp.MIN, s); }
    /** {@code this == s} as a BOOL tensor. */
    public Tensor eq(double s) { return binary(BinaryOp.EQ, s); }
    /** {@code this != s} as a BOOL tensor. */
    public Tensor ne(double s) { return binary(BinaryOp.NE, s); }
    /** {@code this < s} as a BOOL tensor. */
    public Tensor lt(double s) { return binary(BinaryOp.LT, s); }
    /** {@code this <= s} as a BOOL tensor. */
    public Tensor le(double s) { return binary(BinaryOp.LE, s); }
    /** {@code this > s} as a BOOL tensor. */
    public Tensor gt(double s) { return binary(BinaryOp.GT, s); }
    /** {@code this >= s} as a BOOL tensor. */
    public Tensor ge(double s) { return binary(BinaryOp.GE, s); }
    /** {@code s - this}. */
    public Tensor rsub(double s) { return rbinary(BinaryOp.SUB, s); }
    /** {@code s / this}. */
    public Tensor rdiv(double s) { return rbinary(BinaryOp.DIV, s); }

    /** Logical not of a BOOL tensor (nonzero of other types). */
    public Tensor not() {
        return eq(0.0);
    }

    /** Clamps every element to [lo, hi]. */
    public Tensor clamp(double lo, double hi) {
        if (lo > hi) throw new IllegalArgumentException("clamp: lo " + lo + " > hi " + hi);
        if (dtype() == DType.BF16) return to(DType.F32).clamp(lo, hi).to(DType.BF16);
        if (dtype() == DType.BOOL) return to(DType.I32).clamp(lo, hi);
        return backend().clamp(this, lo, hi);
    }

    /** {@code cond ? a : b}, broadcasting all three; cond must be BOOL. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        if (cond.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where: cond must be BOOL, got " + cond.dtype());
        }
        cond.checkSameDevice("where", a);
        cond.checkSameDevice("where", b);
        int[] s = Shape.broadcast("where", Shape.broadcast("where", cond.shape, a.shape), b.shape);
        DType dt = DType.promote(a.dtype(), b.dtype());
        return cond.backend().where(cond, a.to(dt), b.to(dt), s, dt);
    }

    // ------------------------------------------------------------------ reductions

    /** Reduction over axes (empty = all) with or without keeping reduced dims as size 1. */
    public Tensor reduce(ReduceOp op, int[] axes, boolean keepDims) {
        String name = OpNames.of(op);
        int[] ax = Shape.axes(name, axes, shape.length);
        if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
            if (ax.length != 1) throw new IllegalArgumentException(name + ": needs exactly one axis, got " + Arrays.toString(axes));
            if (shape[ax[0]] == 0) throw new IllegalArgumentException(name + ": empty dimension " + ax[0] + " in " + Shape.str(shape));
        }
        if (op == ReduceOp.MAX || op == ReduceOp.MIN) {
            // like PyTorch: only a reduced dimension of size 0 has no identity; empty kept dims are fine
            for (int d : ax) {
                if (shape[d] == 0) {
                    throw new IllegalArgumentException(name + ": reduction over empty dimension " + d + " of " + Shape.str(shape));
                }
            }
        }
        Tensor x = this;
        if (x.dtype() == DType.BF16) x = x.to(DType.F32);
        if (!x.dtype().isFloating() && (op == ReduceOp.MEAN || op == ReduceOp.LOGSUMEXP)) x = x.to(DType.F32);
        if (x.dtype() == DType.BOOL && op != ReduceOp.ARGMAX && op != ReduceOp.ARGMIN) x = x.to(DType.I32);
        return x.backend().reduce(op, x, ax, keepDims);
    }

    /** Sum over the given axes (all when none), dropping them. */
    public Tensor sum(int... axes) { return reduce(ReduceOp.SUM, axes, false); }
    /** Sum keeping reduced dims as size 1. */
    public Tensor sumKeepDims(int... axes) { return reduce(ReduceOp.SUM, axes, true); }
    /** Mean over the given axes (all when none), dropping them; integer tensors average in F32. */
    public Tensor mean(int... axes) { return reduce(ReduceOp.MEAN, axes, false); }
    /** Mean keeping reduced dims as size 1. */
    public Tensor meanKeepDims(int... axes) { return reduce(ReduceOp.MEAN, axes, true); }
    /** Maximum over the given axes (all when none), dropping them; a reduced axis of size 0 is an error. */
    public Tensor max(int... axes) { return reduce(ReduceOp.MAX, axes, false); }
    /** Maximum keeping reduced dims as size 1. */
    public Tensor maxKeepDims(int... axes) { return reduce(ReduceOp.MAX, axes, true); }
    /** Minimum over the given axes (all when none), dropping them; a reduced axis of size 0 is an error. */
    public Tensor min(int... axes) { return reduce(ReduceOp.MIN, axes, false); }
    /** Minimum keeping reduced dims as size 1. */
    public Tensor minKeepDims(int... axes) { return reduce(ReduceOp.MIN, axes, true); }
    /** Product over the given axes (all when none), dropping them. */
    public Tensor prod(int... axes) { return reduce(ReduceOp.PROD, axes, false); }
    /** {@code log(sum(exp(x)))} over the given axes, computed stably (max subtracted first). */
    public Tensor logsumexp(int... axes) { return reduce(ReduceOp.LOGSUMEXP, axes, false); }
    /** Log-sum-exp keeping reduced dims as size 1. */
    public Tensor logsumexpKeepDims(int... axes) { return reduce(ReduceOp.LOGSUMEXP, axes, true); }
    /** Index of the first maximum along {@code axis} (I32). */
    public Tensor argmax(int axis) { return reduce(ReduceOp.ARGMAX, new int[] {axis}, false); }
    /** Index of the first minimum along {@code axis} (I32). */
    public Tensor argmin(int axis) { return reduce(ReduceOp.ARGMIN, new int[] {axis}, false); }

    /** Variance over axes (empty = all); correction 0 is biased, 1 unbiased. */
    public Tensor var(int[] axes, int correction, boolean keepDims) {
        int[] ax = Shape.axes("var", axes, shape.length);
        Tensor x = dtype().isFloating() && dtype() != DType.BF16 ? this : to(DType.F32);
        return x.backend().variance(x, ax, correction, keepDims);
    }

    // ------------------------------------------------------------------ matmul

    /**
     * The affine map of a linear layer, {@code this [..., k] weight[n, k]^T + bias[n]} (PyTorch's
     * {@code F.linear}); {@code bias} may be null. On the CPU the float32 bias is C's starting value in the
     * product's accumulation (no separate pass over the output).
     *
     * @throws IllegalArgumentException when the weight is not [n, k] for this tensor's last dimension k or the bias
     *                                  is not [n]
     */
    public Tensor linear(Tensor weight, Tensor bias) {
        checkSameDevice("linear", weight);
        if (bias != null) checkSameDevice("linear", bias);
        if (shape.length == 0 || weight.rank() != 2 || weight.shape[1] != shape[shape.length - 1]) {
            throw new IllegalArgumentException("linear: input " + Shape.str(shape) + " does not match weight " + Shape.str(weight.shape)
                    + " (expected [n, " + (shape.length == 0 ? "k" : shape[shape.length - 1]) + "])");
        }
        int n = weight.shape[0], k = weight.shape[1];
        if (bias != null && (bias.rank() != 1 || bias.shape[0] != n)) {
            throw new IllegalArgumentException("linear: bias " + Shape.str(bias.shape) + " does not match weight " + Shape.str(weight.shape)
                    + " (expected [" + n + "])");
        }
        Tensor x2 = reshape(-1, k);
        boolean fused = bias != null && (dtype() == DType.F32 || dtype() == DType.F64) && weight.dtype() == dtype()
                && bias.dtype() == dtype();
        // other dtype mixes promote as matmul and add do
        Tensor y = fused ? backend().linear(x2, weight, bias) : bias == null ? x2.matmul(weight.mT()) : x2.matmul(weight.mT()).add(bias);
        int[] ys = shape.clone();
        ys[ys.length - 1] = n;
        return y.reshape(ys);
    }

    /**
     * Writes {@code x [m, k] weight[n, k]^T + bias[n]} into this [m, n] tensor (the out= form of {@link #linear};
     * bias may be null) and returns this. This tensor may be a view, such as a row block of a larger result, so
     * per-group products fill one output without a concatenating copy; it must not overlap x, weight or bias.
     * On the CPU, float32 products are written straight into it.
     *
     * <pre>{@code
     * Tensor y = Tensor.empty(DType.F32, n, dOut);
     * y.narrow(0, 0, c).linearInPlace(x.narrow(0, 0, c), w0, b0);
     * }</pre>
     *
     * @throws IllegalArgumentException when the shapes do not match ({@code x [m, k]}, weight [n, k], bias [n], this
     *                                  [m, n]) or the dtypes differ
     */
    public Tensor linearInPlace(Tensor x, Tensor weight, Tensor bias) {
        checkSameDevice("linearInPlace", x);
        checkSameDevice("linearInPlace", weight);
        if (bias != null) checkSameDevice("linearInPlace", bias);
        if (x.rank() != 2 || weight.rank() != 2 || shape.length != 2 || weight.shape[1] != x.shape[1] || shape[0] != x.shape[0]
                || shape[1] != weight.shape[0] || (bias != null && (bias.rank() != 1 || bias.shape[0] != weight.shape[0]))) {
            throw new IllegalArgumentException("linearInPlace: expected x [m, k], weight [n, k], bias [n] and this [m, n], got x "
                    + Shape.str(x.shape) + ", weight " + Shape.str(weight.shape) + ", bias " + (bias == null ? "null" : Shape.str(bias.shape))
                    + ", this " + Shape.str(shape));
        }
        DType dt = dtype();
        if ((dt != DType.F32 && dt != DType.F64) || x.dtype() != dt || weight.dtype() != dt || (bias != null && bias.dtype() != dt)) {
            throw new IllegalArgumentException("linearInPlace: this, x, weight and bias must share dtype F32 or F64, got " + dt + ", "
                    + x.dtype() + ", " + weight.dtype() + ", " + (bias == null ? "-" : bias.dtype()));
        }
        backend().linearInPlace(this, x, weight, bias);
        return this;
    }

    /**
     * Matrix product with NumPy semantics: 1-d operands are promoted (and the added dim removed),
     * batch dimensions broadcast.
     */
    public Tensor matmul(Tensor other) {
        checkSameDevice("matmul", other);
        if (shape.length == 0 || other.shape.length == 0) {
            throw new IllegalArgumentException("matmul: operands must have rank >= 1, got a" + Shape.str(shape) + " x b" + Shape.str(other.shape));
        }
        Tensor a = shape.length == 1 ? unsqueeze(0) : this;
        Tensor b = other.shape.length == 1 ? other.unsqueeze(1) : other;
        int k = a.shape[a.rank() - 1];
        if (b.shape[b.rank() - 2] != k) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: a" + Shape.str(shape) + " x b" + Shape.str(other.shape));
        }
        int[] ba = Arrays.copyOf(a.shape, a.rank() - 2), bb = Arrays.copyOf(b.shape, b.rank() - 2);
        int[] batch = Shape.broadcast("matmul", ba, bb);
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = a.shape[a.rank() - 2];
        out[batch.length + 1] = b.shape[b.rank() - 1];
        DType dt = DType.promote(a.dtype(), b.dtype());
        if (dt == DType.BF16 || !dt.isFloating()) dt = DType.F32;
        Tensor r = a.backend().matmul(a.to(dt), b.to(dt), out);
        if (shape.length == 1) r = r.squeeze(r.rank() - 2);
        if (other.shape.length == 1) r = r.squeeze(r.rank() - 1);
        return r;
    }

    // ------------------------------------------------------------------ joining and splitting

    /** Concatenates along an existing axis; all parts share dtype, device and the other dims. */
    public static Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("concat: no tensors given");
        Tensor first = parts[0];
        int a = Shape.axis("concat", axis, first.rank());
        int[] out = first.shape();
        out[a] = 0;
        DType dt = first.dtype();
        for (Tensor p : parts) dt = DType.promote(dt, p.dtype());
        Tensor[] cast = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) {
            Tensor p = parts[i];
            first.checkSameDevice("concat", p);
            if (p.rank() != first.rank()) {
                throw new IllegalArgumentException("concat: part " + i + " has shape " + Shape.str(p.shape)
                        + ", rank differs from part 0 " + Shape.str(first.shape));
            }
            for (int d = 0; d < p.rank(); d++) {
                if (d != a && p.shape[d] != first.shape[d]) {
                    throw new IllegalArgumentException("concat: part " + i + " has shape " + Shape.str(p.shape)
                            + ", differs from part 0 " + Shape.str(first.shape) + " outside axis " + a);
                }
            }
            out[a] += p.shape[a];
            cast[i] = p.to(dt);
        }
        return first.backend().concat(cast, a, out);
    }

    /** Stacks equally shaped tensors along a new axis. */
    public static Tensor stack(int axis, Tensor... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("stack: no tensors given");
        int a = Shape.axis("stack", axis, parts[0].rank() + 1);
        Tensor[] u = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (!Shape.same(parts[i].shape, parts[0].shape)) {
                throw new IllegalArgumentException("stack: part " + i + " has shape " + Shape.str(parts[i].shape)
                        + ", part 0 has " + Shape.str(parts[0].shape));
            }
            u[i] = parts[i].unsqueeze(a);
        }
        return concat(a, u);
    }

    /** Splits along an axis into pieces of the given sizes (views). */
    public Tensor[] split(int axis, int... sizes) {
        int a = Shape.axis("split", axis, shape.length);
        int total = 0;
        for (int s : sizes) {
            if (s < 0) throw new IllegalArgumentException("split: negative size in " + Arrays.toString(sizes));
            total += s;
        }
        if (total != shape[a]) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " sum to " + total
                    + ", dimension " + a + " of " + Shape.str(shape) + " has " + shape[a]);
        }
        Tensor[] r = new Tensor[sizes.length];
        int start = 0;
        for (int i = 0; i < sizes.length; i++) {
            r[i] = narrow(a, start, sizes[i]);
            start += sizes[i];
        }
        return r;
    }

    /** Splits into {@code chunks} nearly equal pieces along an axis (views; the last may be smaller). */
    public Tensor[] chunk(int chunks, int axis) {
        int a = Shape.axis("chunk", axis, shape.length);
        if (chunks <= 0) throw new IllegalArgumentException("chunk: chunks must be positive, got " + chunks);
        int each = (shape[a] + chunks - 1) / chunks;
        int n = each == 0 ? 0 : (shape[a] + each - 1) / each;
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) sizes[i] = Math.min(each, shape[a] - i * each);
        return split(a, sizes);
    }

    /** Constant padding; {@code pads[2*i]}, {@code pads[2*i+1]} = before/after of dimension i (all dims given). */
    public Tensor pad(int[] pads, double value) {
        if (pads.length != 2 * shape.length) {
            throw new IllegalArgumentException("pad: expected " + 2 * shape.length + " pad values for shape "
                    + Shape.str(shape) + ", got " + pads.length);
        }
        for (int p : pads) if (p < 0) throw new IllegalArgumentException("pad: negative padding in " + Arrays.toString(pads));
        return backend().pad(this, pads.clone(), value);
    }

    // ------------------------------------------------------------------ indexing

    /** torch.gather: out has index's shape; index is I32 with this tensor's rank. */
    public Tensor gather(int dim, Tensor index) {
        int d = Shape.axis("gather", dim, shape.length);
        requireIndex("gather", index);
        checkSameDevice("gather", index);
        if (index.rank() != rank()) {
            throw new IllegalArgumentException("gather: index rank " + index.rank() + " differs from input rank " + rank()
                    + " (index " + Shape.str(index.shape) + ", input " + Shape.str(shape) + ")");
        }
        for (int i = 0; i < rank(); i++) {
            if (i != d && index.shape[i] > shape[i]) {
                throw new IllegalArgumentException("gather: index " + Shape.str(index.shape) + " larger than input "
                        + Shape.str(shape) + " in dimension " + i);
            }
        }
        return backend().gather(this, d, index);
    }

    /** torch.scatter_add (out of place): a copy of this with src added at index along dim. */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        int d = Shape.axis("scatterAdd", dim, shape.length);
        requireIndex("scatterAdd", index);
        checkSameDevice("scatterAdd", index);
        checkSameDevice("scatterAdd", src);
        if (index.rank() != rank() || src.rank() != rank()) {
            throw new IllegalArgumentException("scatterAdd: index " + Shape.str(index.shape) + " and src " + Shape.str(src.shape)
                    + " must have the rank of the input " + Shape.str(shape));
        }
        for (int i = 0; i < rank(); i++) {
            if (index.shape[i] > src.shape[i] || (i != d && index.shape[i] > shape[i])) {
                throw new IllegalArgumentException("scatterAdd: index " + Shape.str(index.shape) + " too large for src "
                        + Shape.str(src.shape) + " / input " + Shape.str(shape) + " in dimension " + i);
            }
        }
        return backend().scatterAdd(this, d, index, src.to(dtype()));
    }

    /** Selects entries along {@code dim} by a 1-d I32 index. */
    public Tensor indexSelect(int dim, Tensor index) {
        int d = Shape.axis("indexSelect", dim, shape.length);
        requireIndex("indexSelect", index);
        checkSameDevice("indexSelect", index);
        if (index.rank() != 1) throw new IllegalArgumentException("indexSelect: index must be 1-d, got " + Shape.str(index.shape));
        return backend().indexSelect(this, d, index);
    }

    /** A zero tensor of {@code shape} with {@code src} slices added at a 1-d index along dim (index_add). */
    public static Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src) {
        int d = Shape.axis("indexAdd", dim, shape.length);
        requireIndex("indexAdd", index);
        src.checkSameDevice("indexAdd", index);
        if (index.rank() != 1 || src.rank() != shape.length || src.shape[d] != index.shape[0]) {
            throw new IllegalArgumentException("indexAdd: src " + Shape.str(src.shape) + " must have the rank of "
                    + Shape.str(shape) + " and index.length " + Shape.str(index.shape) + " entries along dimension " + d);
        }
        for (int i = 0; i < shape.length; i++) {
            if (i != d && src.shape[i] != shape[i]) {
                throw new IllegalArgumentException("indexAdd: src " + Shape.str(src.shape) + " differs from " + Shape.str(shape)
                        + " in dimension " + i);
            }
        }
        return src.backend().indexAdd(shape.clone(), d, index, src);
    }

    /** One-hot F32 encoding with a new last dimension of size {@code classes}. */
    public Tensor oneHot(int classes) {
        requireIndex("oneHot", this);
        if (classes <= 0) throw new IllegalArgumentException("oneHot: classes must be positive, got " + classes);
        return backend().oneHot(this, classes);
    }

    /** Values and I32 indices of a top-k or sort result. */
    public record ValuesIndices(Tensor values, Tensor indices) {}

    /** The k largest (or smallest) entries along {@code dim}, sorted; ties go to the lower index. */
    public ValuesIndices topk(int k, int dim, boolean largest) {
        int d = Shape.axis("topk", dim, shape.length);
        if (k < 0 || k > shape[d]) {
            throw new IllegalArgumentException("topk: k = " + k + " out of range for dimension " + d + " of size " + shape[d]);
        }
        Tensor[] r = backend().topk(this, k, d, largest);
        return new ValuesIndices(r[0], r[1]);
    }

    /** Stable sort along {@code dim}. */
    public ValuesIndices sort(int dim, boolean descending) {
        int d = Shape.axis("sort", dim, shape.length);
        Tensor[] r = backend().sort(this, d, descending);
        return new ValuesIndices(r[0], r[1]);
    }

    /** Indices that sort along {@code dim} (stable). */
    public Tensor argsort(int dim, boolean descending) {
        return sort(dim, descending).indices();
    }

    /** Inclusive cumulative sum along {@code dim}. */
    public Tensor cumsum(int dim) {
        int d = Shape.axis("cumsum", dim, shape.length);
        Tensor x = dtype() == DType.BF16 || dtype() == DType.BOOL ? to(dtype() == DType.BOOL ? DType.I32 : DType.F32) : this;
        return backend().cumsum(x, d);
    }

    /** Counts of each value of a 1-d non-negative I32 tensor. */
    public Tensor bincount(int minLength) {
        requireIndex("bincount", this);
        if (rank() != 1) throw new IllegalArgumentException("bincount: input must be 1-d, got " + Shape.str(shape));
        return backend().bincount(this, minLength);
    }

    // ------------------------------------------------------------------ fused ops

    /** Softmax along {@code dim}. */
    public Tensor softmax(int dim) {
        requireFloating("softmax", dtype());
        return backend().softmax(this, Shape.axis("softmax", dim, shape.length));
    }

    /** Log-softmax along {@code dim}. */
    public Tensor logSoftmax(int dim) {
        requireFloating("logSoftmax", dtype());
        return backend().logSoftmax(this, Shape.axis("logSoftmax", dim, shape.length));
    }

    /** Layer norm over the last dimension; gamma and beta (shape [last]) may be null. */
    public Tensor layerNorm(Tensor gamma, Tensor beta, double eps) {
        checkNormParams("layerNorm", gamma, beta);
        return backend().layerNorm(this, gamma, beta, eps)[0];
    }

    /** RMS norm over the last dimension; gamma (shape [last]) may be null. */
    public Tensor rmsNorm(Tensor gamma, double eps) {
        checkNormParams("rmsNorm", gamma, null);
        return backend().rmsNorm(this, gamma, eps)[0];
    }

    /** Validates the arguments of layer/rms norm (public for autograd). */
    public void checkNormParams(String op, Tensor gamma, Tensor beta) {
        requireFloating(op, dtype());
        if (rank() == 0) throw new IllegalArgumentException(op + ": input must have rank >= 1");
        int last = shape[rank() - 1];
        for (Tensor p : new Tensor[] {gamma, beta}) {
            if (p == null) continue;
            checkSameDevice(op, p);
            if (p.rank() != 1 || p.shape[0] != last) {
                throw new IllegalArgumentException(op + ": weight/bias must have shape [" + last + "], got "
                        + Shape.str(p.shape) + " for input " + Shape.str(shape));
            }
        }
    }

    /** Validates logits[N, C] and I32 targets[N] of a cross-entropy (public for autograd). */
    public void checkCrossEntropy(Tensor targets) {
        requireFloating("crossEntropy", dtype());
        requireIndex("crossEntropy", targets);
        if (rank() != 2 || targets.rank() != 1 || targets.shape[0] != shape[0]) {
            throw new IllegalArgumentException("crossEntropy: expected logits [N,C] and targets [N], got logits "
                    + Shape.str(shape) + " and targets " + Shape.str(targets.shape));
        }
    }

    /** Per-row cross-entropy of these logits [N, C] against I32 class targets [N]. */
    public Tensor crossEntropy(Tensor targets, int ignoreIndex, double labelSmoothing) {
        checkCrossEntropy(targets);
        if (labelSmoothing < 0 || labelSmoothing > 1) {
            throw new IllegalArgumentException("crossEntropy: labelSmoothing must be in [0,1], got " + labelSmoothing);
        }
        return backend().crossEntropy(this, targets, ignoreIndex, labelSmoothing)[0];
    }

    /** Inverted dropout with probability {@code p} (mask from {@code rng}). */
    public Tensor dropout(double p, Rng rng) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout: p must be in [0,1), got " + p);
        requireFloating("dropout", dtype());
        if (p == 0) return this;
        return backend().dropout(this, p, rng)[0];
    }

    // ------------------------------------------------------------------ helpers

    /** True when every element is within {@code atol + rtol * |other|} of {@code other} (shapes equal). */
    public boolean allClose(Tensor other, double rtol, double atol) {
        if (!Shape.same(shape, other.shape)) return false;
        double[] a = toDoubleArray(), b = other.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            if (Double.isNaN(a[i]) != Double.isNaN(b[i])) return false;
            if (Double.isNaN(a[i])) continue;
            if (a[i] == b[i]) continue;
            if (Math.abs(a[i] - b[i]) > atol + rtol * Math.abs(b[i])) return false;
        }
        return true;
    }

    /** Throws naming {@code op} unless the dtype is floating point. */
    public static void requireFloating(String op, DType dtype) {
        if (!dtype.isFloating()) throw new IllegalArgumentException(op + ": expected a floating dtype, got " + dtype);
    }

    private static void requireIndex(String op, Tensor index) {
        if (index.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": index must be I32, got " + index.dtype() + " " + Shape.str(index.shape));
        }
    }

    /** Throws naming {@code op} unless {@code other} is on this tensor's device. */
    public void checkSameDevice(String op, Tensor other) {
        if (!device().equals(other.device())) {
            throw new IllegalArgumentException(op + ": tensors on different devices: " + device() + " and " + other.device());
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Tensor(").append(dtype()).append(Shape.str(shape));
        if (!device().equals(Device.cpu())) b.append(", ").append(device());
        if (numel() <= 64) {
            double[] v = toDoubleArray();
            b.append(", ").append(Arrays.toString(v));
        }
        return b.append(')').toString();
    }

    /** Lower-case op names for error messages, computed once (a per-call toLowerCase showed up in training profiles). */
    private static final class OpNames {
        private static final String[] BINARY = names(BinaryOp.values());
        private static final String[] REDUCE = names(ReduceOp.values());

        static String of(BinaryOp op) {
            return BINARY[op.ordinal()];
        }

        static String of(ReduceOp op) {
            return REDUCE[op.ordinal()];
        }

        private static String[] names(Enum<?>[] ops) {
            String[] n = new String[ops.length];
            for (Enum<?> o : ops) n[o.ordinal()] = o.name().toLowerCase(java.util.Locale.ROOT);
            return n;
        }
    }

    /** Lazily resolves the CPU backend without a class-initialisation cycle. */
    private static final class CpuBackendHolder {
        static Backend cpu() {
            return Backends.of(Device.cpu());
        }
    }
}
