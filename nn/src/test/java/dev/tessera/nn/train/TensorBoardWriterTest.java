package dev.tessera.nn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes event files, then parses them with an independent TFRecord and protobuf decoder. */
class TensorBoardWriterTest {
    @TempDir
    Path dir;

    record Event(double wallTime, long step, String fileVersion, List<String> tags, List<Float> values) {
    }

    /** Masked CRC32C, written out from the TFRecord definition. */
    static int masked(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        long crc = c.getValue();
        long rotated = ((crc >> 15) | (crc << 17)) & 0xFFFFFFFFL;
        return (int) ((rotated + 0xa282ead8L) & 0xFFFFFFFFL);
    }

    static List<Event> parse(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> out = new ArrayList<>();
        while (b.hasRemaining()) {
            int start = b.position();
            long len = b.getLong();
            int lenCrc = b.getInt();
            assertEquals(masked(b.array(), start, 8), lenCrc, "length CRC of record " + out.size());
            byte[] data = new byte[Math.toIntExact(len)];
            b.get(data);
            assertEquals(masked(data, 0, data.length), b.getInt(), "data CRC of record " + out.size());
            out.add(decodeEvent(data));
        }
        return out;
    }

    /** A tiny protobuf reader: varints, fixed32, fixed64 and length-delimited fields. */
    static final class Reader {
        final ByteBuffer b;

        Reader(byte[] data) {
            b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        }

        boolean more() {
            return b.hasRemaining();
        }

        long varint() {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                int x = b.get() & 0xFF;
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) return v;
            }
        }

        byte[] bytes() {
            byte[] d = new byte[Math.toIntExact(varint())];
            b.get(d);
            return d;
        }
    }

    static Event decodeEvent(byte[] data) {
        Reader r = new Reader(data);
        double wall = 0;
        long step = 0;
        String version = null;
        List<String> tags = new ArrayList<>();
        List<Float> values = new ArrayList<>();
        while (r.more()) {
            long key = r.varint();
            int field = (int) (key >>> 3), wire = (int) (key & 7);
            switch (field) {
                case 1 -> {
                    assertEquals(1, wire);
                    wall = r.b.getDouble();
                }
                case 2 -> {
                    assertEquals(0, wire);
                    step = r.varint();
                }
                case 3 -> {
                    assertEquals(2, wire);
                    version = new String(r.bytes(), StandardCharsets.UTF_8);
                }
                case 5 -> {
                    assertEquals(2, wire);
                    Reader summary = new Reader(r.bytes());
                    while (summary.more()) {
                        assertEquals((1 << 3) | 2, summary.varint(), "Summary.value");
                        Reader value = new Reader(summary.bytes());
                        while (value.more()) {
                            long k = value.varint();
                            if (k == ((1 << 3) | 2)) tags.add(new String(value.bytes(), StandardCharsets.UTF_8));
                            else if (k == ((2 << 3) | 5)) values.add(value.b.getFloat());
                            else throw new AssertionError("unexpected Summary.Value key " + k);
                        }
                    }
                }
                default -> throw new AssertionError("unexpected Event field " + field);
            }
        }
        return new Event(wall, step, version, tags, values);
    }

    @Test
    void scalarsParseBackWithValidCrcs() throws IOException {
        double[] clock = {1700000000.25};
        Path file;
        try (var tb = new TensorBoardWriter(dir.resolve("tb"), () -> clock[0])) {
            file = tb.file();
            assertTrue(file.getFileName().toString().startsWith("events.out.tfevents.1700000000."), file.toString());
            for (int step = 0; step < 5; step++) {
                clock[0] += 1;
                tb.scalar("train/loss", step, 1.0 / (step + 1));
                tb.scalar("lr", step * 1000L, 3e-4);
            }
            tb.scalar("big/step", 1L << 40, -2.5);
            tb.scalar("négatif", -3, 7);
            tb.flush();
        }
        List<Event> events = parse(file);
        assertEquals(1 + 10 + 2, events.size());
        Event first = events.get(0);
        assertEquals("brain.Event:2", first.fileVersion());
        assertEquals(1700000000.25, first.wallTime());
        assertTrue(first.tags().isEmpty());
        for (int step = 0; step < 5; step++) {
            Event loss = events.get(1 + 2 * step), lr = events.get(2 + 2 * step);
            assertEquals(List.of("train/loss"), loss.tags());
            assertEquals(List.of((float) (1.0 / (step + 1))), loss.values());
            assertEquals(step, loss.step());
            assertEquals(1700000000.25 + step + 1, loss.wallTime());
            assertEquals(List.of("lr"), lr.tags());
            assertEquals(List.of(3e-4f), lr.values());
            assertEquals(step * 1000L, lr.step());
        }
        assertEquals(1L << 40, events.get(11).step());
        assertEquals(List.of(-2.5f), events.get(11).values());
        assertEquals(-3, events.get(12).step(), "negative int64 steps use ten-byte varints");
        assertEquals(List.of("négatif"), events.get(12).tags());
    }

    @Test
    void maskedCrcMatchesTheReferenceFormula() {
        byte[] data = "tensorboard".getBytes(StandardCharsets.UTF_8);
        assertEquals(masked(data, 0, data.length), TensorBoardWriter.maskedCrc32c(data, 0, data.length));
        // CRC32C("123456789") is 0xE3069283 (the standard check value)
        CRC32C c = new CRC32C();
        c.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0xE3069283L, c.getValue());
    }

    @Test
    void aCorruptedByteIsDetected() throws IOException {
        Path file;
        try (var tb = new TensorBoardWriter(dir)) {
            tb.scalar("x", 1, 2);
            file = tb.file();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 6] ^= 1; // inside the value of the last record
        Files.write(file, bytes);
        assertThrows(AssertionError.class, () -> parse(file));
    }

    @Test
    void writingAfterCloseFails() {
        var tb = new TensorBoardWriter(dir);
        tb.close();
        assertThrows(IllegalStateException.class, () -> tb.scalar("x", 0, 1));
    }
}
