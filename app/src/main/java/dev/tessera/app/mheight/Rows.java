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
