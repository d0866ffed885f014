package dev.tessera.lp.data;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.io.SafeTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One shard of labelled rows in memory, and its safetensors layout: {@code n, k, m} (I32[N]),
 * {@code P} (F32 or F64 [N, kMax, rMax], zero padded), {@code mask} (BOOL[N, kMax, rMax], true
 * on the real entries), {@code log2h} (F64[N]), {@code val} (BOOL[N], validation split) and
 * {@code matrix} (I32[N], index of the source matrix inside the shard; rows of one matrix share it).
 *
 * @param rows   number of rows
 * @param kMax   padded rows of P
 * @param rMax   padded columns of P
 * @param n      code length per row
 * @param k      dimension per row
 * @param m      m per row
 * @param p      row-major {@code [rows, kMax, rMax]} padded P
 * @param log2h  label per row
 * @param val    validation flag per row
 * @param matrix source matrix index per row
 */
public record Shard(int rows, int kMax, int rMax, int[] n, int[] k, int[] m, double[] p, double[] log2h, boolean[] val, int[] matrix) {
    /** Metadata key holding the {@link GenSpec#fingerprint()}. */
    public static final String META_SPEC = "tessera.spec";
    /** Metadata key holding the shard index. */
    public static final String META_INDEX = "tessera.shard";
    /** Metadata key holding the encoded {@link GroupStats}. */
    public static final String META_GROUPS = "tessera.groups";
    /** Metadata key holding the number of matrices drawn. */
    public static final String META_MATRICES = "tessera.matrices";

    /** An empty shard with room for {@code rows} rows. */
    public static Shard allocate(int rows, int kMax, int rMax) {
        return new Shard(rows, kMax, rMax, new int[rows], new int[rows], new int[rows], new double[rows * kMax * rMax],
                new double[rows], new boolean[rows], new int[rows]);
    }

    /** Copies row {@code i}'s P ({@code k x (n-k)}, row-major) into {@code out}. */
    public void matrix(int i, double[] out) {
        int r = n[i] - k[i];
        int base = i * kMax * rMax;
        for (int a = 0; a < k[i]; a++) System.arraycopy(p, base + a * rMax, out, a * r, r);
    }

    /** Group statistics of this shard. */
    public GroupStats stats() {
        GroupStats g = new GroupStats();
        for (int i = 0; i < rows; i++) g.add(n[i], k[i], m[i], log2h[i], val[i]);
        return g;
    }

    /** Writes the shard atomically (temp file + rename). {@code pAsF32} stores P in float32 (exact for integer P). */
    public void write(Path path, boolean pAsF32, Map<String, String> metadata) throws IOException {
        List<SafeTensors.Entry> e = new ArrayList<>();
        long[] vec = {rows};
        long[] mat = {rows, kMax, rMax};
        e.add(new SafeTensors.Entry("n", DType.I32, vec, ints(n)));
        e.add(new SafeTensors.Entry("k", DType.I32, vec, ints(k)));
        e.add(new SafeTensors.Entry("m", DType.I32, vec, ints(m)));
        ByteBuffer pb;
        if (pAsF32) {
            pb = le(4L * p.length);
            for (double v : p) pb.putFloat((float) v);
        } else {
            pb = le(8L * p.length);
            for (double v : p) pb.putDouble(v);
        }
        e.add(new SafeTensors.Entry("P", pAsF32 ? DType.F32 : DType.F64, mat, pb.flip()));
        ByteBuffer mb = le((long) rows * kMax * rMax);
        for (int i = 0; i < rows; i++) {
            int r = n[i] - k[i];
            for (int a = 0; a < kMax; a++) for (int t = 0; t < rMax; t++) mb.put((byte) (a < k[i] && t < r ? 1 : 0));
        }
        e.add(new SafeTensors.Entry("mask", DType.BOOL, mat, mb.flip()));
        ByteBuffer lb = le(8L * rows);
        for (double v : log2h) lb.putDouble(v);
        e.add(new SafeTensors.Entry("log2h", DType.F64, vec, lb.flip()));
        ByteBuffer vb = le(rows);
        for (boolean v : val) vb.put((byte) (v ? 1 : 0));
        e.add(new SafeTensors.Entry("val", DType.BOOL, vec, vb.flip()));
        e.add(new SafeTensors.Entry("matrix", DType.I32, vec, ints(matrix)));
        SafeTensors.write(path, e, metadata);
    }

    /** Reads a shard written by {@link #write} (P converted to double). */
    public static Shard read(Path path) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(path);
        var pe = c.entry("P");
        long[] shape = pe.shape();
        if (shape.length != 3) throw new IllegalArgumentException("Shard.read: " + path + ": P must be 3-d, got " + shape.length + "-d");
        int rows = Math.toIntExact(shape[0]);
        int kMax = Math.toIntExact(shape[1]);
        int rMax = Math.toIntExact(shape[2]);
        Shard s = allocate(rows, kMax, rMax);
        readInts(c, "n", s.n);
        readInts(c, "k", s.k);
        readInts(c, "m", s.m);
        readInts(c, "matrix", s.matrix);
        ByteBuffer pb = pe.data();
        for (int i = 0; i < s.p.length; i++) s.p[i] = pe.dtype() == DType.F32 ? pb.getFloat() : pb.getDouble();
        ByteBuffer lb = checked(c, "log2h", DType.F64, rows);
        for (int i = 0; i < rows; i++) s.log2h[i] = lb.getDouble();
        ByteBuffer vb = checked(c, "val", DType.BOOL, rows);
        for (int i = 0; i < rows; i++) s.val[i] = vb.get() != 0;
        return s;
    }

    private static ByteBuffer checked(SafeTensors.Contents c, String name, DType dtype, int rows) {
        var e = c.entry(name);
        if (e.dtype() != dtype || e.numel() != rows) {
            throw new IllegalArgumentException("Shard.read: tensor '" + name + "' must be " + dtype + "[" + rows + "], got " + e);
        }
        return e.data();
    }

    private static void readInts(SafeTensors.Contents c, String name, int[] out) {
        ByteBuffer b = checked(c, name, DType.I32, out.length);
        for (int i = 0; i < out.length; i++) out[i] = b.getInt();
    }

    private static ByteBuffer le(long bytes) {
        return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer ints(int[] v) {
        ByteBuffer b = le(4L * v.length);
        for (int x : v) b.putInt(x);
        return b.flip();
    }

    /** Reads only the metadata of a shard file. */
    public static Map<String, String> metadata(Path path) throws IOException {
        return new LinkedHashMap<>(SafeTensors.read(path).metadata());
    }
}
