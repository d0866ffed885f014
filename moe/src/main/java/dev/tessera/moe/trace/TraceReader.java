package dev.tessera.moe.trace;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.io.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Streams a routing trace written by {@link TraceRecorder} back, one shard at a time, so reading
 * needs memory for one shard only.
 *
 * <pre>{@code
 * var traces = TraceReader.open(Path.of("traces"));
 * for (TraceShard s : traces.shards(0)) {
 *     // s.x() [rows * d], s.experts() [rows * k], ...
 * }
 * }</pre>
 */
public final class TraceReader {
    private final Path dir;
    private final TraceInfo info;

    private TraceReader(Path dir, TraceInfo info) {
        this.dir = dir;
        this.info = info;
    }

    /** Opens a trace folder (reads its {@code trace_info.json}). */
    public static TraceReader open(Path dir) {
        try {
            return new TraceReader(dir, TraceInfo.read(dir));
        } catch (IOException e) {
            throw new UncheckedIOException("TraceReader.open: cannot read " + dir.resolve(TraceInfo.FILE) + ": " + e.getMessage(), e);
        }
    }

    /** The folder. */
    public Path dir() {
        return dir;
    }

    /** The trace description. */
    public TraceInfo info() {
        return info;
    }

    /** Number of recorded layers. */
    public int numLayers() {
        return info.layers().size();
    }

    /** The description of layer {@code layer}. */
    public TraceInfo.LayerInfo layer(int layer) {
        return info.layer(layer);
    }

    /** Reads shard {@code shard} of layer {@code layer}, checking its tensors against the description. */
    public TraceShard readShard(int layer, int shard) {
        TraceInfo.LayerInfo li = info.layer(layer);
        if (shard < 0 || shard >= li.shards().size()) {
            throw new IllegalArgumentException("TraceReader: shard " + shard + " not in [0, " + li.shards().size() + ") of layer " + layer);
        }
        TraceInfo.ShardInfo si = li.shards().get(shard);
        Path file = dir.resolve(si.file());
        SafeTensors.Contents c;
        try {
            c = SafeTensors.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException("TraceReader: cannot read " + file + ": " + e.getMessage(), e);
        }
        int n = si.rows(), d = li.dModel(), k = li.topK();
        float[] x = new float[n * d];
        entry(c, file, "x", DType.F32, n, d).asFloatBuffer().get(x);
        int[] experts = new int[n * k];
        entry(c, file, "experts", DType.I32, n, k).asIntBuffer().get(experts);
        float[] gates = new float[n * k];
        entry(c, file, "gates", DType.F32, n, k).asFloatBuffer().get(gates);
        ByteBuffer kb = entry(c, file, "kept", DType.BOOL, n, k);
        boolean[] kept = new boolean[n * k];
        for (int i = 0; i < kept.length; i++) kept[i] = kb.get(i) != 0;
        for (int i = 0; i < experts.length; i++) {
            if (experts[i] < 0 || experts[i] >= li.experts()) {
                throw new IllegalArgumentException("TraceReader: " + file + " row " + (i / k) + " names expert " + experts[i] + ", not in [0, "
                        + li.experts() + ")");
            }
        }
        return new TraceShard(layer, si.firstRow(), n, d, k, x, experts, gates, kept);
    }

    private static ByteBuffer entry(SafeTensors.Contents c, Path file, String name, DType dtype, int rows, int cols) {
        SafeTensors.Entry e = c.entry(name);
        long[] want = {rows, cols};
        if (e.dtype() != dtype || !Arrays.equals(e.shape(), want)) {
            throw new IllegalArgumentException("TraceReader: " + file + " tensor '" + name + "' is " + e.dtype() + Arrays.toString(e.shape())
                    + ", expected " + dtype + Arrays.toString(want));
        }
        return e.data();
    }

    /** The shards of layer {@code layer} in row order, each read when the iteration reaches it. */
    public Iterable<TraceShard> shards(int layer) {
        int count = info.layer(layer).shards().size();
        return () -> new Iterator<>() {
            int next;

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public TraceShard next() {
                if (next >= count) throw new NoSuchElementException();
                return readShard(layer, next++);
            }
        };
    }
}
