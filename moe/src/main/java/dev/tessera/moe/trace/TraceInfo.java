package dev.tessera.moe.trace;

import dev.tessera.tensor.io.AtomicFiles;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@code trace_info.json} of a routing-trace folder: which layers were recorded, their sizes and
 * their shard files.
 *
 * <pre>
 * trace/
 *   trace_info.json
 *   layer00/shard-000000.safetensors   x F32 [rows, d], experts I32 [rows, k], gates F32 [rows, k], kept BOOL [rows, k]
 *   layer00/shard-000001.safetensors
 *   layer01/...
 * </pre>
 *
 * <p>Row {@code r} of a layer is the {@code r}-th token that layer routed while the recorder was
 * attached. In a stack whose layers all see every token (a transformer), row {@code r} of every
 * layer is the same token, so one layer's input can be paired with a later layer's experts.
 *
 * @param format       {@link #FORMAT}
 * @param rowsPerShard the largest number of rows in one shard (the recorder's buffer size)
 * @param inputDtype   storage type of {@code x} (always {@code F32})
 * @param notes        free-form description of where the traces come from (model, phase, ...)
 * @param layers       the recorded layers, in model order
 */
public record TraceInfo(String format, int rowsPerShard, String inputDtype, Map<String, String> notes, List<LayerInfo> layers) {
    /** File name inside the trace folder. */
    public static final String FILE = "trace_info.json";
    /** Format identifier. */
    public static final String FORMAT = "tessera-moe-trace/1";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Copies the lists. */
    public TraceInfo {
        notes = notes == null ? Map.of() : Map.copyOf(notes);
        layers = List.copyOf(layers);
    }

    /**
     * One recorded layer.
     *
     * @param index   position among the recorded layers
     * @param name    the layer's dotted module name in the model
     * @param dModel  width d of its input
     * @param experts E
     * @param topK    k
     * @param tokens  rows recorded (sum of the shard rows)
     * @param shards  its shard files, in row order
     */
    public record LayerInfo(int index, String name, int dModel, int experts, int topK, long tokens, List<ShardInfo> shards) {
        /** Copies the list. */
        public LayerInfo {
            shards = List.copyOf(shards);
        }
    }

    /**
     * One shard file.
     *
     * @param file     path relative to the trace folder
     * @param firstRow the layer row of its first row
     * @param rows     rows it holds
     */
    public record ShardInfo(String file, long firstRow, int rows) {
    }

    /** The layer at {@code index}, with a clear error when it is out of range. */
    public LayerInfo layer(int index) {
        if (index < 0 || index >= layers.size()) {
            throw new IllegalArgumentException("TraceInfo: layer " + index + " not in [0, " + layers.size() + ")");
        }
        return layers.get(index);
    }

    /** Writes {@code dir/trace_info.json} through a temporary file and a rename. */
    public void write(Path dir) throws IOException {
        AtomicFiles.write(dir.resolve(FILE), tmp -> JSON.writeValue(tmp.toFile(), this));
    }

    /** Reads {@code dir/trace_info.json}, checking the format. */
    public static TraceInfo read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) throw new IllegalArgumentException("TraceInfo.read: no " + FILE + " in " + dir);
        TraceInfo info = JSON.readValue(f.toFile(), TraceInfo.class);
        if (!FORMAT.equals(info.format())) {
            throw new IllegalArgumentException("TraceInfo.read: " + f + " has format '" + info.format() + "', expected '" + FORMAT + "'");
        }
        return info;
    }
}
