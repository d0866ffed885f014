package dev.tessera.lp.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ExecutionException;

/**
 * Writes a sharded m-height dataset: shards are generated in parallel (one shard per task, each
 * single-threaded and determined by the spec and its index), each written through a temp file and
 * an atomic rename; a re-run with the same spec completes only the missing shards; the
 * {@code dataset_info.json} is rewritten atomically at the end.
 *
 * <pre>{@code
 * var spec = new GenSpec(new int[] {9}, new int[] {4, 5, 6}, CodeSampler.Kind.INTSCALE, 636, 100_000,
 *         GenSpec.DEFAULT_ROWS_PER_SHARD, 0.1, 2);
 * DatasetGenerator.Result r = DatasetGenerator.run(spec, Path.of("data/mh"), 2, new AtomicLong());
 * for (MHeightDataset.Row row : MHeightDataset.open(Path.of("data/mh")).rows(MHeightDataset.Split.TRAIN)) { ... }
 * }</pre>
 */
public final class DatasetGenerator {
    private DatasetGenerator() {
    }

    /** The file name of shard {@code s}. */
    public static String shardName(int s) {
        return String.format("shard-%05d.safetensors", s);
    }

    /** Result of a run: the info written and how many shards were reused. */
    public record Result(DatasetInfo info, GroupStats stats, int reusedShards, int writtenShards) {
    }

    /**
     * Generates (or completes) the dataset in {@code dir} with {@code threads} worker threads;
     * {@code progress} (may be null) counts rows done, reused shards included.
     */
    public static Result run(GenSpec spec, Path dir, int threads, AtomicLong progress) throws IOException {
        if (threads < 1) throw new IllegalArgumentException("DatasetGenerator.run: threads must be >= 1, got " + threads);
        Files.createDirectories(dir);
        int count = spec.shardCount();
        String fingerprint = spec.fingerprint();
        List<Integer> missing = new ArrayList<>();
        int reused = 0;
        for (int s = 0; s < count; s++) {
            Path f = dir.resolve(shardName(s));
            if (Files.isRegularFile(f) && isComplete(f, spec, s, fingerprint)) {
                reused++;
                if (progress != null) progress.addAndGet(spec.rowsInShard(s));
            } else {
                missing.add(s);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "mheight-gen");
            t.setDaemon(true);
            return t;
        });
        ThreadLocal<ShardGenerator> gens = ThreadLocal.withInitial(() -> new ShardGenerator(spec));
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int s : missing) {
                futures.add(pool.submit(() -> {
                    Shard shard = gens.get().generate(s, progress);
                    try {
                        shard.write(dir.resolve(shardName(s)), spec.sampler().integral(), Map.of(
                                Shard.META_SPEC, fingerprint,
                                Shard.META_INDEX, Integer.toString(s),
                                Shard.META_GROUPS, shard.stats().encode(),
                                Shard.META_MATRICES, Integer.toString(ShardGenerator.matricesUsed(shard))));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("DatasetGenerator.run: interrupted", e);
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof UncheckedIOException u) throw u.getCause();
                    if (c instanceof RuntimeException re) throw re;
                    throw new IOException("DatasetGenerator.run: shard failed", c);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        GroupStats total = new GroupStats();
        List<DatasetInfo.ShardInfo> shards = new ArrayList<>();
        long matrices = 0;
        for (int s = 0; s < count; s++) {
            Map<String, String> md = Shard.metadata(dir.resolve(shardName(s)));
            total.merge(GroupStats.decode(md.get(Shard.META_GROUPS)));
            long mats = Long.parseLong(md.get(Shard.META_MATRICES));
            matrices += mats;
            shards.add(new DatasetInfo.ShardInfo(shardName(s), spec.rowsInShard(s), mats));
        }
        DatasetInfo info = new DatasetInfo(DatasetInfo.FORMAT, DatasetInfo.CODE_VERSION, spec.sampler().id(), spec.seed(), spec.ns(),
                spec.ks(), spec.mMin(), spec.kMax(), spec.rMax(), spec.sampler().integral() ? "F32" : "F64", spec.valFraction(),
                spec.rows(), spec.rowsPerShard(), matrices, shards, DatasetInfo.groupsOf(total));
        info.write(dir);
        return new Result(info, total, reused, missing.size());
    }

    /** A shard is complete when it parses and was made from this spec, at this index, with the expected row count. */
    private static boolean isComplete(Path f, GenSpec spec, int s, String fingerprint) throws IOException {
        Map<String, String> md;
        try {
            md = Shard.metadata(f);
        } catch (IllegalArgumentException | IOException corrupt) {
            return false;
        }
        String fp = md.get(Shard.META_SPEC);
        if (fp != null && !fp.equals(fingerprint)) {
            throw new IllegalArgumentException("gen: " + f + " was made with other arguments (" + fp + "), not (" + fingerprint
                    + "); use another output folder");
        }
        if (fp == null || !Integer.toString(s).equals(md.get(Shard.META_INDEX))) return false;
        GroupStats g = GroupStats.decode(md.get(Shard.META_GROUPS));
        long rows = 0;
        for (var a : g.groups().values()) rows += a.rows();
        return rows == spec.rowsInShard(s);
    }
}
