package dev.tessera.nn.train;

import dev.tessera.tensor.io.AtomicFiles;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.io.TensorFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A directory of training checkpoints, one sub-directory per saved step:
 * <pre>
 * run/
 *   ckpt-000000500/
 *     model.safetensors       model tensors (readable by Python's safetensors)
 *     optimizer.safetensors   optimizer state tensors
 *     meta.json               {"format": "tessera-checkpoint", "version": 1, "step": 500, "saved_at": ...,
 *                              "model": [names], "optimizer": [names], "extra": {...}}
 *   ckpt-000001000/ ...
 * </pre>
 *
 * <p><b>Atomicity.</b> A checkpoint is written into a hidden temporary directory
 * ({@code .tmp-ckpt-...}) and renamed into place only when every file is complete and synced, so
 * a crash or an exception mid-write never leaves a visible partial checkpoint and never touches
 * the earlier ones. Pruning renames a checkpoint to a hidden name before deleting it, for the same
 * reason. Only directories named {@code ckpt-<digits>} that hold a {@code meta.json} count.
 * One writer per directory is assumed: leftover hidden directories of a crashed writer are removed
 * by the next save.
 *
 * <pre>{@code
 * var ckpts = new Checkpoints(runDir, 3);                      // keep the last 3
 * ckpts.save(step, model.stateDict(), opt.stateDict(),
 *            Map.of("rng", rng.state(), "data", loader.state().toMap()));
 * Optional<Checkpoint> last = ckpts.loadLatest();            // on restart
 * }</pre>
 */
public final class Checkpoints {
    /** The format name written to {@code meta.json}. */
    public static final String FORMAT = "tessera-checkpoint";
    /** The sidecar layout version. */
    public static final int VERSION = 1;
    /** Model tensors file name. */
    public static final String MODEL_FILE = "model.safetensors";
    /** Optimizer tensors file name. */
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** Sidecar file name. */
    public static final String META_FILE = "meta.json";

    private static final Pattern NAME = Pattern.compile("ckpt-(\\d+)");
    private static final String TMP_PREFIX = ".tmp-ckpt-";
    private static final String DEL_PREFIX = ".del-ckpt-";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.USE_LONG_FOR_INTS);

    private final Path dir;
    private final int keepLast;

    /**
     * Checkpoints in {@code dir} (created on the first save), keeping the {@code keepLast} newest
     * after each save; {@code keepLast <= 0} keeps all.
     */
    public Checkpoints(Path dir, int keepLast) {
        if (dir == null) throw new IllegalArgumentException("Checkpoints: dir is null");
        this.dir = dir;
        this.keepLast = keepLast;
    }

    /** The directory holding the checkpoints. */
    public Path dir() {
        return dir;
    }

    /** The directory name of a step: {@code ckpt-} and the step padded to 9 digits. */
    public static String dirName(long step) {
        if (step < 0) throw new IllegalArgumentException("Checkpoints: step must be >= 0, got " + step);
        return String.format("ckpt-%09d", step);
    }

    /**
     * Writes a checkpoint of {@code step} atomically, then prunes to the newest {@code keepLast}.
     * Saving a step that already exists replaces it.
     *
     * @param model     model tensors by name (saved in iteration order)
     * @param optimizer optimizer tensors by name (may be empty)
     * @param extra     JSON-serializable values (maps, lists, numbers, strings, booleans, arrays,
     *                  records); may be empty
     * @return the committed checkpoint directory
     * @throws UncheckedIOException when writing fails; no partial checkpoint is left visible
     */
    public Path save(long step, Map<String, Tensor> model, Map<String, Tensor> optimizer, Map<String, Object> extra) {
        if (model == null) throw new IllegalArgumentException("Checkpoints.save: model tensors are null (pass an empty map for none)");
        String name = dirName(step);
        Path target = dir.resolve(name);
        Path tmp = null;
        boolean committed = false;
        try {
            Files.createDirectories(dir);
            removeLeftovers();
            tmp = AtomicFiles.tempDirectory(dir, TMP_PREFIX + step + "-");
            Map<String, String> md = Map.of("format", FORMAT, "step", Long.toString(step));
            TensorFiles.save(tmp.resolve(MODEL_FILE), model, md);
            TensorFiles.save(tmp.resolve(OPTIMIZER_FILE), optimizer == null ? Map.of() : optimizer, md);
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("format", FORMAT);
            meta.put("version", VERSION);
            meta.put("step", step);
            meta.put("saved_at", Instant.now().toString());
            meta.put("model", new ArrayList<>(model.keySet()));
            meta.put("optimizer", optimizer == null ? List.of() : new ArrayList<>(optimizer.keySet()));
            meta.put("extra", extra == null ? Map.of() : extra);
            byte[] json = serialize(meta);
            writeSynced(tmp.resolve(META_FILE), json);
            syncDir(tmp);
            if (Files.exists(target)) {
                // A directory cannot be renamed over a non-empty one: move the old one aside first.
                Path old = AtomicFiles.tempDirectory(dir, DEL_PREFIX + step + "-");
                Files.delete(old);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                move(tmp, target);
                deleteTree(old);
            } else {
                move(tmp, target);
            }
            committed = true;
            syncDir(dir);
            prune(step);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("Checkpoints.save: writing step " + step + " to " + target + " failed: " + e.getMessage(), e);
        } finally {
            if (!committed && tmp != null) {
                try {
                    deleteTree(tmp);
                } catch (IOException ignored) {
                    // the hidden leftover is removed by the next save
                }
            }
        }
    }

    private static byte[] serialize(Map<String, Object> meta) throws IOException {
        try {
            return JSON.writeValueAsBytes(meta);
        } catch (JsonProcessingException e) {
            throw new IOException("cannot write the extra values as JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static void writeSynced(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            var b = java.nio.ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
    }

    private static void syncDir(Path d) {
        // Makes the renames durable where the platform allows opening a directory; best effort elsewhere.
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not supported on this file system
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Deletes all but the newest {@code keepLast} checkpoints, never the one just saved. */
    private void prune(long justSaved) throws IOException {
        if (keepLast <= 0) return;
        List<Path> all = list(dir);
        int excess = all.size() - keepLast;
        for (int i = 0; i < all.size() && excess > 0; i++) {
            Path p = all.get(i);
            if (stepOf(p) == justSaved) continue;
            Path doomed = AtomicFiles.tempDirectory(dir, DEL_PREFIX + stepOf(p) + "-");
            Files.delete(doomed);
            Files.move(p, doomed, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(doomed);
            excess--;
        }
    }

    private void removeLeftovers() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if ((n.startsWith(TMP_PREFIX) || n.startsWith(DEL_PREFIX)) && Files.isDirectory(p)) deleteTree(p);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(p);
                } catch (NoSuchFileException ignored) {
                    // already gone
                }
            }
        }
    }

    /** The committed checkpoints of this directory, oldest step first. */
    public List<Path> list() {
        try {
            return list(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Checkpoints.list: cannot read " + dir + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p.resolve(META_FILE))) out.add(p);
            }
        }
        out.sort(Comparator.comparingLong(Checkpoints::stepOf));
        return out;
    }

    /** The newest committed checkpoint of this directory, if any. */
    public Optional<Path> latest() {
        return latest(dir);
    }

    /** The newest committed checkpoint in {@code dir} (empty when there is none or no such directory). */
    public static Optional<Path> latest(Path dir) {
        try {
            List<Path> all = list(dir);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
        } catch (IOException e) {
            throw new UncheckedIOException("Checkpoints.latest: cannot read " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Loads the newest checkpoint of this directory, if any. */
    public Optional<Checkpoint> loadLatest() {
        return latest().map(Checkpoints::load);
    }

    /** The step encoded in a checkpoint directory name {@code ckpt-<digits>}. */
    public static long stepOf(Path checkpointDir) {
        Matcher m = NAME.matcher(checkpointDir.getFileName().toString());
        if (!m.matches())
            throw new IllegalArgumentException("Checkpoints.stepOf: '" + checkpointDir.getFileName() + "' is not named ckpt-<step>");
        return Long.parseLong(m.group(1));
    }

    /**
     * Reads a checkpoint directory: both tensor files into CPU tensors and the sidecar.
     *
     * @throws UncheckedIOException     when a file cannot be read
     * @throws IllegalArgumentException when the sidecar is not a Tessera checkpoint of a known version
     */
    @SuppressWarnings("unchecked")
    public static Checkpoint load(Path checkpointDir) {
        try {
            Map<String, Object> meta = JSON.readValue(checkpointDir.resolve(META_FILE).toFile(), Map.class);
            if (!FORMAT.equals(meta.get("format")))
                throw new IllegalArgumentException("Checkpoints.load: " + checkpointDir + "/" + META_FILE + " has format '"
                        + meta.get("format") + "', expected '" + FORMAT + "'");
            long version = Checkpoint.asLong("version", meta.get("version"));
            if (version != VERSION)
                throw new IllegalArgumentException("Checkpoints.load: " + checkpointDir + " has sidecar version " + version
                        + ", this build reads version " + VERSION);
            long step = Checkpoint.asLong("step", meta.get("step"));
            Map<String, Tensor> model = TensorFiles.load(checkpointDir.resolve(MODEL_FILE));
            Map<String, Tensor> optimizer = TensorFiles.load(checkpointDir.resolve(OPTIMIZER_FILE));
            Object extra = meta.getOrDefault("extra", Map.of());
            if (!(extra instanceof Map<?, ?>))
                throw new IllegalArgumentException("Checkpoints.load: 'extra' in " + checkpointDir + " is not an object");
            return new Checkpoint(checkpointDir, step, model, optimizer, (Map<String, Object>) extra);
        } catch (IOException e) {
            throw new UncheckedIOException("Checkpoints.load: cannot read " + checkpointDir + ": " + e.getMessage(), e);
        }
    }
}
