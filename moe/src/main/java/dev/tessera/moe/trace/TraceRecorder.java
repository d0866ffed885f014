package dev.tessera.moe.trace;

import dev.tessera.moe.Dispatch;
import dev.tessera.moe.RouterKind;
import dev.tessera.moe.SparseMoE;
import dev.tessera.nn.Module;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.io.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Records the routing of every {@link SparseMoE} layer of a model while it runs (training or
 * inference): per layer and token, the layer input, the chosen experts, their gate weights and
 * whether the capacity kept them. Rows are buffered per layer and written as a safetensors shard
 * whenever a layer's buffer is full, so memory stays bounded by
 * {@code rowsPerShard * (4 d + 9 k)} bytes per layer however long the model runs. Each shard and
 * the {@link TraceInfo} (rewritten after every shard) are written to a temporary file and renamed,
 * so after a crash the folder holds a readable trace of every completed shard.
 *
 * <p>The recorder only reads what the layer hands to its {@link SparseMoE.RoutingListener}: the
 * model's outputs, gradients and random streams are the same with and without it.
 *
 * <pre>{@code
 * try (var rec = TraceRecorder.attach(model, Path.of("traces"), TraceRecorder.Options.DEFAULT)) {
 *     for (...) model.forward(batch);           // every forward is recorded
 * }                                             // close(): last rows written, listeners removed
 * var reader = TraceReader.open(Path.of("traces"));
 * }</pre>
 */
public final class TraceRecorder implements AutoCloseable {

    /**
     * Recorder settings.
     *
     * @param rowsPerShard      rows buffered per layer before a shard is written (the memory bound)
     * @param maxTokensPerLayer rows recorded per layer at most; later tokens are ignored ({@code 0}: no limit)
     * @param notes             free-form description stored in {@link TraceInfo#notes()}
     */
    public record Options(int rowsPerShard, long maxTokensPerLayer, Map<String, String> notes) {
        /** 8192 rows per shard, no token limit, no notes. */
        public static final Options DEFAULT = new Options(8192, 0, Map.of());

        /** Validates the ranges. */
        public Options {
            if (rowsPerShard <= 0) throw new IllegalArgumentException("TraceRecorder: rowsPerShard must be positive, got " + rowsPerShard);
            if (maxTokensPerLayer < 0) {
                throw new IllegalArgumentException("TraceRecorder: maxTokensPerLayer must be >= 0 (0: no limit), got " + maxTokensPerLayer);
            }
            notes = notes == null ? Map.of() : Map.copyOf(notes);
        }

        /** These options with another shard size. */
        public Options withRowsPerShard(int rows) {
            return new Options(rows, maxTokensPerLayer, notes);
        }

        /** These options with a per-layer token limit. */
        public Options withMaxTokensPerLayer(long max) {
            return new Options(rowsPerShard, max, notes);
        }

        /** These options with notes. */
        public Options withNotes(Map<String, String> n) {
            return new Options(rowsPerShard, maxTokensPerLayer, n);
        }
    }

    /** One layer's buffer and written shards. */
    private final class LayerState implements SparseMoE.RoutingListener {
        final int index;
        final String name;
        final SparseMoE layer;
        final int d, e, k;
        final float[] x;
        final int[] experts;
        final float[] gates;
        final boolean[] kept;
        int buffered;
        long tokens;
        final List<TraceInfo.ShardInfo> shards = new ArrayList<>();

        LayerState(int index, String name, SparseMoE layer) {
            this.index = index;
            this.name = name;
            this.layer = layer;
            this.d = layer.experts().dModel();
            this.e = layer.options().experts();
            this.k = layer.options().topK();
            int n = options.rowsPerShard();
            this.x = new float[Math.multiplyExact(n, d)];
            this.experts = new int[n * k];
            this.gates = new float[n * k];
            this.kept = new boolean[n * k];
        }

        @Override
        public void onRouting(SparseMoE l, Tensor input, int[] choice, Tensor gateTensor, Dispatch plan) {
            record(this, input, choice, gateTensor, plan);
        }

        TraceInfo.LayerInfo info() {
            return new TraceInfo.LayerInfo(index, name, d, e, k, tokens, shards);
        }
    }

    private final Path dir;
    private final Options options;
    private final List<LayerState> layers = new ArrayList<>();
    private boolean attached;
    private boolean closed;

    private TraceRecorder(Path dir, Options options) {
        this.dir = dir;
        this.options = options;
    }

