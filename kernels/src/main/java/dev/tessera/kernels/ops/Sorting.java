package dev.tessera.kernels.ops;

import dev.tessera.kernels.memory.DeviceBlock;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Sort and top-k along a dimension: the dimension is moved last, each row's (order key, index)
 * pairs are bitonic-sorted (stable through the index tie-break), and the first k are gathered.
 */
public final class Sorting {
    private static final String M = "sort";
    /** Largest padded row sorted in shared memory by one block. */
    private static final int SMEM = 2048;
    private final Gpu g;

    /** Sorting on a device. */
    public Sorting(Gpu g) {
        this.g = g;
    }

    /** See {@link dev.tessera.tensor.Backend#topk}. */
    public Tensor[] topk(Tensor x, int k, int dim, boolean largest) {
        return sortRows(x, k, dim, largest);
    }

    /** See {@link dev.tessera.tensor.Backend#sort}. */
    public Tensor[] sort(Tensor x, int dim, boolean descending) {
        return sortRows(x, x.dim(dim), dim, descending);
    }

    private Tensor[] sortRows(Tensor x, int k, int dim, boolean descending) {
        int rank = x.rank();
        int[] order = moveLast(rank, dim);
        Tensor xt = x.permute(order).contiguous();
        int n = x.dim(dim);
        int rows = n == 0 ? 0 : xt.numel() / n;
        int[] os = xt.shape();
        os[rank - 1] = k;
        Tensor values = g.alloc(x.dtype(), os), indices = g.alloc(DType.I32, os);
        if (rows > 0 && k > 0) {
            int p = Math.max(2, Integer.highestOneBit(n) == n ? n : Integer.highestOneBit(n) << 1);
            final int P = p;
            long entries = (long) rows * P;
            DeviceBlock keys = g.scratch(entries * 8), idx = g.scratch(entries * 4);
            g.launch(M, "sort_keys", entries, (a, kk) -> kk.i32(rows).i32(n).i32(P).ptr(Gpu.ptr(xt))
                    .i32(x.dtype().ordinal()).i32(descending ? 1 : 0).ptr(keys.ptr()).ptr(idx.ptr()));
            if (P <= SMEM) {
                g.launchGrid(M, "sort_rows_smem", rows, 1, Math.min(1024, P / 2), 0, (a, kk) -> kk.i32(P).ptr(keys.ptr())
                        .ptr(idx.ptr()));
            } else {
                for (int kk = 2; kk <= P; kk <<= 1) {
                    for (int j = kk >> 1; j > 0; j >>= 1) {
                        final int fk = kk, fj = j;
                        g.launch(M, "sort_step", entries / 2, (a, args) -> args.i32(rows).i32(P).i32(fk).i32(fj)
                                .ptr(keys.ptr()).ptr(idx.ptr()));
                    }
                }
            }
            g.launch(M, "sort_take", (long) rows * k, (a, kk) -> kk.i32(rows).i32(n).i32(k).i32(P).ptr(idx.ptr())
                    .ptr(Gpu.ptr(xt)).i32(x.dtype().byteSize()).ptr(Gpu.ptr(values)).ptr(Gpu.ptr(indices)));
            g.free(keys);
            g.free(idx);
        }
        int[] inv = inverse(order);
        return new Tensor[] {values.permute(inv).contiguous(), indices.permute(inv).contiguous()};
    }

    static int[] moveLast(int rank, int dim) {
        int[] order = new int[rank];
        int j = 0;
        for (int i = 0; i < rank; i++) if (i != dim) order[j++] = i;
        order[rank - 1] = dim;
        return order;
    }

    static int[] inverse(int[] order) {
        int[] inv = new int[order.length];
        for (int i = 0; i < order.length; i++) inv[order[i]] = i;
        return inv;
    }

    @SuppressWarnings("unused")
    private static String str(int[] s) {
        return Shape.str(s);
    }
}
