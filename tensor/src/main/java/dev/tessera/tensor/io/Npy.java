package dev.tessera.tensor.io;

import dev.tessera.tensor.Backends;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) as {@link Tensor}s.
 *
 * <p>Layout: the magic {@code \x93NUMPY}, a major and a minor version byte, the header length
 * (2 bytes little-endian in version 1.0, 4 bytes in 2.0 and 3.0), then the header: a Python dict
 * literal such as {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }} (Latin-1 in
 * versions 1 and 2, UTF-8 in 3), padded with spaces and ended by a newline; then the raw elements.
 *
 * <p>Element types read: {@code f4} to {@link DType#F32}, {@code f8} to {@link DType#F64},
 * {@code i4} to {@link DType#I32}, {@code i8} to {@link DType#I32} (for label arrays; a value
 * outside the int32 range is an error naming it), {@code b1} to {@link DType#BOOL}; little- or
 * big-endian. Arrays must be in C order (Fortran order is accepted only for rank 0 and 1, where
 * both orders are the same bytes). Object, structured, complex, unsigned and half arrays are
 * rejected with a message saying how to convert them in NumPy. Bytes after the array are ignored,
 * as {@code numpy.load} does.
 *
 * <p>Writing produces version 1.0 (2.0 when the header would not fit), little-endian, C order,
 * with the header padded so the data starts at a multiple of 64 bytes, as NumPy does; the file is
 * written to a temporary file and renamed.
 *
 * <pre>{@code
 * Tensor x = Npy.read(Path.of("X_train.npy"));          // float32 [n, d]
 * Npy.Header h = Npy.readHeader(Path.of("y_train.npy"));  // shape and dtype without the data
 * Npy.write(Path.of("pred.npy"), predictions);
 * }</pre>
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Bytes converted per chunk while reading (bounded memory beside the result array). */
    private static final int CHUNK = 1 << 20;
    /** NumPy aligns the start of the data to this many bytes. */
    private static final int ALIGN = 64;

    private Npy() {}

    /**
     * The parsed header of a file.
     *
     * @param major        format major version (1, 2 or 3)
     * @param minor        format minor version
     * @param descr        the NumPy dtype string, e.g. {@code "<f4"}
     * @param fortranOrder whether the file stores the array in Fortran (column-major) order
     * @param shape        the array shape (empty for a scalar)
     * @param dataOffset   byte offset of the first element
     */
    public record Header(int major, int minor, String descr, boolean fortranOrder, long[] shape, long dataOffset) {
        /** Copies the shape. */
        public Header {
            shape = shape.clone();
        }

        /** A defensive copy of the shape. */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Number of elements (product of the shape; 1 for a scalar). */
        public long numel() {
            long p = 1;
            for (long d : shape) p = Math.multiplyExact(p, d);
            return p;
        }

        @Override
        public String toString() {
            return "npy v" + major + "." + minor + " " + descr + " " + Arrays.toString(shape) + (fortranOrder ? " fortran" : "");
        }
    }

    /** Reads the header only (shape, dtype, order), validating it as {@link #read} does. */
    public static Header readHeader(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return header(ch, name(path));
        }
    }

    /**
     * Reads a whole {@code .npy} file into a contiguous CPU tensor.
     *
     * @throws IllegalArgumentException for a malformed or truncated file, an unsupported dtype or
     *                                  Fortran order (the message names the file and the problem)
     */
    public static Tensor read(Path path) throws IOException {
        String where = name(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            Header h = header(ch, where);
            Element el = element(where, h.descr());
            if (h.fortranOrder() && h.shape().length > 1) {
                throw new IllegalArgumentException(where + ": array " + Arrays.toString(h.shape()) + " is stored in Fortran order;"
                        + " only C order is supported (save np.ascontiguousarray(a) instead)");
            }
            int[] shape = intShape(where, h.shape());
            int n = Shape.numel(shape);
            long need = (long) n * el.size();
            long have = ch.size() - h.dataOffset();
            if (have < need) {
                throw new IllegalArgumentException(where + ": truncated file: " + h.descr() + " " + Arrays.toString(h.shape())
                        + " needs " + need + " data bytes, the file holds " + Math.max(0, have));
            }
            Object carrier = switch (el.dtype()) {
                case F32 -> new float[n];
                case F64 -> new double[n];
                case I32 -> new int[n];
                case BOOL -> new byte[n];
                case BF16 -> throw new AssertionError("bf16 is never read from npy");
            };
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(Math.max(need, 8), CHUNK) / 8 * 8).order(el.order());
            long pos = h.dataOffset();
            int done = 0;
            while (done < n) {
                int count = Math.min(n - done, buf.capacity() / el.size());
                buf.clear().limit(count * el.size());
                readFully(ch, buf, pos, where);
                buf.flip();
                decode(where, el, buf, carrier, done, count);
                done += count;
                pos += (long) count * el.size();
            }
            return Backends.of(Device.cpu()).fromArray(carrier, el.dtype(), shape);
        }
    }

    /**
     * Writes {@code t} (any layout or device; F32, F64, I32 or BOOL) as a little-endian C-order
     * {@code .npy} file, atomically (temporary file, then rename).
     *
     * @throws IllegalArgumentException for a BF16 tensor (NumPy has no bfloat16; convert it first)
     */
    public static void write(Path path, Tensor t) throws IOException {
        String descr = switch (t.dtype()) {
            case F32 -> "<f4";
            case F64 -> "<f8";
            case I32 -> "<i4";
            case BOOL -> "|b1";
            case BF16 -> throw new IllegalArgumentException("Npy.write: NumPy has no bfloat16; convert the tensor with .to(DType.F32) first");
        };
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < t.rank(); i++) shape.append(t.dim(i)).append(t.rank() == 1 ? "," : i + 1 < t.rank() ? ", " : "");
        shape.append(')');
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        byte[] v1 = pad(dict, 1);
        boolean needsV2 = v1.length - 10 > 0xFFFF;
        byte[] header = needsV2 ? pad(dict, 2) : v1;
        int major = needsV2 ? 2 : 1;
        ByteBuffer data = TensorFiles.bytes("npy", t);
        AtomicFiles.write(path, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer pre = ByteBuffer.allocate(header.length).order(ByteOrder.LITTLE_ENDIAN);
                pre.put(header).flip();
                pre.put(6, (byte) major).put(7, (byte) 0);
                writeFully(ch, pre);
                writeFully(ch, data);
                ch.force(true);
            }
        });
    }

    /** Magic, version, length field and the dict padded with spaces and a newline to a multiple of 64. */
    private static byte[] pad(String dict, int major) {
        int pre = major == 1 ? 10 : 12;
        byte[] d = dict.getBytes(StandardCharsets.ISO_8859_1);
        int total = pre + d.length + 1;
        total = (total + ALIGN - 1) / ALIGN * ALIGN;
        byte[] out = new byte[total];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        int hlen = total - pre;
        if (major == 1) {
            out[8] = (byte) hlen;
            out[9] = (byte) (hlen >>> 8);
        } else {
            for (int i = 0; i < 4; i++) out[8 + i] = (byte) (hlen >>> (8 * i));
        }
        System.arraycopy(d, 0, out, pre, d.length);
        Arrays.fill(out, pre + d.length, total - 1, (byte) ' ');
        out[total - 1] = '\n';
        return out;
    }

    // ------------------------------------------------------------------ header parsing

    private static Header header(FileChannel ch, String where) throws IOException {
        long size = ch.size();
        if (size < 10) throw new IllegalArgumentException(where + ": truncated file: " + size + " bytes, an npy header needs at least 10");
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        pre.limit((int) Math.min(12, size));
        readFully(ch, pre, 0, where);
        for (int i = 0; i < MAGIC.length; i++) {
            if (pre.get(i) != MAGIC[i]) throw new IllegalArgumentException(where + ": not an npy file (missing the \\x93NUMPY magic)");
        }
        int major = pre.get(6) & 0xFF, minor = pre.get(7) & 0xFF;
        long hlen;
        int lenBytes;
        switch (major) {
            case 1 -> {
                lenBytes = 2;
                hlen = pre.getShort(8) & 0xFFFF;
            }
            case 2, 3 -> {
                lenBytes = 4;
                if (size < 12) throw new IllegalArgumentException(where + ": truncated file: " + size + " bytes, a v" + major + " header needs at least 12");
                hlen = pre.getInt(8) & 0xFFFFFFFFL;
            }
            default -> throw new IllegalArgumentException(where + ": unsupported npy format version " + major + "." + minor
                    + " (supported: 1.0, 2.0, 3.0)");
        }
        long dataOffset = 8 + lenBytes + hlen;
        if (hlen > Integer.MAX_VALUE || dataOffset > size) {
            throw new IllegalArgumentException(where + ": truncated file: header length " + hlen + " runs past the end of the "
                    + size + "-byte file");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) hlen);
        readFully(ch, hb, 8 + lenBytes, where);
        String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict = new DictParser(where, text).parse();
        Object descr = dict.get("descr"), fortran = dict.get("fortran_order"), shape = dict.get("shape");
        if (!(descr instanceof String d)) {
            throw new IllegalArgumentException(where + ": unsupported dtype " + (descr == null ? "(missing 'descr')" : descr)
                    + " (structured arrays are not supported; supported: float32, float64, int32, int64, bool)");
        }
        if (!(fortran instanceof Boolean f)) throw new IllegalArgumentException(where + ": header has no boolean 'fortran_order': " + text.strip());
        if (!(shape instanceof long[] s)) throw new IllegalArgumentException(where + ": header has no tuple 'shape': " + text.strip());
        for (long v : s) if (v < 0) throw new IllegalArgumentException(where + ": negative dimension in shape " + Arrays.toString(s));
        return new Header(major, minor, d, f, s, dataOffset);
    }

    /** A tiny parser for the header dict literal: string keys; string, bool and int-tuple values. */
    private static final class DictParser {
        private final String where, s;
        private int i;

        DictParser(String where, String s) {
            this.where = where;
            this.s = s;
        }

        Map<String, Object> parse() {
            Map<String, Object> out = new LinkedHashMap<>();
            skip();
            expect('{');
            while (true) {
                skip();
                if (peek() == '}') break;
                String key = string();
                skip();
                expect(':');
                skip();
                out.put(key, value());
                skip();
                if (peek() == ',') i++;
                else if (peek() != '}') throw error("expected ',' or '}'");
            }
            return out;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') return string();
            if (c == '(') return tuple();
            if (c == '[') {
                // a list descr is a structured dtype: skip it and report it as unsupported
                int depth = 0;
                int start = i;
                do {
                    char x = peek();
                    if (x == '[') depth++;
                    if (x == ']') depth--;
                    i++;
                } while (depth > 0);
                return "structured " + s.substring(start, i);
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            throw error("unexpected value");
        }

        private long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            while (true) {
                skip();
                if (peek() == ')') {
                    i++;
                    break;
                }
                int start = i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
                if (start == i) throw error("expected a dimension");
                try {
                    dims.add(Long.parseLong(s.substring(start, i)));
                } catch (NumberFormatException e) {
                    throw error("dimension too large");
                }
                if (i < s.length() && s.charAt(i) == 'L') i++;   // Python 2 long literal
                skip();
                if (peek() == ',') i++;
                else if (peek() != ')') throw error("expected ',' or ')'");
            }
            long[] out = new long[dims.size()];
            for (int k = 0; k < out.length; k++) out[k] = dims.get(k);
            return out;
        }

        private String string() {
            char q = peek();
            if (q != '\'' && q != '"') throw error("expected a string");
            int end = s.indexOf(q, i + 1);
            if (end < 0) throw error("unterminated string");
            String out = s.substring(i + 1, end);
            i = end + 1;
            return out;
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private char peek() {
            if (i >= s.length()) throw error("unexpected end of header");
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) throw error("expected '" + c + "'");
            i++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(where + ": malformed npy header (" + what + " at character " + i + "): " + s.strip());
        }
    }

    // ------------------------------------------------------------------ elements

    private record Element(DType dtype, int size, ByteOrder order, boolean int64) {}

    private static Element element(String where, String descr) {
        if (descr.length() >= 2) {
            char bo = descr.charAt(0);
            String code = descr.substring(1);
            ByteOrder order = switch (bo) {
                case '<', '|' -> ByteOrder.LITTLE_ENDIAN;
                case '>' -> ByteOrder.BIG_ENDIAN;
                case '=' -> ByteOrder.nativeOrder();
                default -> null;
            };
            if (order != null) {
                switch (code) {
                    case "f4": return new Element(DType.F32, 4, order, false);
                    case "f8": return new Element(DType.F64, 8, order, false);
                    case "i4": return new Element(DType.I32, 4, order, false);
                    case "i8": return new Element(DType.I32, 8, order, true);
                    case "b1": return new Element(DType.BOOL, 1, order, false);
                    default: break;
                }
            }
        }
        String hint = descr.contains("O") ? "object arrays hold pickles and are never read"
                : descr.startsWith("structured") ? "structured arrays are not supported"
                : "convert with a.astype(np.float32) or a.astype(np.float64)";
        throw new IllegalArgumentException(where + ": unsupported dtype '" + descr + "' (supported: float32 <f4, float64 <f8, int32 <i4,"
                + " int64 <i8 read as int32, bool |b1; big-endian too); " + hint);
    }

    private static void decode(String where, Element el, ByteBuffer b, Object carrier, int off, int count) {
        switch (el.dtype()) {
            case F32 -> b.asFloatBuffer().get((float[]) carrier, off, count);
            case F64 -> b.asDoubleBuffer().get((double[]) carrier, off, count);
            case I32 -> {
                int[] dst = (int[]) carrier;
                if (!el.int64()) {
                    b.asIntBuffer().get(dst, off, count);
                } else {
                    for (int k = 0; k < count; k++) {
                        long v = b.getLong(k * 8);
                        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                            throw new IllegalArgumentException(where + ": int64 value " + v + " at flat index " + (off + k)
                                    + " does not fit the int32 tensor it is read into");
                        }
                        dst[off + k] = (int) v;
                    }
                }
            }
            case BOOL -> {
                byte[] dst = (byte[]) carrier;
                for (int k = 0; k < count; k++) dst[off + k] = (byte) (b.get(k) != 0 ? 1 : 0);
            }
            case BF16 -> throw new AssertionError("bf16 is never read from npy");
        }
    }

    // ------------------------------------------------------------------ plumbing

    private static int[] intShape(String where, long[] shape) {
        int[] out = new int[shape.length];
        long n = 1;
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(where + ": dimension " + k + " of " + Arrays.toString(shape) + " exceeds 2^31-1");
            }
            out[k] = (int) shape[k];
            n *= Math.max(1, shape[k]);
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(where + ": shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
            }
        }
        return out;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos, String where) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new EOFException(where + ": unexpected end of file at byte " + pos);
            pos += r;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static String name(Path path) {
        return "npy " + path.getFileName();
    }
}
