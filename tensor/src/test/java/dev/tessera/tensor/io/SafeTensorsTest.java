package dev.tessera.tensor.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    /** Builds a file the way Python's safetensors lays it out: u64 LE length, padded JSON, data. */
    private static byte[] pythonStyleFile(String json, byte[] data) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = padded;
        for (int i = 0; i < 8; i++) out.write((int) (n >>> (8 * i)) & 0xff);
        out.writeBytes(h);
        for (int i = h.length; i < padded; i++) out.write(' ');
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static byte[] le(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    @Test
    void readsAFileLaidOutByHand() throws Exception {
        // F64 first (Python orders by alignment, then name), then F32, then BOOL
        ByteBuffer d = ByteBuffer.allocate(16 + 24 + 3).order(ByteOrder.LITTLE_ENDIAN);
        d.putDouble(-1.5).putDouble(1e300);
        for (float f : new float[] {1, 2, 3, 4, 5, 6}) d.putFloat(f);
        d.put((byte) 1).put((byte) 0).put((byte) 1);
        String json = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"a \\\"q\\\"\"},"
                + "\"b\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[16,40]},"
                + "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[40,43]}}";
        Path p = dir.resolve("py.safetensors");
        Files.write(p, pythonStyleFile(json, d.array()));
        var c = SafeTensors.read(p);
        assertEquals(Map.of("format", "pt", "note", "a \"q\""), c.metadata());
        assertEquals(3, c.entries().size());
        var a = c.entry("a");
        assertEquals(DType.F32, a.dtype());
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertEquals(6f, a.data().getFloat(20));
        assertEquals(1e300, c.entry("b").data().getDouble(8));
        assertEquals(0, c.entry("mask").data().get(1));
        assertEquals(1, c.entry("mask").data().get(2));
    }

    @Test
    void roundTripKeepsOrderBytesAndMetadataAndPadsTheHeader() throws Exception {
        ByteBuffer x = ByteBuffer.wrap(le(1, -2, 3.5f)).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer ints = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putInt(-9).flip();
        ByteBuffer bf = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(DType.toBf16(0.5f)).flip();
        var entries = List.of(new SafeTensors.Entry("x", DType.F32, new long[] {3}, x),
                new SafeTensors.Entry("idx", DType.I32, new long[] {2, 1}, ints),
                new SafeTensors.Entry("h", DType.BF16, new long[] {}, bf),
                new SafeTensors.Entry("empty", DType.F64, new long[] {0, 4}, ByteBuffer.allocate(0)));
        Path p = dir.resolve("sub/r.safetensors");
        SafeTensors.write(p, entries, Map.of("sampler", "intscale"));
        byte[] raw = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(raw, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        assertEquals(raw.length, 8 + n + 12 + 8 + 2);
        var c = SafeTensors.read(p);
        assertEquals(List.of("x", "idx", "h", "empty"), c.entries().stream().map(SafeTensors.Entry::name).toList());
        assertEquals(-2f, c.entry("x").data().getFloat(4));
        assertEquals(-9, c.entry("idx").data().getInt(4));
        assertEquals(0.5f, DType.fromBf16(c.entry("h").data().getShort(0)));
        assertEquals(0, c.entry("empty").numel());
        assertEquals("intscale", c.metadata().get("sampler"));
        try (var files = Files.list(p.getParent())) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }

    private void assertRejected(String json, int dataLen, String fragment) throws Exception {
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, pythonStyleFile(json, new byte[dataLen]));
        var ex = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(p));
        assertTrue(ex.getMessage().contains(fragment), ex.getMessage());
    }

    @Test
    void rejectsMalformedHeaders() throws Exception {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlaps");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, "out of range");
        assertRejected("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "unsupported dtype");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "gap");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "cover");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4, "JSON");
        assertRejected("{\"__metadata__\":{\"x\":1}}", 0, "not a string");
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(p));
        assertThrows(IllegalArgumentException.class,
                () -> new SafeTensors.Entry("x", DType.F32, new long[] {2}, ByteBuffer.allocate(4)));
    }
}