    /**
     * Attaches a recorder to every {@link SparseMoE} of {@code model} (found depth first, named by
     * their dotted module paths), writing to {@code dir}, which must not already hold a trace.
     *
     * @throws IllegalArgumentException when the model has no sparse MoE layer, a layer uses
     *         expert-choice routing, or a layer already has a routing listener
     */
    public static TraceRecorder attach(Module model, Path dir, Options options) {
        Objects.requireNonNull(model, "TraceRecorder.attach: model is null");
        List<String> names = new ArrayList<>();
        List<SparseMoE> moes = new ArrayList<>();
        model.namedModules().forEach((name, m) -> {
            if (m instanceof SparseMoE s) {
                names.add(name.isEmpty() ? "moe" : name);
                moes.add(s);
            }
        });
        if (moes.isEmpty()) throw new IllegalArgumentException("TraceRecorder.attach: " + model.getClass().getSimpleName() + " has no SparseMoE layer");
        return attach(moes, names, dir, options);
    }

    /** Attaches a recorder to the given layers (recorded in this order under these names). */
    public static TraceRecorder attach(List<SparseMoE> moes, List<String> names, Path dir, Options options) {
        Objects.requireNonNull(dir, "TraceRecorder.attach: dir is null");
        Objects.requireNonNull(options, "TraceRecorder.attach: options is null");
        if (moes.size() != names.size() || moes.isEmpty()) {
            throw new IllegalArgumentException("TraceRecorder.attach: need one name per layer and at least one layer, got " + moes.size()
                    + " layers and " + names.size() + " names");
        }
        if (Files.exists(dir.resolve(TraceInfo.FILE))) {
            throw new IllegalArgumentException("TraceRecorder.attach: " + dir + " already holds a trace (" + TraceInfo.FILE + "); use an empty folder");
        }
        for (int i = 0; i < moes.size(); i++) {
            SparseMoE m = moes.get(i);
            if (m.options().routerKind() == RouterKind.EXPERT_CHOICE) {
                throw new IllegalArgumentException("TraceRecorder.attach: layer '" + names.get(i)
                        + "' uses expert-choice routing; traces need token-choice routing (k experts per token)");
            }
            if (m.routingListener() != null) {
                throw new IllegalArgumentException("TraceRecorder.attach: layer '" + names.get(i) + "' already has a routing listener");
            }
        }
        TraceRecorder r = new TraceRecorder(dir, options);
        for (int i = 0; i < moes.size(); i++) r.layers.add(r.new LayerState(i, names.get(i), moes.get(i)));
        try {
            Files.createDirectories(dir);
            r.writeInfo();
        } catch (IOException e) {
            throw new UncheckedIOException("TraceRecorder.attach: cannot write to " + dir + ": " + e.getMessage(), e);
        }
        for (LayerState s : r.layers) s.layer.setRoutingListener(s);
        r.attached = true;
        return r;
    }

    /** The folder written to. */
    public Path dir() {
        return dir;
    }

    /** Number of recorded layers. */
    public int numLayers() {
        return layers.size();
    }

    /** The recorded layers' names, in recording order. */
    public List<String> layerNames() {
        return layers.stream().map(s -> s.name).toList();
    }

    /** Whether the recorder is still listening. */
    public synchronized boolean isAttached() {
        return attached;
    }

    /** Rows recorded so far for layer {@code i} (written and buffered). */
    public synchronized long tokens(int i) {
        return state(i).tokens;
    }

    /** Rows of layer {@code i} waiting in memory for the next shard (at most {@code rowsPerShard}). */
    public synchronized int bufferedRows(int i) {
        return state(i).buffered;
    }

    /** Shards written so far for layer {@code i}. */
    public synchronized int shardsWritten(int i) {
        return state(i).shards.size();
    }

    private LayerState state(int i) {
        if (i < 0 || i >= layers.size()) throw new IllegalArgumentException("TraceRecorder: layer " + i + " not in [0, " + layers.size() + ")");
        return layers.get(i);
    }

    /**
     * Stops recording: the listeners are removed from the layers (later forwards are not recorded).
     * Buffered rows stay in memory until {@link #close()}.
     */
    public synchronized void detach() {
        if (!attached) return;
        for (LayerState s : layers) {
            if (s.layer.routingListener() == s) s.layer.setRoutingListener(null);
        }
        attached = false;
    }

