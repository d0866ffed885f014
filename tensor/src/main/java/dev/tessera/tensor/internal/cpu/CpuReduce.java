package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.ops.ReduceOp;

/**
 * Reductions on the CPU. The input is viewed as [outer, inner] with the reduced axes innermost
 * (a transposed copy when they are not); every output element reduces one contiguous run in a
 * fixed order, so results never depend on the thread count. A sum over leading axes, or over one
 * run of consecutive middle axes, of a contiguous tensor (the gradient of a broadcast bias) is done
 * column-wise without the copy.
 */
final class CpuReduce {
    private CpuReduce() {}

    static Tensor reduce(ReduceOp op, Tensor x, int[] axes, boolean keepDims) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (int a : axes) reduced[a] = true;
        int[] shape = x.shape();
        int keptCount = rank - axes.length;
        int[] outShape = new int[keepDims ? rank : keptCount];
        int[] order = new int[rank];
        int oi = 0, j = 0;
        for (int d = 0; d < rank; d++) {
            if (!reduced[d]) {
                order[oi++] = d;
                if (!keepDims) outShape[j++] = shape[d];
            }
            if (keepDims) outShape[d] = reduced[d] ? 1 : shape[d];
        }
        int inner = 1;
        for (int a : axes) {
            order[oi++] = a;
            inner *= shape[a];
        }
        int outer = 1;
        for (int d = 0; d < rank; d++) if (!reduced[d]) outer *= shape[d];

        DType outType = switch (op) {
            case ARGMAX, ARGMIN -> DType.I32;
            default -> x.dtype();
        };
        Tensor out = CpuBackend.alloc(outType, outShape);
        if (out.numel() == 0) return out;

        boolean leadingPrefix = true;
        for (int d = 0; d < axes.length; d++) if (axes[d] != d) leadingPrefix = false;
        if ((op == ReduceOp.SUM || op == ReduceOp.MEAN) && leadingPrefix && axes.length < rank
                && x.isContiguous() && (x.dtype() == DType.F32 || x.dtype() == DType.F64)) {
            columnSums(x, inner, outer, op == ReduceOp.MEAN, out);
            return out;
        }
        // A sum over one run of consecutive axes that does not include the last (the gradient of a
        // [E, 1, h] bias): [pre, red, post] column sums per leading index, without the transposed copy.
        int lo = axes.length == 0 ? 0 : axes[0];
        boolean consecutiveRun = axes.length > 0;
        for (int d = 0; d < axes.length; d++) if (axes[d] != lo + d) consecutiveRun = false;
        if ((op == ReduceOp.SUM || op == ReduceOp.MEAN) && consecutiveRun && lo + axes.length < rank
                && x.isContiguous() && (x.dtype() == DType.F32 || x.dtype() == DType.F64)) {
            int pre = 1;
            for (int d = 0; d < lo; d++) pre *= shape[d];
            middleSums(x, pre, inner, outer / pre, op == ReduceOp.MEAN, out);
            return out;
        }

        // A sum over one axis of a strided view whose trailing dimensions form one contiguous block (the per-head
        // key sum of a [B, H, T, D] view of [B, T, H*D]): summed row by row from the view, without the transposing
        // copy below.
        if ((op == ReduceOp.SUM || op == ReduceOp.MEAN) && axes.length == 1 && axes[0] < rank - 1 && !x.isContiguous()
                && (x.dtype() == DType.F32 || x.dtype() == DType.F64) && trailingBlockContiguous(x, axes[0])) {
            stridedMiddleSums(x, axes[0], op == ReduceOp.MEAN, out);
            return out;
        }

