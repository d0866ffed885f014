package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Iterates a set of operands over a common shape, one innermost "row" at a time, after dropping
 * size-1 dimensions and merging dimensions that are contiguous for every operand. Rows are
 * distributed over {@link Parallel}; each row hands its body the starting element offset of each
 * operand plus the row length and the operands' innermost strides, so bodies can run a
 * contiguous vector kernel when every stride is 1.
 */
final class StridedLoop {
    /** Work in elements below which a loop is not split across threads. */
    static final int GRAIN_ELEMENTS = 1 << 15;

    /** Receives one innermost row. */
    @FunctionalInterface
    interface RowBody {
        void row(int[] offsets, int len, int[] innerStrides);
    }

    private final int[] outer;        // outer dims (row index space)
    private final int[][] outerStrides; // [operand][dim]
    private final int[] innerStrides;
    private final int innerLen;
    private final int[] baseOffsets;
    private final int rows;

    private StridedLoop(int[] shape, int[][] strides, int[] offsets) {
        int ops = strides.length;
        int[] dims = new int[shape.length];
        int[][] st = new int[ops][shape.length];
        int n = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            if (n > 0) {
                boolean merge = true;
                for (int o = 0; o < ops; o++) {
                    if (st[o][n - 1] != strides[o][d] * shape[d]) { merge = false; break; }
                }
                if (merge) {
                    dims[n - 1] *= shape[d];
                    for (int o = 0; o < ops; o++) st[o][n - 1] = strides[o][d];
                    continue;
                }
            }
            dims[n] = shape[d];
            for (int o = 0; o < ops; o++) st[o][n] = strides[o][d];
            n++;
        }
        innerStrides = new int[ops];
        if (n == 0) {
            innerLen = Shape.numel(shape) == 0 ? 0 : 1;
            outer = new int[0];
            outerStrides = new int[ops][0];
        } else {
            innerLen = dims[n - 1];
            for (int o = 0; o < ops; o++) innerStrides[o] = st[o][n - 1];
            outer = java.util.Arrays.copyOf(dims, n - 1);
            outerStrides = new int[ops][];
            for (int o = 0; o < ops; o++) outerStrides[o] = java.util.Arrays.copyOf(st[o], n - 1);
        }
        baseOffsets = offsets;
        int r = Shape.numel(shape) == 0 ? 0 : 1;
        for (int d : outer) r *= d;
        rows = r;
    }

    /** A loop over {@code shape} for operands with the given (broadcast) strides and offsets. */
    static StridedLoop of(int[] shape, int[][] strides, int[] offsets) {
        return new StridedLoop(shape, strides, offsets);
    }

    /** Loop over the given tensors, each broadcast to {@code shape}. */
    static StridedLoop of(int[] shape, Tensor... operands) {
        int[][] st = new int[operands.length][];
        int[] off = new int[operands.length];
        for (int i = 0; i < operands.length; i++) {
            st[i] = broadcastStrides(operands[i], shape);
            off[i] = operands[i].offset();
        }
        return new StridedLoop(shape, st, off);
    }

    /** Strides of {@code t} viewed as broadcast to {@code shape} (0 for broadcast dimensions). */
    static int[] broadcastStrides(Tensor t, int[] shape) {
        int[] ts = t.shape(), tst = t.strides();
        int[] r = new int[shape.length];
        int lead = shape.length - ts.length;
        for (int d = 0; d < shape.length; d++) {
            int td = d - lead;
            r[d] = td < 0 || ts[td] == 1 ? 0 : tst[td];
        }
        return r;
    }

    int innerLen() {
        return innerLen;
    }

    int rows() {
        return rows;
    }

    /** Runs every row, in parallel when the total work is large enough. */
    void run(RowBody body) {
        if (rows == 0 || innerLen == 0) return;
        int grainRows = Math.max(1, GRAIN_ELEMENTS / Math.max(1, innerLen));
        Parallel.forRange(rows, grainRows, (start, end) -> runRows(start, end, body));
    }

    /** Runs every row on the calling thread, in order. */
    void runSequential(RowBody body) {
        if (rows == 0 || innerLen == 0) return;
        runRows(0, rows, body);
    }

    private void runRows(int start, int end, RowBody body) {
        int ops = baseOffsets.length;
        int nd = outer.length;
        int[] idx = new int[nd];
        int[] offs = new int[ops];
        // decompose the start row into an odometer position
        int r = start;
        for (int d = nd - 1; d >= 0; d--) {
            idx[d] = r % outer[d];
            r /= outer[d];
        }
        for (int o = 0; o < ops; o++) {
            int off = baseOffsets[o];
            for (int d = 0; d < nd; d++) off += idx[d] * outerStrides[o][d];
            offs[o] = off;
        }
        int[] call = new int[ops];
        for (int row = start; row < end; row++) {
            System.arraycopy(offs, 0, call, 0, ops);
            body.row(call, innerLen, innerStrides);
            for (int d = nd - 1; d >= 0; d--) {
                if (++idx[d] < outer[d]) {
                    for (int o = 0; o < ops; o++) offs[o] += outerStrides[o][d];
                    break;
                }
                idx[d] = 0;
                for (int o = 0; o < ops; o++) offs[o] -= (outer[d] - 1) * outerStrides[o][d];
            }
        }
    }
}
