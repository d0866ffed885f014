package dev.tessera.lp.data;

import dev.tessera.lp.CodeSampler;
import java.util.Arrays;

/**
 * What {@code tessera gen mheight} produces: code shapes, sampler, seed, size and sharding.
 * Shard {@code s} depends only on this spec and {@code s} (never on the thread count).
 *
 * @param ns            code lengths (matrices cycle through every {@code (n, k)} pair)
 * @param ks            code dimensions
 * @param sampler       distribution of {@code P}
 * @param seed          master seed
 * @param rows          total number of labelled rows
 * @param rowsPerShard  rows per shard file (the last shard holds the remainder)
 * @param valFraction   probability that a matrix (with all its rows) goes to the validation split
 * @param mMin          smallest m labelled (the course uses 2); rows run m = mMin.. until the first infinite value or n-k
 */
public record GenSpec(int[] ns, int[] ks, CodeSampler.Kind sampler, long seed, long rows, int rowsPerShard,
                      double valFraction, int mMin) {
    /** Default rows per shard. */
    public static final int DEFAULT_ROWS_PER_SHARD = 65_536;

    /** Validates the ranges. */
    public GenSpec {
        ns = ns.clone();
        ks = ks.clone();
        if (ns.length == 0 || ks.length == 0) throw new IllegalArgumentException("GenSpec: need at least one n and one k");
        for (int n : ns) {
            for (int k : ks) {
                if (k < 1 || k >= n || n > 20) {
                    throw new IllegalArgumentException("GenSpec: need 1 <= k < n <= 20, got n=" + n + ", k=" + k);
                }
            }
        }
        if (rows < 1) throw new IllegalArgumentException("GenSpec: rows must be >= 1, got " + rows);
        if (rowsPerShard < 1) throw new IllegalArgumentException("GenSpec: rowsPerShard must be >= 1, got " + rowsPerShard);
        if (!(valFraction >= 0 && valFraction < 1)) throw new IllegalArgumentException("GenSpec: valFraction must be in [0,1), got " + valFraction);
        if (mMin < 1) throw new IllegalArgumentException("GenSpec: mMin must be >= 1, got " + mMin);
    }

    /** Number of shards. */
    public int shardCount() {
        return Math.toIntExact((rows + rowsPerShard - 1) / rowsPerShard);
    }

    /** Rows in shard {@code s}. */
    public int rowsInShard(int s) {
        long start = (long) s * rowsPerShard;
        return (int) Math.min(rowsPerShard, rows - start);
    }

    /** Largest k (rows of the padded P). */
    public int kMax() {
        return Arrays.stream(ks).max().orElseThrow();
    }

    /** Largest n - k over all pairs (columns of the padded P). */
    public int rMax() {
        return Arrays.stream(ns).max().orElseThrow() - Arrays.stream(ks).min().orElseThrow();
    }

    /** A string identifying everything that determines the shard contents (stored in every shard). */
    public String fingerprint() {
        return "n=" + Arrays.toString(ns) + ";k=" + Arrays.toString(ks) + ";sampler=" + sampler.id() + ";seed=" + seed
                + ";rowsPerShard=" + rowsPerShard + ";val=" + valFraction + ";mMin=" + mMin + ";code=" + DatasetInfo.CODE_VERSION;
    }

    @Override
    public String toString() {
        return fingerprint() + ";rows=" + rows;
    }
}
