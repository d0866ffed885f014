package dev.tessera.kernels.ops;

import dev.tessera.kernels.cuda.Cublas;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;

/**
 * Batched matmul through cuBLAS {@code GemmStridedBatchedEx}. Row-major operands whose last two
 * dimensions are row-major or transposed (a {@code mT()} view) are passed without a copy; batch
 * dimensions whose items are equally spaced (including broadcast, spacing 0) become the batch
 * stride, others are materialised. F32 runs in the selected {@link MatmulPrecision}; F64 in
 * double.
 */
public final class Matmul {
    private final Gpu g;
    private final Elementwise ew;

    /** Matmul on a device. */
    public Matmul(Gpu g, Elementwise ew) {
        this.g = g;
        this.ew = ew;
    }

    /** How a [rows, cols] view is laid out for cuBLAS. */
    private record Layout(Tensor t, boolean trans, int ld) {}

    private static Layout layout(Tensor t) {
        int r = t.rank();
        int rows = t.dim(r - 2), cols = t.dim(r - 1);
        int[] st = t.strides();
        int sr = st[r - 2], sc = st[r - 1];
        if (cols == 1 || sc == 1) {
            int ld = rows == 1 ? Math.max(1, cols) : sr;
            if (ld >= Math.max(1, cols)) return new Layout(t, false, ld);
        }
        if (rows == 1 || sr == 1) {
            int ld = cols == 1 ? Math.max(1, rows) : sc;
            if (ld >= Math.max(1, rows)) return new Layout(t, true, ld);
        }
        Tensor c = t.contiguous();
        return new Layout(c, false, Math.max(1, cols));
    }

    /** See {@link dev.tessera.tensor.Backend#matmul}. */
    public Tensor matmul(Tensor a, Tensor b, int[] outShape, MatmulPrecision precision) {
        DType dt = a.dtype();
        if (dt != DType.F32 && dt != DType.F64) throw new IllegalArgumentException("matmul: unsupported dtype " + dt);
        Tensor out = g.alloc(dt, outShape);
        int r = outShape.length;
        int m = outShape[r - 2], n = outShape[r - 1], k = a.dim(-1);
        if (out.numel() == 0) return out;
        if (k == 0) {
            ew.fill(out, 0.0);
            return out;
        }
        int[] batchShape = Arrays.copyOf(outShape, r - 2);
        int batch = Shape.numel(batchShape);
        boolean bf16 = dt == DType.F32 && precision == MatmulPrecision.BF16;
        if (bf16) {
            a = a.to(DType.BF16);
            b = b.to(DType.BF16);
        }
        Layout la = layout(a), lb = layout(b);
        long[] sa = batchStride(la, batchShape), sb = batchStride(lb, batchShape);
        if (sa == null) {
            la = layout(expand(la.t(), batchShape));
            sa = batchStride(la, batchShape);
        }
        if (sb == null) {
            lb = layout(expand(lb.t(), batchShape));
            sb = batchStride(lb, batchShape);
        }
        int typeAB = dt == DType.F64 ? Cublas.R_64F : (bf16 ? Cublas.R_16BF : Cublas.R_32F);
        int typeC = dt == DType.F64 ? Cublas.R_64F : Cublas.R_32F;
        int compute = dt == DType.F64 ? Cublas.COMPUTE_64F
                : precision == MatmulPrecision.TF32 ? Cublas.COMPUTE_32F_FAST_TF32 : Cublas.COMPUTE_32F;
        g.dev().blas().gemmRowMajor(la.trans(), lb.trans(), m, n, k,
                Gpu.base(la.t()) + sa[0] * dtBytes(la.t()), typeAB, la.ld(), sa[1],
                Gpu.base(lb.t()) + sb[0] * dtBytes(lb.t()), typeAB, lb.ld(), sb[1],
                Gpu.ptr(out), typeC, n, (long) m * n, batch, compute);
        return out;
    }

    private static long dtBytes(Tensor t) {
        return t.dtype().byteSize();
    }

    /** A copy of t expanded to the full batch shape (contiguous), for irregular batch layouts. */
    private static Tensor expand(Tensor t, int[] batchShape) {
        int r = t.rank();
        int[] full = Arrays.copyOf(batchShape, batchShape.length + 2);
        full[batchShape.length] = t.dim(r - 2);
        full[batchShape.length + 1] = t.dim(r - 1);
        return t.expand(full).contiguous();
    }

    /**
     * {first item's element offset, batch stride} when the batch items of {@code l.t()} are equally
     * spaced over {@code batchShape}, else null.
     */
    private static long[] batchStride(Layout l, int[] batchShape) {
        Tensor t = l.t();
        int nb = batchShape.length;
        int batch = Shape.numel(batchShape);
        int[] ts = t.shape(), tst = t.strides();
        int tb = t.rank() - 2;
        long[] st = new long[nb];
        for (int d = 0; d < nb; d++) {
            int td = d - (nb - tb);
            st[d] = td < 0 || ts[td] == 1 ? 0 : tst[td];
        }
        long first = t.offset();
        if (batch <= 1) return new long[] {first, 0};
        // equally spaced iff, over the non-trivial batch dims, each stride equals the next one times its extent
        long stride = -1;
        long expect = -1;
        for (int d = nb - 1; d >= 0; d--) {
            if (batchShape[d] == 1) continue;
            if (stride < 0) {
                stride = st[d];
                expect = st[d] * batchShape[d];
            } else {
                if (st[d] != expect) return null;
                expect = st[d] * batchShape[d];
            }
        }
        return new long[] {first, Math.max(0, stride)};
    }
}
