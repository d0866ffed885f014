package dev.tessera.kernels.ops;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.UnaryOp;

/** Fills, copies, unary/binary maps, where, clamp and the in-place updates on the GPU. */
public final class Elementwise {
    private static final String M = "elementwise";
    private final Gpu g;

    /** Elementwise ops on a device. */
    public Elementwise(Gpu g) {
        this.g = g;
    }

    /** Sets every element of dst (any strides) to value, converting like the CPU backend. */
    public void fill(Tensor dst, double value) {
        int n = dst.numel();
        if (n == 0) return;
        if (dst.isContiguous()) {
            switch (dst.dtype()) {
                case F32 -> {
                    g.dev().fill32(Gpu.ptr(dst), Float.floatToRawIntBits((float) value), n);
                    return;
                }
                case I32 -> {
                    g.dev().fill32(Gpu.ptr(dst), (int) value, n);
                    return;
                }
                case BOOL -> {
                    g.dev().fill8(Gpu.ptr(dst), (byte) (value != 0 ? 1 : 0), n);
                    return;
                }
                default -> { }
            }
        }
        Geometry geo = Geometry.of(dst.shape(), dst);
        g.launch(M, "ew_fill", n, (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.base(dst)).i32(dst.dtype().ordinal()).f64(value));
    }

    /** dst = src broadcast to dst's shape, converting dtype. */
    public void copy(Tensor dst, Tensor src) {
        int n = dst.numel();
        if (n == 0) return;
        if (dst.dtype() == src.dtype() && dst.isContiguous() && src.isContiguous() && Shape.same(dst.shape(), src.shape())) {
            g.dev().copy(Gpu.ptr(dst), Gpu.ptr(src), (long) n * dst.dtype().byteSize());
            return;
        }
        Geometry geo = Geometry.of(dst.shape(), dst, src);
        g.launch(M, "ew_copy", n, (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.base(dst)).i32(dst.dtype().ordinal())
                .ptr(Gpu.base(src)).i32(src.dtype().ordinal()));
    }

    /** A new tensor op(x) of x's dtype. */
    public Tensor unary(UnaryOp op, Tensor x) {
        Tensor out = g.alloc(x.dtype(), x.shape());
        int n = out.numel();
        if (n == 0) return out;
        if (x.dtype() == DType.F32 && Gpu.vec4(x)) {
            g.launch(M, "ew_unary_f32", (n + 3) / 4, (a, k) -> k.i64(n).i32(op.ordinal()).ptr(Gpu.ptr(out)).ptr(Gpu.ptr(x)));
            return out;
        }
        Geometry geo = Geometry.of(out.shape(), out, x);
        g.launch(M, "ew_unary", n, (a, k) -> k.struct(geo.struct(a)).i32(op.ordinal()).ptr(Gpu.base(out))
                .i32(out.dtype().ordinal()).ptr(Gpu.base(x)).i32(x.dtype().ordinal()));
        return out;
    }

    /** A new broadcast a op b of dtype outType. */
    public Tensor binary(BinaryOp op, Tensor a, Tensor b, DType outType) {
        int[] shape = Shape.broadcast(op.name(), a.shape(), b.shape());
        Tensor out = g.alloc(outType, shape);
        int n = out.numel();
        if (n == 0) return out;
        if (outType == DType.F32 && a.dtype() == DType.F32 && b.dtype() == DType.F32 && Shape.same(a.shape(), shape)
                && Shape.same(b.shape(), shape) && Gpu.vec4(a) && Gpu.vec4(b)) {
            g.launch(M, "ew_binary_f32", (n + 3) / 4, (ar, k) -> k.i64(n).i32(op.ordinal()).ptr(Gpu.ptr(out))
                    .ptr(Gpu.ptr(a)).ptr(Gpu.ptr(b)));
            return out;
        }
        Geometry geo = Geometry.of(shape, out, a, b);
        g.launch(M, "ew_binary", n, (ar, k) -> k.struct(geo.struct(ar)).i32(op.ordinal()).ptr(Gpu.base(out))
                .i32(outType.ordinal()).ptr(Gpu.base(a)).i32(a.dtype().ordinal()).ptr(Gpu.base(b)).i32(b.dtype().ordinal()));
        return out;
    }

