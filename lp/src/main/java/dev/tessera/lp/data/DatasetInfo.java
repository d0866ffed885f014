package dev.tessera.lp.data;

import dev.tessera.tensor.io.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code dataset_info.json} of an m-height dataset: how it was made and what it holds.
 *
 * @param format        format name and version
 * @param codeVersion   version of the labelling code
 * @param sampler       distribution of P
 * @param seed          master seed
 * @param ns            code lengths
 * @param ks            code dimensions
 * @param mMin          smallest m labelled
 * @param kMax          padded rows of P
 * @param rMax          padded columns of P
 * @param pDtype        storage type of P ({@code F32} for integer samplers, {@code F64} otherwise)
 * @param valFraction   probability that a matrix goes to validation
 * @param rows          total rows
 * @param rowsPerShard  rows per shard
 * @param matrices      matrices drawn
 * @param shards        shard files, in order
 * @param groups        per-group rows and moments of log2 h
 */
public record DatasetInfo(String format, String codeVersion, String sampler, long seed, int[] ns, int[] ks, int mMin, int kMax,
                          int rMax, String pDtype, double valFraction, long rows, int rowsPerShard, long matrices,
                          List<ShardInfo> shards, List<Group> groups) {
    /** File name inside the dataset folder. */
    public static final String FILE = "dataset_info.json";
    /** Format identifier. */
    public static final String FORMAT = "tessera-mheight-shards/1";
    /** Version of the labelling code (changes when labels could change). */
    public static final String CODE_VERSION = "tessera-lp/0.1.0 vertex-enumeration/2";

    /**
     * One shard file.
     *
     * @param file     file name relative to the dataset folder
     * @param rows     rows in the file
     * @param matrices matrices drawn for it
     */
    public record ShardInfo(String file, int rows, long matrices) {
    }

    /**
     * One (n, k, m) group.
     *
     * @param n         code length
     * @param k         dimension
     * @param m         m
     * @param rows      rows (both splits)
     * @param trainRows rows in the training split
     * @param valRows   rows in the validation split
     * @param meanLog2  mean of log2 h
     * @param varLog2   population variance of log2 h
     */
    public record Group(int n, int k, int m, long rows, long trainRows, long valRows, double meanLog2, double varLog2) {
    }

    /** Builds the group list from accumulated statistics. */
    public static List<Group> groupsOf(GroupStats stats) {
        List<Group> out = new ArrayList<>();
        for (Map.Entry<GroupStats.Key, GroupStats.Acc> e : stats.groups().entrySet()) {
            var key = e.getKey();
            var a = e.getValue();
            out.add(new Group(key.n(), key.k(), key.m(), a.rows(), a.train(), a.val(), a.mean(), a.variance()));
        }
        return out;
    }

    private static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** Writes {@code dir/dataset_info.json} atomically. */
    public void write(Path dir) throws IOException {
        AtomicFiles.write(dir.resolve(FILE), tmp -> mapper().writeValue(tmp.toFile(), this));
    }

    /** Reads {@code dir/dataset_info.json}. */
    public static DatasetInfo read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) throw new IllegalArgumentException("DatasetInfo.read: no " + FILE + " in " + dir);
        return mapper().readValue(f.toFile(), DatasetInfo.class);
    }
}
