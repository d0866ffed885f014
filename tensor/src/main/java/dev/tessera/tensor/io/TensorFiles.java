package dev.tessera.tensor.io;

import dev.tessera.tensor.Backends;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves and loads named {@link Tensor}s as safetensors files (readable by Python's
 * {@code safetensors} and PyTorch), on top of the raw codec {@link SafeTensors}.
 *
 * <p>Any tensor can be saved: views (transposed, sliced, expanded) are written in row-major
 * order of their own shape, and tensors on other devices are copied to the host. Loaded tensors
 * are contiguous CPU tensors that own their memory (the file is not kept mapped).
 *
 * <pre>{@code
 * TensorFiles.save(path, Map.of("w", w, "b", b), Map.of("step", "100"));
 * Map<String, Tensor> back = TensorFiles.load(path);
 * String step = TensorFiles.read(path).metadata().get("step");
 * }</pre>
 */
public final class TensorFiles {
    private TensorFiles() {}

    /**
     * The tensors (in file order) and the {@code __metadata__} of a file.
     *
     * @param tensors  name to tensor, in the order the file stores them
     * @param metadata string metadata (empty when absent)
     */
    public record Loaded(Map<String, Tensor> tensors, Map<String, String> metadata) {
        /** Makes both maps unmodifiable, keeping their order. */
        public Loaded {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    /**
     * Writes the tensors, in the map's iteration order, and the metadata to {@code path}
     * (atomically: through a temporary file and a rename).
     *
     * @throws IllegalArgumentException for a duplicate or reserved name, or a tensor over 2 GiB
     */
    public static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<SafeTensors.Entry> entries = new ArrayList<>(tensors.size());
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            if (t == null) throw new IllegalArgumentException("TensorFiles.save: tensor '" + e.getKey() + "' is null");
            long[] shape = new long[t.rank()];
            for (int i = 0; i < shape.length; i++) shape[i] = t.dim(i);
            entries.add(new SafeTensors.Entry(e.getKey(), t.dtype(), shape, bytes(e.getKey(), t)));
        }
        SafeTensors.write(path, entries, metadata == null ? Map.of() : metadata);
    }

    /** Writes the tensors without metadata. */
    public static void save(Path path, Map<String, Tensor> tensors) throws IOException {
        save(path, tensors, Map.of());
    }

    /** Reads every tensor of a file into CPU tensors, in file order. */
    public static Map<String, Tensor> load(Path path) throws IOException {
        return read(path).tensors();
    }

    /** Reads every tensor of a file and its metadata. */
    public static Loaded read(Path path) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(path);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (SafeTensors.Entry e : c.entries()) out.put(e.name(), tensor(e));
        return new Loaded(out, c.metadata());
    }

    /** The row-major little-endian bytes of a tensor of any layout and device. */
    static ByteBuffer bytes(String name, Tensor t) {
        long size = (long) t.numel() * t.dtype().byteSize();
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("TensorFiles.save: tensor '" + name + "' " + t.dtype() + Shape.str(t.shape())
                    + " has " + size + " bytes, more than a single buffer holds (2 GiB)");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        Object a = t.backend().toArray(t);
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().put((float[]) a);
            case F64 -> b.asDoubleBuffer().put((double[]) a);
            case I32 -> b.asIntBuffer().put((int[]) a);
            case BF16 -> b.asShortBuffer().put((short[]) a);
            case BOOL -> {
                boolean[] z = (boolean[]) a;
                for (int i = 0; i < z.length; i++) b.put(i, (byte) (z[i] ? 1 : 0));
            }
        }
        return b;
    }

    /** A contiguous CPU tensor holding a copy of an entry's data. */
    static Tensor tensor(SafeTensors.Entry e) {
        long[] ls = e.shape();
        int[] shape = new int[ls.length];
        for (int i = 0; i < ls.length; i++) {
            if (ls[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("TensorFiles.load: tensor '" + e.name() + "' dimension " + i + " is "
                        + ls[i] + ", larger than a tensor dimension can be (2^31-1)");
            }
            shape[i] = (int) ls[i];
        }
        int n = Shape.numel(shape);
        ByteBuffer b = e.data();
        Object carrier = switch (e.dtype()) {
            case F32 -> {
                float[] f = new float[n];
                b.asFloatBuffer().get(f);
                yield f;
            }
            case F64 -> {
                double[] d = new double[n];
                b.asDoubleBuffer().get(d);
                yield d;
            }
            case I32 -> {
                int[] v = new int[n];
                b.asIntBuffer().get(v);
                yield v;
            }
            case BF16 -> {
                short[] s = new short[n];
                b.asShortBuffer().get(s);
                yield s;
            }
            case BOOL -> {
                // any nonzero byte is true; the CPU carrier holds exactly 0 or 1
                byte[] z = new byte[n];
                for (int i = 0; i < n; i++) z[i] = (byte) (b.get(i) != 0 ? 1 : 0);
                yield z;
            }
        };
        return Backends.of(Device.cpu()).fromArray(carrier, e.dtype(), shape);
    }
}
