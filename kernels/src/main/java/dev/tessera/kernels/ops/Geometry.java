package dev.tessera.kernels.ops;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@code Strided} kernel argument of {@code common.cuh}: an iteration shape and, per operand
 * (at most 4), element strides and an offset. {@link #of} drops size-1 dimensions and merges
 * dimensions that are contiguous for every operand (as the CPU's strided loop does), so most
 * calls end up rank 1 or 2.
 */
final class Geometry {
    /** Dimensions and operands the struct holds. */
    public static final int MAXD = 8, MAXOPS = 4;
    /** Bytes of the struct: int rank, int n, int shape[8], int st[4][8], int off[4]. */
    public static final int BYTES = 4 * (2 + MAXD + MAXOPS * MAXD + MAXOPS);

    private final int[] shape;
    private final int[][] strides;
    private final int[] offsets;
    private final int n;

    private Geometry(int[] shape, int[][] strides, int[] offsets, int n) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
        this.n = n;
    }

    /** Element count. */
    public int n() {
        return n;
    }

    /** Rank after merging. */
    public int rank() {
        return shape.length;
    }

    /** The iteration shape after merging. */
    public int[] shape() {
        return shape.clone();
    }

    /** Iterating {@code shape} over operands broadcast to it, merging dimensions. */
    public static Geometry of(int[] shape, Tensor... ops) {
        int[][] st = new int[ops.length][];
        int[] off = new int[ops.length];
        for (int i = 0; i < ops.length; i++) {
            st[i] = broadcastStrides(ops[i], shape);
            off[i] = ops[i].offset();
        }
        return of(shape, st, off);
    }

    /** From explicit strides and offsets, merging dimensions. */
    public static Geometry of(int[] shape, int[][] strides, int[] offsets) {
        int ops = strides.length;
        int[] dims = new int[shape.length];
        int[][] st = new int[ops][shape.length];
        int r = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            if (r > 0) {
                boolean merge = true;
                for (int o = 0; o < ops; o++) {
                    if ((long) st[o][r - 1] != (long) strides[o][d] * shape[d]) {
                        merge = false;
                        break;
                    }
                }
                if (merge) {
                    dims[r - 1] *= shape[d];
                    for (int o = 0; o < ops; o++) st[o][r - 1] = strides[o][d];
                    continue;
                }
            }
            dims[r] = shape[d];
            for (int o = 0; o < ops; o++) st[o][r] = strides[o][d];
            r++;
        }
        int[] s = java.util.Arrays.copyOf(dims, r);
        int[][] sst = new int[ops][];
        for (int o = 0; o < ops; o++) sst[o] = java.util.Arrays.copyOf(st[o], r);
        return new Geometry(s, sst, offsets.clone(), Shape.numel(shape));
    }

    /** Without merging or dropping dimensions (for kernels that need a dimension's coordinate). */
    public static Geometry exact(int[] shape, int[][] strides, int[] offsets) {
        int[][] st = new int[strides.length][];
        for (int o = 0; o < strides.length; o++) st[o] = strides[o].clone();
        return new Geometry(shape.clone(), st, offsets.clone(), Shape.numel(shape));
    }

    /** Strides of {@code t} viewed as broadcast to {@code shape} (0 where broadcast). */
    public static int[] broadcastStrides(Tensor t, int[] shape) {
        int[] ts = t.shape(), tst = t.strides();
        int[] r = new int[shape.length];
        int lead = shape.length - ts.length;
        for (int d = 0; d < shape.length; d++) {
            int td = d - lead;
            r[d] = td < 0 || ts[td] == 1 ? 0 : tst[td];
        }
        return r;
    }

    /** True when every operand walks memory contiguously from its offset (rank {@code <= 1}, stride 1). */
    public boolean contiguous() {
        if (shape.length == 0) return true;
        if (shape.length > 1) return false;
        for (int[] s : strides) if (s[0] != 1) return false;
        return true;
    }

    /** Operand {@code i}'s element offset. */
    public int offset(int i) {
        return offsets[i];
    }

    /** The struct's bytes, allocated in {@code arena}. */
    public MemorySegment struct(Arena arena) {
        if (shape.length > MAXD) {
            throw new UnsupportedOperationException("CUDA backend: a strided operation of rank " + shape.length
                    + " after merging dimensions (shape " + Shape.str(shape) + ") exceeds the supported " + MAXD);
        }
        MemorySegment m = arena.allocate(BYTES, 16);
        m.set(JAVA_INT, 0, shape.length);
        m.set(JAVA_INT, 4, n);
        for (int d = 0; d < shape.length; d++) m.set(JAVA_INT, 8 + 4L * d, shape[d]);
        for (int o = 0; o < strides.length; o++) {
            for (int d = 0; d < shape.length; d++) m.set(JAVA_INT, 8 + 4L * MAXD + 4L * (o * MAXD + d), strides[o][d]);
            m.set(JAVA_INT, 8 + 4L * MAXD + 4L * MAXOPS * MAXD + 4L * o, offsets[o]);
        }
        return m;
    }
}
