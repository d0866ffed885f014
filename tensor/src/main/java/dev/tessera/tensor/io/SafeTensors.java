package dev.tessera.tensor.io;

import dev.tessera.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Raw-level codec of the safetensors format.
 *
 * <p>Layout: an 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON
 * ({@code {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
 * "__metadata__": {"key": "value"}}}, padded with spaces to a multiple of 8), then the
 * little-endian tensor data; offsets are relative to the start of the data section.
 *
 * <pre>{@code
 * ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(2f).flip();
 * SafeTensors.write(path, List.of(new SafeTensors.Entry("w", DType.F32, new long[]{2}, b)), Map.of());
 * float w1 = SafeTensors.read(path).entry("w").data().getFloat(4);
 * }</pre>
 */
public final class SafeTensors {
    /** Largest header accepted when reading (the Python implementation uses the same bound). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final String METADATA_KEY = "__metadata__";

    private SafeTensors() {
    }

    /**
     * One named tensor: element type, shape and its little-endian bytes (from position to limit).
     *
     * @param name   the tensor name (not {@code "__metadata__"})
     * @param dtype  the element type
     * @param shape  dimensions, each {@code >= 0}; an empty array is a scalar
     * @param data   exactly {@code product(shape) * dtype.byteSize()} bytes between position and limit
     */
    public record Entry(String name, DType dtype, long[] shape, ByteBuffer data) {
        /** Validates the name, shape and byte count. */
        public Entry {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("safetensors: empty tensor name");
            if (name.equals(METADATA_KEY)) throw new IllegalArgumentException("safetensors: '__metadata__' is reserved");
            if (dtype == null) throw new IllegalArgumentException("safetensors: tensor '" + name + "' has no dtype");
            shape = shape.clone();
            long bytes = byteSize(name, dtype, shape);
            if (data.remaining() != bytes) {
                throw new IllegalArgumentException("safetensors: tensor '" + name + "' " + dtype.safetensorsName()
                        + Arrays.toString(shape) + " needs " + bytes + " bytes, got " + data.remaining());
            }
            data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Number of elements (product of the shape). */
        public long numel() {
            long p = 1;
            for (long d : shape) p *= d;
            return p;
        }

        /** A defensive copy of the shape. */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** A read view of the data (own position and limit, little-endian). */
        @Override
        public ByteBuffer data() {
            return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public String toString() {
            return "Entry[" + name + ", " + dtype.safetensorsName() + Arrays.toString(shape) + "]";
        }
    }

    /**
     * The contents of a file: the entries in file (offset) order and the {@code __metadata__} map.
     *
     * @param entries  tensors in data order
     * @param metadata the string-to-string metadata (empty when absent)
     */
    public record Contents(List<Entry> entries, Map<String, String> metadata) {
        /** Makes the lists immutable. */
        public Contents {
            entries = List.copyOf(entries);
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        /** The entry with this name; throws naming the names present when it is missing. */
        public Entry entry(String name) {
            for (Entry e : entries) if (e.name().equals(name)) return e;
            List<String> names = new ArrayList<>();
            for (Entry e : entries) names.add(e.name());
            throw new IllegalArgumentException("safetensors: no tensor '" + name + "' (present: " + names + ")");
        }
    }

    private static long byteSize(String name, DType dtype, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("safetensors: tensor '" + name + "' has a negative dimension "
                    + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return Math.multiplyExact(n, (long) dtype.byteSize());
    }

    /** Builds the header bytes (JSON padded with spaces to a multiple of 8) for these entries. */
    static byte[] header(List<Entry> entries, Map<String, String> metadata) {
        StringBuilder j = new StringBuilder("{");
        boolean first = true;
        if (metadata != null && !metadata.isEmpty()) {
            MiniJson.writeString(j, METADATA_KEY);
            j.append(":{");
            boolean f = true;
            for (var e : metadata.entrySet()) {
                if (!f) j.append(',');
                f = false;
                MiniJson.writeString(j, e.getKey());
                j.append(':');
                MiniJson.writeString(j, e.getValue());
            }
            j.append('}');
            first = false;
        }
        long offset = 0;
        Set<String> seen = new HashSet<>();
        for (Entry e : entries) {
            if (!seen.add(e.name())) throw new IllegalArgumentException("safetensors: duplicate tensor name '" + e.name() + "'");
            if (!first) j.append(',');
            first = false;
            MiniJson.writeString(j, e.name());
            j.append(":{\"dtype\":");
            MiniJson.writeString(j, e.dtype().safetensorsName());
            j.append(",\"shape\":[");
            long[] shape = e.shape();
            for (int i = 0; i < shape.length; i++) {
                if (i > 0) j.append(',');
                j.append(shape[i]);
            }
            long end = offset + e.data().remaining();
            j.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        j.append('}');
        byte[] raw = j.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(raw, padded);
        Arrays.fill(out, raw.length, padded, (byte) ' ');
        return out;
    }

    /**
     * Writes the entries (in the given order, contiguous) and metadata to {@code path} through a
     * temporary file in the same folder and an atomic rename, so a crash never leaves a partial file.
     */
    public static void write(Path path, List<Entry> entries, Map<String, String> metadata) throws IOException {
        byte[] header = header(entries, metadata);
        AtomicFiles.write(path, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(header));
                for (Entry e : entries) writeFully(ch, e.data());
                ch.force(true);
            }
        });
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /**
     * Reads a file: the header is validated strictly (known dtypes, shapes matching byte ranges,
     * offsets inside the data section, no overlaps and no gaps) and each tensor's bytes are
     * memory-mapped read-only.
     */
    public static Contents read(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            String where = "safetensors " + path.getFileName();
            if (size < 8) throw new IllegalArgumentException(where + ": file has " + size + " bytes, needs at least 8");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.flip().getLong();
            if (n < 0 || n > MAX_HEADER_BYTES || 8 + n > size) {
                throw new IllegalArgumentException(where + ": header length " + n + " is invalid for a file of " + size + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            String json = new String(hb.array(), StandardCharsets.UTF_8);
            long dataStart = 8 + n;
            long dataLen = size - dataStart;
            Parsed parsed = parseHeader(where, json, dataLen);
            List<Entry> entries = new ArrayList<>();
            for (Spec sp : parsed.specs()) {
                long len = sp.end() - sp.begin();
                if (len > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(where + ": tensor '" + sp.name() + "' has " + len
                            + " bytes; tensors over 2 GiB are not supported");
                }
                ByteBuffer data = len == 0 ? ByteBuffer.allocate(0)
                        : ch.map(FileChannel.MapMode.READ_ONLY, dataStart + sp.begin(), len);
                entries.add(new Entry(sp.name(), sp.dtype(), sp.shape(), data.order(ByteOrder.LITTLE_ENDIAN)));
            }
            return new Contents(entries, parsed.metadata());
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new IOException("safetensors: unexpected end of file");
            pos += r;
        }
    }

    private record Spec(String name, DType dtype, long[] shape, long begin, long end) {
    }

    private record Parsed(List<Spec> specs, Map<String, String> metadata) {
    }

    /** Parses and validates a header against a data section of {@code dataLen} bytes. */
    static Parsed parseHeader(String where, String json, long dataLen) {
        Object root;
        try {
            root = MiniJson.parse(json.stripTrailing());
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(where + ": " + ex.getMessage(), ex);
        }
        if (!(root instanceof Map<?, ?> map)) throw new IllegalArgumentException(where + ": header is not a JSON object");
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Spec> specs = new ArrayList<>();
        for (var e : map.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA_KEY)) {
                if (!(e.getValue() instanceof Map<?, ?> md)) throw new IllegalArgumentException(where + ": __metadata__ is not an object");
                for (var me : md.entrySet()) {
                    if (!(me.getValue() instanceof String v)) {
                        throw new IllegalArgumentException(where + ": __metadata__ value of '" + me.getKey() + "' is not a string");
                    }
                    metadata.put((String) me.getKey(), v);
                }
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> t)) throw new IllegalArgumentException(where + ": tensor '" + name + "' is not an object");
            for (Object key : t.keySet()) {
                if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                    throw new IllegalArgumentException(where + ": tensor '" + name + "' has unknown field '" + key + "'");
                }
            }
            if (!(t.get("dtype") instanceof String dt)) throw new IllegalArgumentException(where + ": tensor '" + name + "' has no dtype string");
            DType dtype;
            try {
                dtype = DType.fromSafetensorsName(dt);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(where + ": tensor '" + name + "': " + ex.getMessage(), ex);
            }
            long[] shape = longs(where, name, "shape", t.get("shape"), -1);
            long[] off = longs(where, name, "data_offsets", t.get("data_offsets"), 2);
            if (off[0] < 0 || off[1] < off[0] || off[1] > dataLen) {
                throw new IllegalArgumentException(where + ": tensor '" + name + "' data_offsets " + Arrays.toString(off)
                        + " are out of range for a data section of " + dataLen + " bytes");
            }
            long need;
            try {
                need = byteSize(name, dtype, shape);
            } catch (ArithmeticException ex) {
                throw new IllegalArgumentException(where + ": tensor '" + name + "' shape " + Arrays.toString(shape) + " overflows");
            }
            if (need != off[1] - off[0]) {
                throw new IllegalArgumentException(where + ": tensor '" + name + "' " + dt + Arrays.toString(shape) + " needs "
                        + need + " bytes but data_offsets " + Arrays.toString(off) + " hold " + (off[1] - off[0]));
            }
            specs.add(new Spec(name, dtype, shape, off[0], off[1]));
        }
        specs.sort((a, b) -> a.begin() != b.begin() ? Long.compare(a.begin(), b.begin()) : Long.compare(a.end(), b.end()));
        long cursor = 0;
        String prev = null;
        for (Spec sp : specs) {
            if (sp.begin() < cursor) {
                throw new IllegalArgumentException(where + ": tensor '" + sp.name() + "' [" + sp.begin() + "," + sp.end()
                        + ") overlaps tensor '" + prev + "' ending at " + cursor);
            }
            if (sp.begin() > cursor) {
                throw new IllegalArgumentException(where + ": gap in the data section before tensor '" + sp.name()
                        + "' (bytes " + cursor + ".." + sp.begin() + " belong to no tensor)");
            }
            cursor = sp.end();
            prev = sp.name();
        }
        if (cursor != dataLen) {
            throw new IllegalArgumentException(where + ": data section has " + dataLen + " bytes but the tensors cover " + cursor);
        }
        return new Parsed(specs, metadata);
    }

    private static long[] longs(String where, String name, String field, Object v, int expectedLength) {
        if (!(v instanceof List<?> list)) throw new IllegalArgumentException(where + ": tensor '" + name + "' has no " + field + " array");
        if (expectedLength >= 0 && list.size() != expectedLength) {
            throw new IllegalArgumentException(where + ": tensor '" + name + "' " + field + " has " + list.size()
                    + " values, expected " + expectedLength);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l) || l < 0) {
                throw new IllegalArgumentException(where + ": tensor '" + name + "' " + field + " holds a non-integer or negative value "
                        + list.get(i));
            }
            out[i] = l;
        }
        return out;
    }
}
