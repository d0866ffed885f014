package dev.tessera.nn.train;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.zip.CRC32C;

/**
 * Writes scalars as a TensorBoard event file ({@code events.out.tfevents.<time>.<host>.<pid>.<n>})
 * without TensorFlow.
 *
 * <p>File format (TFRecord): each record is {@code uint64 length} (little-endian),
 * {@code uint32 masked_crc32c(length bytes)}, {@code length} bytes of data,
 * {@code uint32 masked_crc32c(data)}, where {@code masked(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8}.
 * The data is a serialized {@code tensorflow.Event} protobuf, encoded here by hand:
 * <pre>
 * Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 * Summary { repeated Value value = 1; }
 * Value   { string tag = 1; float simple_value = 2; }
 * </pre>
 * The first record carries {@code file_version = "brain.Event:2"}; each {@link #scalar} call then
 * appends one Event with one Summary value.
 *
 * <pre>{@code
 * try (var tb = new TensorBoardWriter(runDir.resolve("tb"))) { tb.scalar("train/loss", step, loss); }
 * // tensorboard --logdir runDir/tb
 * }</pre>
 */
public final class TensorBoardWriter implements MetricsSink {
    /** The {@code file_version} of the first record. */
    public static final String FILE_VERSION = "brain.Event:2";
    private static final int MASK_DELTA = 0xa282ead8;
    private static final AtomicInteger FILES = new AtomicInteger();

    private final Path file;
    private final OutputStream out;
    private final DoubleSupplier wallClock;
    private boolean closed;

    /** A new event file in {@code logDir} (created if needed), stamped with the system clock. */
    public TensorBoardWriter(Path logDir) {
        this(logDir, () -> System.currentTimeMillis() / 1000.0);
    }

    /**
     * A new event file in {@code logDir} whose records carry {@code wallClock} seconds since the
     * epoch as their wall time (injectable for tests).
     */
    public TensorBoardWriter(Path logDir, DoubleSupplier wallClock) {
        this.wallClock = wallClock;
        double now = wallClock.getAsDouble();
        String host = System.getenv().getOrDefault("HOSTNAME", "localhost").replaceAll("[^A-Za-z0-9._-]", "_");
        String name = String.format("events.out.tfevents.%010d.%s.%d.%d", (long) now, host, ProcessHandle.current().pid(),
                FILES.getAndIncrement());
        this.file = logDir.resolve(name);
        try {
            Files.createDirectories(logDir);
            out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
            writeRecord(event(now, 0, FILE_VERSION, null, 0f));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("TensorBoardWriter: cannot create " + file + ": " + e.getMessage(), e);
        }
    }

    /** The event file being written. */
    public Path file() {
        return file;
    }

    /** Appends one scalar event; the value is stored as a float, as TensorBoard's simple_value is. */
    @Override
    public synchronized void scalar(String tag, long step, double value) {
        if (closed) throw new IllegalStateException("TensorBoardWriter.scalar: " + file + " is closed");
        if (tag == null || tag.isEmpty()) throw new IllegalArgumentException("TensorBoardWriter.scalar: empty tag");
        try {
            writeRecord(event(wallClock.getAsDouble(), step, null, tag, (float) value));
        } catch (IOException e) {
            throw new UncheckedIOException("TensorBoardWriter: writing " + file + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void flush() {
        if (closed) return;
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("TensorBoardWriter: flushing " + file + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("TensorBoardWriter: closing " + file + " failed: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ encoding

    /** The TFRecord CRC mask: rotate right by 15 and add a constant. */
    public static int maskedCrc32c(byte[] data, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(data, off, len);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    private void writeRecord(byte[] data) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(data.length);
        head.putInt(maskedCrc32c(head.array(), 0, 8));
        out.write(head.array());
        out.write(data);
        ByteBuffer tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(maskedCrc32c(data, 0, data.length));
        out.write(tail.array());
    }

    /** An Event with either a file_version or one scalar summary value. */
    static byte[] event(double wallTime, long step, String fileVersion, String tag, float value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        tag(b, 1, 1);
        fixed64(b, Double.doubleToRawLongBits(wallTime));
        if (step != 0) {
            tag(b, 2, 0);
            varint(b, step);
        }
        if (fileVersion != null) {
            tag(b, 3, 2);
            bytes(b, fileVersion.getBytes(StandardCharsets.UTF_8));
        }
        if (tag != null) {
            ByteArrayOutputStream v = new ByteArrayOutputStream();
            tag(v, 1, 2);
            bytes(v, tag.getBytes(StandardCharsets.UTF_8));
            tag(v, 2, 5);
            fixed32(v, Float.floatToRawIntBits(value));
            ByteArrayOutputStream summary = new ByteArrayOutputStream();
            tag(summary, 1, 2);
            bytes(summary, v.toByteArray());
            tag(b, 5, 2);
            bytes(b, summary.toByteArray());
        }
        return b.toByteArray();
    }

    private static void tag(ByteArrayOutputStream b, int field, int wireType) {
        varint(b, ((long) field << 3) | wireType);
    }

    /** Base-128 varint, low group first; negative int64 values take ten bytes, as protobuf does. */
    private static void varint(ByteArrayOutputStream b, long v) {
        while ((v & ~0x7FL) != 0) {
            b.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        b.write((int) v);
    }

    private static void fixed64(ByteArrayOutputStream b, long v) {
        for (int i = 0; i < 8; i++) b.write((int) (v >>> (8 * i)) & 0xFF);
    }

    private static void fixed32(ByteArrayOutputStream b, int v) {
        for (int i = 0; i < 4; i++) b.write((v >>> (8 * i)) & 0xFF);
    }

    private static void bytes(ByteArrayOutputStream b, byte[] data) {
        varint(b, data.length);
        b.writeBytes(data);
    }
}
