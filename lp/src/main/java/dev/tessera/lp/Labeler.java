package dev.tessera.lp;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ExecutionException;

/**
 * Labels many {@code (n, k, m, P)} rows with their exact m-height, in input order, on a pool of
 * threads with per-thread scratch. The vertex method reuses one profile for consecutive rows of
 * the same matrix (course files list each matrix under several m in a row).
 *
 * <pre>{@code
 * var rows = List.of(new Labeler.Row(9, 4, 2, p), new Labeler.Row(9, 4, 3, p));   // p is 4 x 5
 * double[] h = Labeler.label(rows, MHeight.Method.VERTEX, 2, null);
 * }</pre>
 */
public final class Labeler {
    /**
     * One row to label.
     *
     * @param n code length
     * @param k dimension
     * @param m m
     * @param p the {@code k x (n-k)} matrix
     */
    public record Row(int n, int k, int m, double[][] p) {
    }

    private Labeler() {
    }

    /** The m-heights of {@code rows} ({@code +inf} where infinite); {@code progress} (may be null) counts rows done. */
    public static double[] label(List<Row> rows, MHeight.Method method, int threads, AtomicLong progress) {
        if (threads < 1) throw new IllegalArgumentException("Labeler.label: threads must be >= 1, got " + threads);
        double[] out = new double[rows.size()];
        int chunk = 256;
        int chunks = (rows.size() + chunk - 1) / chunk;
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "mheight-label");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> fs = new java.util.ArrayList<>();
            for (int c = 0; c < chunks; c++) {
                int from = c * chunk;
                int to = Math.min(rows.size(), from + chunk);
                fs.add(pool.submit(() -> {
                    labelRange(rows, method, from, to, out);
                    if (progress != null) progress.addAndGet(to - from);
                }));
            }
            for (Future<?> f : fs) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Labeler.label: interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException("Labeler.label: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    private static void labelRange(List<Row> rows, MHeight.Method method, int from, int to, double[] out) {
        Map<Integer, VertexEnumerator> vertex = new HashMap<>();
        Map<Integer, SLpSolver> lps = new HashMap<>();
        double[] lastP = null;
        int lastN = -1;
        int lastK = -1;
        double[] profile = new double[Subsets.MAX_N];
        for (int i = from; i < to; i++) {
            Row row = rows.get(i);
            int n = row.n();
            int k = row.k();
            String op = "label: row " + i;
            double[] flat = CodeShape.flatten(op, n, k, row.p());
            CodeShape.checkM(op, n, row.m());
            if (method == MHeight.Method.LP) {
                out[i] = lps.computeIfAbsent(n * 64 + k, x -> new SLpSolver(n, k)).mHeight(flat, row.m());
                continue;
            }
            if (!(n == lastN && k == lastK && java.util.Arrays.equals(flat, lastP))) {
                vertex.computeIfAbsent(n * 64 + k, x -> new VertexEnumerator(n, k)).profile(flat, profile);
                lastP = flat;
                lastN = n;
                lastK = k;
            }
            out[i] = profile[row.m()];
        }
    }
}
