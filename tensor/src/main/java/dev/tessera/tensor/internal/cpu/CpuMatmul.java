package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;

/**
 * Batched matmul on the CPU through {@link Gemm}. Operands whose last two dimensions are
 * row-major or transposed (a {@code mT()} view) are passed to the GEMM without a copy; batch
 * dimensions broadcast through per-item offsets, so an expanded operand is never materialised.
 */
final class CpuMatmul {
    private CpuMatmul() {}

    /** How a [rows, cols] matrix view is laid out for the GEMM. */
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

    /** {@code x [m, k] w[n, k]^T + bias[n]}: float32 starts C from the bias inside the GEMM, float64 adds it after. */
    static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        if (x.dtype() != DType.F32) return matmul(x, w.mT(), new int[] {x.dim(0), w.dim(0)}).add(bias);
        Tensor out = CpuBackend.alloc(DType.F32, new int[] {x.dim(0), w.dim(0)});
        linearInto(out, x, w, bias);   // always taken: a fresh float32 output has unit-stride, non-overlapping rows
        return out;
    }

    /**
     * {@code dst = x w^T (+ bias)} straight into dst's storage when all are float32 and dst's rows are unit-stride
     * and do not overlap (k = 0 gives the bias rows, or zeros); returns false (nothing written) otherwise.
     */
    static boolean linearInto(Tensor dst, Tensor x, Tensor w, Tensor bias) {
        int m = x.dim(0), k = x.dim(1), n = w.dim(0);
        int[] ds = dst.strides();
        boolean rowsOk = (n <= 1 || ds[1] == 1) && (m <= 1 || ds[0] >= n);
        if (dst.dtype() != DType.F32 || x.dtype() != DType.F32 || !rowsOk) return false;
        if (m == 0 || n == 0) return true;
        int ldc = m <= 1 ? Math.max(1, n) : ds[0];
        Layout la = layout(x), lb = layout(w.mT());
        float[] c = CpuBackend.st(dst).f32();
        if (bias == null) {
            Gemm.sgemm(la.trans(), lb.trans(), m, n, k, 1f, CpuBackend.st(la.t()).f32(), la.t().offset(), la.ld(),
                    CpuBackend.st(lb.t()).f32(), lb.t().offset(), lb.ld(), 0f, c, dst.offset(), ldc);
        } else {
            Tensor bc = bias.contiguous();
            Gemm.sgemmBias(la.trans(), lb.trans(), m, n, k, 1f, CpuBackend.st(la.t()).f32(), la.t().offset(), la.ld(),
                    CpuBackend.st(lb.t()).f32(), lb.t().offset(), lb.ld(), CpuBackend.st(bc).f32(), bc.offset(), c, dst.offset(), ldc);
        }
        return true;
    }

    static Tensor matmul(Tensor a, Tensor b, int[] outShape) {
        DType dt = a.dtype();
        Tensor out = CpuBackend.alloc(dt, outShape);
        int r = outShape.length;
        int m = outShape[r - 2], n = outShape[r - 1], k = a.dim(-1);
        if (out.numel() == 0) return out;
        int[] batchShape = Arrays.copyOf(outShape, r - 2);
        int batch = Shape.numel(batchShape);
        Layout la = layout(a), lb = layout(b);
        int[] aOffs = batchOffsets(la.t(), batchShape), bOffs = batchOffsets(lb.t(), batchShape);
        int[] cOffs = new int[batch];
        for (int i = 0; i < batch; i++) cOffs[i] = i * m * n;
        CpuStorage sa = CpuBackend.st(la.t()), sb = CpuBackend.st(lb.t()), sc = CpuBackend.st(out);
        if (dt == DType.F32) {
            if (batch == 1) {
                Gemm.sgemm(la.trans(), lb.trans(), m, n, k, 1f, sa.f32(), aOffs[0], la.ld(), sb.f32(), bOffs[0], lb.ld(),
                        0f, sc.f32(), 0, n);
            } else {
                Gemm.sgemmBatched(batch, la.trans(), lb.trans(), m, n, k, 1f, sa.f32(), aOffs, la.ld(), sb.f32(), bOffs,
                        lb.ld(), 0f, sc.f32(), cOffs, n);
            }
        } else if (dt == DType.F64) {
            if (batch == 1) {
                Gemm.dgemm(la.trans(), lb.trans(), m, n, k, 1.0, sa.f64(), aOffs[0], la.ld(), sb.f64(), bOffs[0], lb.ld(),
                        0.0, sc.f64(), 0, n);
            } else {
                Gemm.dgemmBatched(batch, la.trans(), lb.trans(), m, n, k, 1.0, sa.f64(), aOffs, la.ld(), sb.f64(), bOffs,
                        lb.ld(), 0.0, sc.f64(), cOffs, n);
            }
        } else {
            throw new IllegalArgumentException("matmul: unsupported dtype " + dt);
        }
        return out;
    }

    /** Element offset of each batch item's matrix, broadcasting the operand's batch dims. */
    private static int[] batchOffsets(Tensor t, int[] batchShape) {
        int nb = batchShape.length;
        int batch = Shape.numel(batchShape);
        int[] tShape = t.shape(), tStrides = t.strides();
        int tb = t.rank() - 2;
        int[] st = new int[nb];
        for (int d = 0; d < nb; d++) {
            int td = d - (nb - tb);
            st[d] = td < 0 || tShape[td] == 1 ? 0 : tStrides[td];
        }
        int[] offs = new int[batch];
        int[] idx = new int[nb];
        int off = t.offset();
        for (int i = 0; i < batch; i++) {
            offs[i] = off;
            for (int d = nb - 1; d >= 0; d--) {
                if (++idx[d] < batchShape[d]) {
                    off += st[d];
                    break;
                }
                off -= (batchShape[d] - 1) * st[d];
                idx[d] = 0;
            }
        }
        return offs;
    }
}
