package dev.tessera.kernels.ops;

import dev.tessera.kernels.memory.DeviceBlock;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.ops.ReduceOp;

/**
 * Reductions: the input is viewed as [outer, inner] with the reduced axes innermost (a permuted
 * copy when they are not), reduced in row chunks to double partials and combined per row in
 * chunk order (deterministic).
 */
public final class Reductions {
    private static final String M = "reduce";
    /** Bytes of the kernel's Part struct: double v, double aux, int idx (+ padding). */
    private static final int PART = 24;
    private final Gpu g;

    /** Reductions on a device. */
    public Reductions(Gpu g) {
        this.g = g;
    }

    /** See {@link dev.tessera.tensor.Backend#reduce}. */
    public Tensor reduce(ReduceOp op, Tensor x, int[] axes, boolean keepDims) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (int a : axes) reduced[a] = true;
        int[] shape = x.shape();
        int[] outShape = new int[keepDims ? rank : rank - axes.length];
        int[] order = new int[rank];
        int oi = 0, j = 0;
        for (int d = 0; d < rank; d++) {
            if (!reduced[d]) {
                order[oi++] = d;
                if (!keepDims) outShape[j++] = shape[d];
            }
            if (keepDims) outShape[d] = reduced[d] ? 1 : shape[d];
        }
        long inner = 1;
        for (int a : axes) {
            order[oi++] = a;
            inner *= shape[a];
        }
        int outer = 1;
        for (int d = 0; d < rank; d++) if (!reduced[d]) outer *= shape[d];
        DType outType = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN ? DType.I32 : x.dtype();
        Tensor out = g.alloc(outType, outShape);
        if (out.numel() == 0) return out;
        Tensor xp = x.permute(order).contiguous();
        int sms = g.dev().multiprocessors();
        int want = 4 * sms;
        int chunks = outer >= want ? 1 : (int) Math.max(1, Math.min((inner + 4095) / 4096, (want + outer - 1) / outer));
        long chunkLen = Math.max(1, (inner + chunks - 1) / chunks);
        int block = Gpu.rowBlock(chunkLen);
        DeviceBlock parts = g.scratch((long) outer * chunks * PART);
        final int fc = chunks, fo = outer;
        final long fin = inner;
        g.launchGrid(M, "reduce_partial", fo * fc, 1, block, 0, (a, k) -> k.i32(fo).i64(fin).i32(fc).i64(chunkLen)
                .i32(op.ordinal()).ptr(Gpu.ptr(xp)).i32(xp.dtype().ordinal()).ptr(parts.ptr()));
        g.launch(M, "reduce_finish", fo, (a, k) -> k.i32(fo).i64(fin).i32(fc).i32(op.ordinal()).ptr(parts.ptr())
                .ptr(Gpu.ptr(out)).i32(outType.ordinal()));
        g.free(parts);
        return out;
    }

    /** Variance as the CPU computes it: sum((x - mean)^2) / max(0, count - correction). */
    public Tensor variance(Tensor x, int[] axes, int correction, boolean keepDims) {
        int count = 1;
        for (int a : axes) count *= x.dim(a);
        Tensor mean = x.reduce(ReduceOp.MEAN, axes, true);
        Tensor ss = x.sub(mean).square().reduce(ReduceOp.SUM, axes, keepDims);
        return ss.div(Math.max(0, count - correction));
    }
}
