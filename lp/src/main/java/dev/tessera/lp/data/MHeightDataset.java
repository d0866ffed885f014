package dev.tessera.lp.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Streams the rows of a sharded m-height dataset, one memory-mapped shard at a time.
 *
 * <pre>{@code
 * MHeightDataset ds = MHeightDataset.open(Path.of("data/mheight"));
 * for (MHeightDataset.Row row : ds.rows(MHeightDataset.Split.TRAIN)) { ... }
 * }</pre>
 */
public final class MHeightDataset {
    /** Which rows to stream. */
    public enum Split {
        /** Rows of training matrices. */
        TRAIN,
        /** Rows of validation matrices. */
        VAL,
        /** Every row. */
        ALL
    }

    /**
     * One labelled row.
     *
     * @param n      code length
     * @param k      dimension
     * @param m      m
     * @param p      row-major {@code k x (n-k)} P
     * @param log2h  exact log2 of the m-height
     * @param val    true for the validation split
     * @param shard  shard index
     * @param matrix matrix index inside the shard
     */
    public record Row(int n, int k, int m, double[] p, double log2h, boolean val, int shard, int matrix) {
    }

    private final Path dir;
    private final DatasetInfo info;

    private MHeightDataset(Path dir, DatasetInfo info) {
        this.dir = dir;
        this.info = info;
    }

    /** Opens a dataset folder (reads its {@code dataset_info.json}). */
    public static MHeightDataset open(Path dir) throws IOException {
        return new MHeightDataset(dir, DatasetInfo.read(dir));
    }

    /** The dataset description. */
    public DatasetInfo info() {
        return info;
    }

    /** Reads shard {@code s} whole. */
    public Shard shard(int s) throws IOException {
        return Shard.read(dir.resolve(info.shards().get(s).file()));
    }

    /** Streams the rows of a split in file order. */
    public Iterable<Row> rows(Split split) {
        return () -> new Iterator<>() {
            private int shardIndex = -1;
            private Shard shard;
            private int i;
            private Row next = advance();

            private Row advance() {
                while (true) {
                    if (shard == null || i >= shard.rows()) {
                        shardIndex++;
                        if (shardIndex >= info.shards().size()) return null;
                        try {
                            shard = shard(shardIndex);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        i = 0;
                        continue;
                    }
                    int row = i++;
                    boolean val = shard.val()[row];
                    if (split == Split.TRAIN && val || split == Split.VAL && !val) continue;
                    int n = shard.n()[row];
                    int k = shard.k()[row];
                    double[] p = new double[k * (n - k)];
                    shard.matrix(row, p);
                    return new Row(n, k, shard.m()[row], p, shard.log2h()[row], val, shardIndex, shard.matrix()[row]);
                }
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Row next() {
                if (next == null) throw new NoSuchElementException();
                Row r = next;
                next = advance();
                return r;
            }
        };
    }
}