    /** x op s (or s op x): comparisons give BOOL, other ops x's dtype; float x uses the float value of s. */
    public Tensor binaryScalar(BinaryOp op, Tensor x, double s, boolean scalarFirst) {
        DType outType = op.isComparison() ? DType.BOOL : x.dtype();
        double sv = x.dtype() == DType.F32 && !op.isComparison() ? (double) (float) s : s;
        Tensor out = g.alloc(outType, x.shape());
        int n = out.numel();
        if (n == 0) return out;
        if (outType == DType.F32 && Gpu.vec4(x)) {
            g.launch(M, "ew_binary_scalar_f32", (n + 3) / 4, (a, k) -> k.i64(n).i32(op.ordinal()).ptr(Gpu.ptr(out))
                    .ptr(Gpu.ptr(x)).f64(sv).i32(scalarFirst ? 1 : 0));
            return out;
        }
        Geometry geo = Geometry.of(out.shape(), out, x);
        g.launch(M, "ew_binary_scalar", n, (a, k) -> k.struct(geo.struct(a)).i32(op.ordinal()).ptr(Gpu.base(out))
                .i32(outType.ordinal()).ptr(Gpu.base(x)).i32(x.dtype().ordinal()).f64(sv).i32(scalarFirst ? 1 : 0));
        return out;
    }

    /** cond ? a : b broadcast to outShape; a and b already have dtype outType. */
    public Tensor where(Tensor cond, Tensor a, Tensor b, int[] outShape, DType outType) {
        Tensor out = g.alloc(outType, outShape);
        int n = out.numel();
        if (n == 0) return out;
        Geometry geo = Geometry.of(outShape, out, cond, a, b);
        g.launch(M, "ew_where", n, (ar, k) -> k.struct(geo.struct(ar)).ptr(Gpu.base(out)).ptr(Gpu.base(cond))
                .ptr(Gpu.base(a)).ptr(Gpu.base(b)).i32(outType.byteSize()));
        return out;
    }

    /** x clamped to [lo, hi] (NaN passes). */
    public Tensor clamp(Tensor x, double lo, double hi) {
        Tensor out = g.alloc(x.dtype(), x.shape());
        int n = out.numel();
        if (n == 0) return out;
        Geometry geo = Geometry.of(out.shape(), out, x);
        g.launch(M, "ew_clamp", n, (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.base(out)).i32(out.dtype().ordinal())
                .ptr(Gpu.base(x)).i32(x.dtype().ordinal()).f64(lo).f64(hi));
        return out;
    }

    /** dst += alpha * src (src broadcast). */
    public void addInPlace(Tensor dst, Tensor src, double alpha) {
        int n = dst.numel();
        if (n == 0) return;
        if (dst.dtype() == DType.F32 && src.dtype() == DType.F32 && Shape.same(dst.shape(), src.shape())
                && Gpu.vec4(dst) && Gpu.vec4(src)) {
            g.launch(M, "ew_axpy_f32", (n + 3) / 4, (a, k) -> k.i64(n).f32((float) alpha).ptr(Gpu.ptr(dst)).ptr(Gpu.ptr(src)));
            return;
        }
        Geometry geo = Geometry.of(dst.shape(), dst, src);
        g.launch(M, "ew_axpy", n, (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.base(dst)).i32(dst.dtype().ordinal())
                .ptr(Gpu.base(src)).i32(src.dtype().ordinal()).f64(alpha));
    }

    /** dst *= s. */
    public void scaleInPlace(Tensor dst, double s) {
        int n = dst.numel();
        if (n == 0) return;
        Geometry geo = Geometry.of(dst.shape(), dst);
        g.launch(M, "ew_scale", n, (a, k) -> k.struct(geo.struct(a)).ptr(Gpu.base(dst)).i32(dst.dtype().ordinal()).f64(s));
    }
}
