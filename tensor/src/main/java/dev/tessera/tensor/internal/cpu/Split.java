package dev.tessera.tensor.internal.cpu;

/**
 * How a GEMM's C is cut into a grid of {@code rowTasks x colTasks} blocks, one task each.
 *
 * <p>Block edges fall on multiples of the micro-tile ({@code mr}, {@code nr}) so only the last
 * block of each row and column has partial tiles. The grid is chosen to minimise the work of the
 * busiest task, counting the operand packing each task repeats: a task packs its own B columns
 * once and its A rows once per NC-wide column block, so cutting rows duplicates B packing and
 * cutting narrow columns duplicates A packing and makes neighbouring tasks share the cache line
 * at each column edge.
 *
 * @param m        rows of C
 * @param n        columns of C
 * @param mr       row granularity
 * @param nr       column granularity
 * @param rowTasks number of row blocks
 * @param colTasks number of column blocks
 */
record Split(int m, int n, int mr, int nr, int rowTasks, int colTasks) {
    /** Flop-equivalents charged per packed element (a load and a store against ~50 flops/ns). */
    private static final long PACK_COST = 16;
    /**
     * Flop-equivalents charged per C row and reduction block when columns are split: a column edge
     * rarely falls on a cache-line boundary, so both tasks write that line (false sharing).
     */
    private static final long SHARED_LINE_COST = 4096;
    /** Smallest flop count worth a task of its own: a hand-off costs a few microseconds. */
    static final long MIN_TASK_FLOPS = 2L * 48 * 48 * 48;

    /** Plans the split of an m x n x k product over at most {@code threads} tasks. */
    static Split plan(int m, int n, int k, int threads, int mr, int nr, int nc) {
        long mu = ceilDiv(m, mr);
        long nu = ceilDiv(n, nr);
        long maxTasks = Math.max(1, Math.min(threads, Gemm.flops(m, n, k) / MIN_TASK_FLOPS));
        Split best = new Split(m, n, mr, nr, 1, 1);
        long bestCost = Long.MAX_VALUE;
        for (int t = 1; t <= maxTasks; t++) {
            for (int tm = 1; tm <= t; tm++) {
                if (t % tm != 0) continue;
                int tn = t / tm;
                if (tm > mu || tn > nu) continue;
                long rows = Math.min(m, ceilDiv(mu, tm) * mr);
                long cols = Math.min(n, ceilDiv(nu, tn) * nr);
                long colBlocks = nc == Integer.MAX_VALUE ? 1 : ceilDiv(cols, nc);
                long cost = 2 * rows * cols * k + PACK_COST * k * (cols + rows * colBlocks);
                if (tn > 1) cost += rows * ceilDiv(k, 256) * SHARED_LINE_COST;
                if (cost < bestCost) {
                    bestCost = cost;
                    best = new Split(m, n, mr, nr, tm, tn);
                }
            }
        }
        return best;
    }

    /** Number of tasks. */
    int tasks() {
        return rowTasks * colTasks;
    }

    int rowStart(int task) {
        return edge(task / colTasks, rowTasks, m, mr);
    }

    int rowEnd(int task) {
        return edge(task / colTasks + 1, rowTasks, m, mr);
    }

    int colStart(int task) {
        return edge(task % colTasks, colTasks, n, nr);
    }

    int colEnd(int task) {
        return edge(task % colTasks + 1, colTasks, n, nr);
    }

    /** Start of block i of parts over [0, size) in units of g, clamped to size. */
    private static int edge(int i, int parts, int size, int g) {
        long units = ceilDiv(size, g);
        return (int) Math.min(size, units * i / parts * g);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
