package dev.tessera.kernels.ops;

import dev.tessera.kernels.memory.DeviceBlock;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;

/**
 * Indexing ops with the CPU backend's semantics and messages. Index values are validated on the
 * device before use (the lowest offending position is reported, as the CPU's sequential scan
 * would), which costs one small device-to-host read per op.
 */
public final class Indexing {
    private static final String M = "indexing";
    /** indexAdd goes by sorted segments from this many indices on ... */
    static final int SORTED_MIN_INDICES = 64;
    /** ... when the output has fewer columns (outer x inner) than this (the column kernel's parallelism). */
    static final long SORTED_MAX_COLUMNS = 1L << 15;
    private final Gpu g;

    /** Indexing on a device. */
    public Indexing(Gpu g) {
        this.g = g;
    }

    /** Formats the error for an index value out of range. */
    @FunctionalInterface
    interface Message {
        String of(int value, int position);
    }

    /**
     * Throws IllegalArgumentException (built by {@code msg}) for the lowest-positioned element of
     * {@code index} outside [0, size) other than {@code ignore}.
     */
    void check(Tensor index, int size, int ignore, Message msg) {
        int n = index.numel();
        if (n == 0) return;
        DeviceBlock res = g.scratch(4);
        if (g.dev().capturing()) {
            // a captured step cannot read back; its indices were checked by the eager runs before the
            // capture. The scratch block is still taken so the step allocates the same sequence.
            g.free(res);
            return;
        }
        g.dev().fill32(res.ptr(), Integer.MAX_VALUE, 1);
        Geometry geo = Geometry.of(index.shape(), index);
        g.launch(M, "check_index", n, (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.base(index)).i32(size).i32(ignore).ptr(res.ptr()));
        int pos = g.readInt(res.ptr());
        g.free(res);
        if (pos != Integer.MAX_VALUE) throw new IllegalArgumentException(msg.of(valueAt(index, pos), pos));
    }

    /** The element at row-major position {@code pos} of an I32 tensor. */
    int valueAt(Tensor t, int pos) {
        int[] shape = t.shape(), st = t.strides();
        long off = t.offset();
        for (int d = shape.length - 1; d >= 0; d--) {
            off += (long) (pos % shape[d]) * st[d];
            pos /= shape[d];
        }
        return g.readInt(Gpu.base(t) + 4 * off);
    }

    private void checkRange(String op, Tensor index, int dim, int size) {
        check(index, size, Integer.MIN_VALUE, (v, p) -> op + ": index " + v + " is out of range for dimension " + dim
                + " of size " + size);
    }

    /** See {@link dev.tessera.tensor.Backend#gather}. */
    public Tensor gather(Tensor x, int dim, Tensor index) {
        int[] is = index.shape();
        Tensor out = g.alloc(x.dtype(), is);
        if (out.numel() == 0) return out;
        checkRange("gather", index, dim, x.dim(dim));
        int[] xs = x.strides().clone();
        int xDim = xs[dim];
        xs[dim] = 0;
        Geometry geo = Geometry.of(is, new int[][] {Shape.contiguousStrides(is), index.strides(), xs},
                new int[] {0, index.offset(), x.offset()});
        g.launch(M, "gather", out.numel(), (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.ptr(out)).ptr(Gpu.base(index))
                .ptr(Gpu.base(x)).i32(xDim).i32(x.dtype().byteSize()));
        return out;
    }

    /** See {@link dev.tessera.tensor.Backend#scatterAdd}. */
    public Tensor scatterAdd(Tensor base, int dim, Tensor index, Tensor src) {
        Tensor out = base.copy();
        int[] is = index.shape();
        if (Shape.numel(is) == 0) return out;
        checkRange("scatterAdd", index, dim, base.dim(dim));
        int d = is[dim];
        int[] cols = is.clone();
        cols[dim] = 1;
        int[] os = out.strides(), ist = index.strides(), ss = src.strides();
        int od = os[dim], id = ist[dim], sd = ss[dim];
        Geometry geo = Geometry.of(cols, new int[][] {os, ist, ss}, new int[] {out.offset(), index.offset(), src.offset()});
        g.launch(M, "scatter_add", geo.n(), (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.base(out)).i32(out.dtype().ordinal())
                .ptr(Gpu.base(index)).ptr(Gpu.base(src)).i32(d).i32(od).i32(id).i32(sd));
        return out;
    }

    /** See {@link dev.tessera.tensor.Backend#indexSelect}. */
    public Tensor indexSelect(Tensor x, int dim, Tensor index) {
        int size = x.dim(dim);
        checkRange("indexSelect", index, dim, size);
        int[] os = x.shape();
        os[dim] = index.numel();
        Tensor out = g.alloc(x.dtype(), os);
        if (out.numel() == 0) return out;
        Tensor idx = index.contiguous();
        int[] xs = x.strides().clone();
        int xDim = xs[dim];
        xs[dim] = 0;
        if (os.length > Geometry.MAXD) {
            throw new UnsupportedOperationException("CUDA backend: indexSelect on tensors of rank " + os.length
                    + " (at most " + Geometry.MAXD + " supported)");
        }
        Geometry geo = Geometry.exact(os, new int[][] {Shape.contiguousStrides(os), xs}, new int[] {0, x.offset()});
        g.launch(M, "index_select", out.numel(), (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.ptr(out)).ptr(Gpu.base(x))
                .ptr(Gpu.ptr(idx)).i32(dim).i32(xDim).i32(x.dtype().byteSize()));
        return out;
    }

