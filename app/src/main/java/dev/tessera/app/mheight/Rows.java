package dev.tessera.app.mheight;

import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.data.DatasetGenerator;
import dev.tessera.lp.data.GenSpec;
import dev.tessera.lp.data.MHeightDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Labelled m-height rows held in memory. */
public record Rows(int[] n, int[] k, int[] m, double[][] p, double[] log2h) {
    /** Number of rows. */
    public int size() {
        return n.length;
    }

    /** Group key of row i. */
    public int group(int i) {
        return n[i] * 10000 + k[i] * 100 + m[i];
    }

    /** The rows at the given indices. */
    public Rows subset(int[] idx) {
        int b = idx.length;
        int[] nn = new int[b], kk = new int[b], mm = new int[b];
        double[][] pp = new double[b][];
        double[] yy = new double[b];
        for (int i = 0; i < b; i++) {
            int j = idx[i];
            nn[i] = n[j];
            kk[i] = k[j];
            mm[i] = m[j];
            pp[i] = p[j];
            yy[i] = log2h[j];
        }
        return new Rows(nn, kk, mm, pp, yy);
    }

    /** A training / validation pair. */
    public record Split(Rows train, Rows val) {
    }

    /**
     * Splits by matrix: every row of one (n, k, P) lands on the same side, so validation measures new
     * matrices rather than new m of seen ones. A row goes to validation when a hash of (n, k, P) and
     * {@code seed} falls below {@code valFraction}; the split does not depend on row order.
     */
    public Split splitByMatrix(double valFraction, long seed) {
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new IllegalArgumentException("Rows.splitByMatrix: valFraction must be in [0, 1), got " + valFraction);
        }
        List<Integer> tr = new ArrayList<>(), va = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            long h = mix(seed ^ 0x9E3779B97F4A7C15L) ^ mix(n[i] * 64L + k[i]);
            for (double v : p[i]) h = mix(h ^ Double.doubleToLongBits(v == 0 ? 0.0 : v));   // -0.0 and 0.0 are the same entry
            double u = (h >>> 11) * 0x1.0p-53;
            (u < valFraction ? va : tr).add(i);
        }
        return new Split(subset(tr.stream().mapToInt(Integer::intValue).toArray()), subset(va.stream().mapToInt(Integer::intValue).toArray()));
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Rows from course samples; labels are log2 of {@code heights} (or NaN when null). */
    public static Rows fromSamples(java.util.List<dev.tessera.lp.pickle.CoursePickles.Sample> samples, double[] heights) {
        int b = samples.size();
        int[] nn = new int[b], kk = new int[b], mm = new int[b];
        double[][] pp = new double[b][];
        double[] yy = new double[b];
        for (int i = 0; i < b; i++) {
            var s = samples.get(i);
            nn[i] = s.n();
            kk[i] = s.k();
            mm[i] = s.m();
            int r = s.n() - s.k();
            pp[i] = new double[s.k() * r];
            for (int a = 0; a < s.k(); a++) System.arraycopy(s.p()[a], 0, pp[i], a * r, r);
            yy[i] = heights == null ? Double.NaN : Math.log(heights[i]) / Math.log(2);
        }
        return new Rows(nn, kk, mm, pp, yy);
    }

    /** Loads one split of a dataset folder. */
    public static Rows load(Path dir, MHeightDataset.Split split) throws IOException {
        MHeightDataset ds = MHeightDataset.open(dir);
        List<MHeightDataset.Row> list = new ArrayList<>();
        for (MHeightDataset.Row r : ds.rows(split)) list.add(r);
        int b = list.size();
        int[] nn = new int[b], kk = new int[b], mm = new int[b];
        double[][] pp = new double[b][];
        double[] yy = new double[b];
        for (int i = 0; i < b; i++) {
            MHeightDataset.Row r = list.get(i);
            nn[i] = r.n();
            kk[i] = r.k();
            mm[i] = r.m();
            pp[i] = r.p();
            yy[i] = r.log2h();
        }
        return new Rows(nn, kk, mm, pp, yy);
    }

    /** Generates (or reuses, when complete) an n = 9, k = 4..6 dataset in {@code dir}. */
    public static Path generate(Path dir, CodeSampler.Kind sampler, long seed, long rows, double valFraction) throws IOException {
        Files.createDirectories(dir);
        GenSpec spec = new GenSpec(new int[] {9}, new int[] {4, 5, 6}, sampler, seed, rows, GenSpec.DEFAULT_ROWS_PER_SHARD, valFraction, 2);
        long t0 = System.nanoTime();
        DatasetGenerator.Result res = DatasetGenerator.run(spec, dir, Runtime.getRuntime().availableProcessors(), new AtomicLong());
        System.out.printf("data %s: %d rows (%s, seed %d), shards written %d, reused %d, %.1f s%n", dir, res.info().rows(), sampler.id(), seed,
                res.writtenShards(), res.reusedShards(), (System.nanoTime() - t0) / 1e9);
        return dir;
    }
}