    /** Detaches, writes the buffered rows as last shards and the final {@link TraceInfo}; returns it. */
    public synchronized TraceInfo finish() {
        detach();
        if (!closed) {
            try {
                for (LayerState s : layers) if (s.buffered > 0) writeShard(s);
                writeInfo();
            } catch (IOException e) {
                throw new UncheckedIOException("TraceRecorder.close: cannot write to " + dir + ": " + e.getMessage(), e);
            }
            closed = true;
        }
        return info();
    }

    /** {@link #finish()}. */
    @Override
    public void close() {
        finish();
    }

    /** The trace description as it stands (shards written so far). */
    public synchronized TraceInfo info() {
        List<TraceInfo.LayerInfo> li = new ArrayList<>();
        for (LayerState s : layers) li.add(s.info());
        return new TraceInfo(TraceInfo.FORMAT, options.rowsPerShard(), "F32", options.notes(), li);
    }

    private void writeInfo() throws IOException {
        info().write(dir);
    }

    private synchronized void record(LayerState s, Tensor input, int[] choice, Tensor gateTensor, Dispatch plan) {
        if (!attached) return;
        int d = s.d, k = s.k;
        int t = input.dim(0);
        long room = options.maxTokensPerLayer() == 0 ? Long.MAX_VALUE : options.maxTokensPerLayer() - s.tokens;
        int take = (int) Math.min(t, room);
        if (take <= 0) return;
        // copies, never views: the layer keeps using its tensors after this call
        float[] xs = input.dtype() == DType.F32 ? input.toFloatArray() : input.to(DType.F32).toFloatArray();
        float[] gs = gateTensor.dtype() == DType.F32 ? gateTensor.toFloatArray() : gateTensor.to(DType.F32).toFloatArray();
        boolean[] keptAll = new boolean[t * k];
        for (int a : plan.keptChoice()) keptAll[a] = true;
        int cap = options.rowsPerShard();
        try {
            int done = 0;
            while (done < take) {
                int n = Math.min(take - done, cap - s.buffered);
                System.arraycopy(xs, done * d, s.x, s.buffered * d, n * d);
                System.arraycopy(choice, done * k, s.experts, s.buffered * k, n * k);
                System.arraycopy(gs, done * k, s.gates, s.buffered * k, n * k);
                System.arraycopy(keptAll, done * k, s.kept, s.buffered * k, n * k);
                s.buffered += n;
                s.tokens += n;
                done += n;
                if (s.buffered == cap) {
                    writeShard(s);
                    writeInfo();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("TraceRecorder: cannot write a shard of layer '" + s.name + "' to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes the buffered rows of {@code s} as its next shard and empties the buffer. */
    private void writeShard(LayerState s) throws IOException {
        int n = s.buffered, d = s.d, k = s.k;
        String file = String.format("layer%02d/shard-%06d.safetensors", s.index, s.shards.size());
        long first = s.tokens - n;
        ByteBuffer xb = ByteBuffer.allocate(n * d * 4).order(ByteOrder.LITTLE_ENDIAN);
        xb.asFloatBuffer().put(s.x, 0, n * d);
        ByteBuffer eb = ByteBuffer.allocate(n * k * 4).order(ByteOrder.LITTLE_ENDIAN);
        eb.asIntBuffer().put(s.experts, 0, n * k);
        ByteBuffer gb = ByteBuffer.allocate(n * k * 4).order(ByteOrder.LITTLE_ENDIAN);
        gb.asFloatBuffer().put(s.gates, 0, n * k);
        ByteBuffer kb = ByteBuffer.allocate(n * k);
        for (int i = 0; i < n * k; i++) kb.put(i, (byte) (s.kept[i] ? 1 : 0));
        List<SafeTensors.Entry> entries = List.of(
                new SafeTensors.Entry("x", DType.F32, new long[] {n, d}, xb),
                new SafeTensors.Entry("experts", DType.I32, new long[] {n, k}, eb),
                new SafeTensors.Entry("gates", DType.F32, new long[] {n, k}, gb),
                new SafeTensors.Entry("kept", DType.BOOL, new long[] {n, k}, kb));
        Map<String, String> meta = Map.of("format", TraceInfo.FORMAT, "layer", s.name, "first_row", Long.toString(first),
                "experts", Integer.toString(s.e));
        SafeTensors.write(dir.resolve(file), entries, meta);
        s.shards.add(new TraceInfo.ShardInfo(file, first, n));
        s.buffered = 0;
    }
}