    /** See {@link dev.tessera.tensor.Backend#indexAdd}. */
    public Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src) {
        int size = shape[dim];
        checkRange("indexAdd", index, dim, size);
        int inner = Shape.numel(Arrays.copyOfRange(shape, dim + 1, shape.length));
        int outer = Shape.numel(Arrays.copyOfRange(shape, 0, dim));
        int j = index.numel();
        if (j >= SORTED_MIN_INDICES && (long) outer * inner < SORTED_MAX_COLUMNS && src.numel() > 0) {
            // few columns, many indices (an embedding backward): one thread per output element over
            // the stably sorted index, instead of one thread per column walking every index
            Tensor out = g.alloc(src.dtype(), shape);
            if (out.numel() == 0) return out;
            Tensor sc = src.contiguous();
            Tensor[] sorted = new Sorting(g).sort(index.contiguous(), 0, false);
            g.launch(M, "index_add_sorted", out.numel(), (a, k) -> k.i32(outer).i32(size).i32(inner).i32(j).ptr(Gpu.ptr(out))
                    .i32(src.dtype().ordinal()).ptr(Gpu.ptr(sorted[0])).ptr(Gpu.ptr(sorted[1])).ptr(Gpu.ptr(sc)));
            return out;
        }
        Tensor out = g.zeros(src.dtype(), shape);
        if (out.numel() == 0 || src.numel() == 0) return out;
        Tensor sc = src.contiguous(), idx = index.contiguous();
        g.launch(M, "index_add", (long) outer * inner, (a, k) -> k.i32(outer).i32(size).i32(inner).i32(j).ptr(Gpu.ptr(out))
                .i32(src.dtype().ordinal()).ptr(Gpu.ptr(idx)).ptr(Gpu.ptr(sc)));
        return out;
    }

    /** See {@link dev.tessera.tensor.Backend#oneHot}. */
    public Tensor oneHot(Tensor index, int classes) {
        int[] is = index.shape();
        checkRange("oneHot", index, is.length, classes);
        int[] os = Arrays.copyOf(is, is.length + 1);
        os[is.length] = classes;
        Tensor out = g.zeros(DType.F32, os);
        if (index.numel() == 0) return out;
        Geometry geo = Geometry.of(is, index);
        g.launch(M, "one_hot", index.numel(), (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.base(index)).i32(classes).ptr(Gpu.ptr(out)));
        return out;
    }

    /** See {@link dev.tessera.tensor.Backend#cumsum}. */
    public Tensor cumsum(Tensor x, int dim) {
        int[] shape = x.shape();
        DType dt = x.dtype();
        if (dt != DType.F32 && dt != DType.F64 && dt != DType.I32) {
            throw new IllegalArgumentException("cumsum: unsupported dtype " + dt + " (expected F32, F64 or I32)");
        }
        Tensor out = g.alloc(dt, shape);
        if (out.numel() == 0) return out;
        Tensor xc = x.contiguous();
        int d = shape[dim];
        int inner = Shape.numel(Arrays.copyOfRange(shape, dim + 1, shape.length));
        int outer = Shape.numel(Arrays.copyOfRange(shape, 0, dim));
        g.launch(M, "cumsum", (long) outer * inner, (a, k) -> k.i32(outer).i32(d).i32(inner).ptr(Gpu.ptr(xc)).ptr(Gpu.ptr(out))
                .i32(dt.ordinal()));
        return out;
    }

    /** See {@link dev.tessera.tensor.Backend#bincount}. */
    public Tensor bincount(Tensor x, int minLength) {
        if (minLength < 0) throw new IllegalArgumentException("bincount: minLength must be >= 0, got " + minLength);
        int n = x.numel();
        int max = -1;
        if (n > 0) {
            DeviceBlock res = g.scratch(8);
            g.writeInts(res.ptr(), Integer.MAX_VALUE, -1);
            Geometry geo = Geometry.of(x.shape(), x);
            g.launch(M, "bincount_scan", n, (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.base(x)).ptr(res.ptr()));
            int[] r = g.readInts(res.ptr(), 2);
            g.free(res);
            if (r[0] != Integer.MAX_VALUE) {
                throw new IllegalArgumentException("bincount: input must be non-negative, got " + valueAt(x, r[0])
                        + " at position " + r[0]);
            }
            max = r[1];
        }
        Tensor out = g.zeros(DType.I32, new int[] {Math.max(minLength, max + 1)});
        if (n > 0) {
            Geometry geo = Geometry.of(x.shape(), x);
            g.launch(M, "bincount_count", n, (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.base(x)).ptr(Gpu.ptr(out)));
        }
        return out;
    }
}