        Tensor xp = x.permute(order).contiguous();
        CpuStorage s = CpuBackend.st(xp), o = CpuBackend.st(out);
        int base = xp.offset();
        final int n = inner;
        int grain = Math.max(1, CpuBackend.FLAT_GRAIN / Math.max(1, n));
        if (outer == 1 && (op == ReduceOp.SUM || op == ReduceOp.MEAN) && n > 4 * CpuBackend.FLAT_GRAIN) {
            o.set(0, blockedSum(s, base, n) / (op == ReduceOp.MEAN ? n : 1));
            return out;
        }
        Parallel.forRange(outer, grain, (start, end) -> {
            for (int r = start; r < end; r++) o.set(r, reduceRun(op, s, base + r * n, n));
        });
        return out;
    }

    /** Sum of a long contiguous run split into fixed blocks (thread-count independent), in double. */
    private static double blockedSum(CpuStorage s, int off, int n) {
        int block = CpuBackend.FLAT_GRAIN;
        int blocks = (n + block - 1) / block;
        double[] partial = new double[blocks];
        Parallel.forRange(blocks, 1, (a, b) -> {
            for (int i = a; i < b; i++) {
                int st = off + i * block, len = Math.min(block, n - i * block);
                partial[i] = s.dtype() == DType.F32 ? CpuBackend.k().sumDouble(s.f32(), st, len) : sumGeneric(s, st, len);
            }
        });
        double t = 0;
        for (double p : partial) t += p;
        return t;
    }

    private static double sumGeneric(CpuStorage s, int off, int n) {
        double t = 0;
        if (s.dtype() == DType.F64) {
            double[] a = s.f64();
            for (int i = 0; i < n; i++) t += a[off + i];
        } else {
            for (int i = 0; i < n; i++) t += s.get(off + i);
        }
        return t;
    }

    private static double reduceRun(ReduceOp op, CpuStorage s, int off, int n) {
        boolean f32 = s.dtype() == DType.F32;
        switch (op) {
            case SUM:
                return f32 ? CpuBackend.k().sumDouble(s.f32(), off, n) : sumGeneric(s, off, n);
            case MEAN:
                return (f32 ? CpuBackend.k().sumDouble(s.f32(), off, n) : sumGeneric(s, off, n)) / n;
            case MAX: {
                if (f32) return CpuBackend.k().max(s.f32(), off, n);
                double m = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    double v = s.get(off + i);
                    if (v != v) return v;
                    if (v > m) m = v;
                }
                return m;
            }
            case MIN: {
                if (f32) return CpuBackend.k().min(s.f32(), off, n);
                double m = Double.POSITIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    double v = s.get(off + i);
                    if (v != v) return v;
                    if (v < m) m = v;
                }
                return m;
            }
            case PROD: {
                double p = 1;
                for (int i = 0; i < n; i++) p *= s.get(off + i);
                return p;
            }
            case LOGSUMEXP: {
                double m = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) m = Math.max(m, s.get(off + i));
                if (Double.isInfinite(m)) return m;
                double t = 0;
                for (int i = 0; i < n; i++) t += Math.exp(s.get(off + i) - m);
                return m + Math.log(t);
            }
            case ARGMAX:
            case ARGMIN: {
                int best = 0;
                double bv = s.get(off);
                for (int i = 1; i < n && bv == bv; i++) {
                    double v = s.get(off + i);
                    if (v != v || (op == ReduceOp.ARGMAX ? v > bv : v < bv)) {
                        best = i;
                        bv = v;
                    }
                }
                return best;
            }
            default:
                throw new IllegalStateException("reduce: unhandled op " + op);
        }
    }

    /** Column width of one work item of {@link #middleSums}: fixed, so results never depend on the thread count. */
    private static final int MIDDLE_COLS = 256;

    /**
     * Sums x viewed as [pre, rows, cols] over rows into out [pre, cols]; each output element adds its
     * rows in order in double (as {@link #columnSums}), one work item per (leading index, column block).
     */
    private static void middleSums(Tensor x, int pre, int rows, int cols, boolean mean, Tensor out) {
        int[] preStart = new int[pre];
        for (int p = 0; p < pre; p++) preStart[p] = x.offset() + p * rows * cols;
        rowBlockSums(CpuBackend.st(x), preStart, rows, cols, cols, mean, out);
    }

    /** Whether the dimensions after {@code axis} are laid out as one contiguous block (innermost stride 1). */
    private static boolean trailingBlockContiguous(Tensor x, int axis) {
        int[] shape = x.shape(), st = x.strides();
        long expect = 1;
        for (int d = shape.length - 1; d > axis; d--) {
            if (shape[d] != 1 && st[d] != expect) return false;
            expect *= shape[d];
        }
        return true;
    }

    /**
     * {@link #middleSums} on a strided view: x is [pre dims (any strides), rows (stride of {@code axis}), cols (one
     * contiguous block)].
     */
    private static void stridedMiddleSums(Tensor x, int axis, boolean mean, Tensor out) {
        int[] shape = x.shape(), st = x.strides();
        int pre = 1, cols = 1;
        for (int d = 0; d < axis; d++) pre *= shape[d];
        for (int d = axis + 1; d < shape.length; d++) cols *= shape[d];
        int[] preStart = new int[pre];
        for (int p = 0; p < pre; p++) {
            int off = x.offset(), rem = p;
            for (int d = axis - 1; d >= 0; d--) {
                off += (rem % shape[d]) * st[d];
                rem /= shape[d];
            }
            preStart[p] = off;
        }
        rowBlockSums(CpuBackend.st(x), preStart, shape[axis], st[axis], cols, mean, out);
    }

    /**
     * out[p, c] = sum over i of s[preStart[p] + i * rowStride + c] (c < cols), each output element adding its rows in
     * order in double; one work item per (leading index, column block of {@link #MIDDLE_COLS}), so the result does not
     * depend on the thread count.
     */
    private static void rowBlockSums(CpuStorage s, int[] preStart, int rows, int rowStride, int cols, boolean mean,
                                     Tensor out) {
        CpuStorage o = CpuBackend.st(out);
        int pre = preStart.length;
        int colBlocks = (cols + MIDDLE_COLS - 1) / MIDDLE_COLS;
        int grain = Math.max(1, CpuBackend.FLAT_GRAIN / Math.max(1, rows * Math.min(cols, MIDDLE_COLS)));
        boolean f32 = s.dtype() == DType.F32;
        Parallel.forRange(pre * colBlocks, grain, (i0, i1) -> {
            double[] acc = new double[MIDDLE_COLS];
            for (int item = i0; item < i1; item++) {
                int p = item / colBlocks, c0 = (item % colBlocks) * MIDDLE_COLS;
                int w = Math.min(MIDDLE_COLS, cols - c0);
                java.util.Arrays.fill(acc, 0, w, 0.0);
                int start = preStart[p] + c0;
                if (f32) {
                    float[] a = s.f32();
                    for (int i = 0; i < rows; i++) {
                        int off = start + i * rowStride;
                        for (int c = 0; c < w; c++) acc[c] += a[off + c];
                    }
                    float[] r = o.f32();
                    for (int c = 0; c < w; c++) r[p * cols + c0 + c] = (float) (mean ? acc[c] / rows : acc[c]);
                } else {
                    double[] a = s.f64();
                    for (int i = 0; i < rows; i++) {
                        int off = start + i * rowStride;
                        for (int c = 0; c < w; c++) acc[c] += a[off + c];
                    }
                    double[] r = o.f64();
                    for (int c = 0; c < w; c++) r[p * cols + c0 + c] = mean ? acc[c] / rows : acc[c];
                }
            }
        });
    }

    /** Sums x viewed as [inner(rows), outer(cols)] over rows; parallel over column blocks. */
    private static void columnSums(Tensor x, int rows, int cols, boolean mean, Tensor out) {
        CpuStorage s = CpuBackend.st(x), o = CpuBackend.st(out);
        int base = x.offset();
        int colGrain = Math.max(64, CpuBackend.FLAT_GRAIN / Math.max(1, rows));
        if (x.dtype() == DType.F32) {
            float[] a = s.f32(), r = o.f32();
            Parallel.forRange(cols, colGrain, (c0, c1) -> {
                int w = c1 - c0;
                double[] acc = new double[w];
                for (int i = 0; i < rows; i++) {
                    int off = base + i * cols + c0;
                    for (int c = 0; c < w; c++) acc[c] += a[off + c];
                }
                for (int c = 0; c < w; c++) r[c0 + c] = (float) (mean ? acc[c] / rows : acc[c]);
            });
        } else {
            double[] a = s.f64(), r = o.f64();
            Parallel.forRange(cols, colGrain, (c0, c1) -> {
                int w = c1 - c0;
                double[] acc = new double[w];
                for (int i = 0; i < rows; i++) {
                    int off = base + i * cols + c0;
                    for (int c = 0; c < w; c++) acc[c] += a[off + c];
                }
                for (int c = 0; c < w; c++) r[c0 + c] = mean ? acc[c] / rows : acc[c];
            });
        }
    }
}
