package dev.tessera.kernels.runtime;

import dev.tessera.kernels.cuda.Driver;
import java.lang.foreign.MemorySegment;

/**
 * Copies between Java heap memory and the device through two pinned host buffers, so bulk copies
 * run at pinned (DMA) speed and the next chunk is packed while the previous one is on the bus.
 * Heap segments cannot be handed to the driver directly (the GC may move them), hence the
 * staging. All copies are ordered on the device's stream; device-to-host copies return when the
 * data has arrived.
 */
public final class HostStaging {
    /** Bytes per pinned buffer. */
    public static final long CHUNK = 4L << 20;

    private final Driver driver;
    private final MemorySegment stream;
    private final MemorySegment[] buf = new MemorySegment[2];
    private final MemorySegment[] done = new MemorySegment[2];
    private final boolean[] pending = new boolean[2];

    /** Staging for copies on {@code stream}; the pinned buffers are allocated on first use. */
    public HostStaging(Driver driver, MemorySegment stream) {
        this.driver = driver;
        this.stream = stream;
    }

    private void ensure() {
        if (buf[0] != null) return;
        for (int i = 0; i < 2; i++) {
            buf[i] = driver.memHostAlloc(CHUNK, 0);
            done[i] = driver.eventCreate(2); // CU_EVENT_DISABLE_TIMING
        }
    }

    private void await(int i) {
        if (pending[i]) {
            driver.eventSynchronize(done[i]);
            pending[i] = false;
        }
    }

    /** Copies {@code bytes} from {@code src} (any segment, heap included) to device address {@code dst}. */
    public synchronized void toDevice(MemorySegment src, long dst, long bytes) {
        if (bytes == 0) return;
        ensure();
        int c = 0;
        for (long off = 0; off < bytes; off += CHUNK, c ^= 1) {
            long len = Math.min(CHUNK, bytes - off);
            await(c);
            MemorySegment.copy(src, off, buf[c], 0, len);
            driver.memcpyHtoDAsync(dst + off, buf[c], len, stream);
            driver.eventRecord(done[c], stream);
            pending[c] = true;
        }
    }

    /** Copies {@code bytes} from device address {@code src} to {@code dst} and waits until they arrive. */
    public synchronized void toHost(long src, MemorySegment dst, long bytes) {
        if (bytes == 0) return;
        ensure();
        await(0);
        await(1);
        long chunks = (bytes + CHUNK - 1) / CHUNK;
        issue(src, bytes, 0);
        for (long k = 0; k < chunks; k++) {
            int c = (int) (k & 1);
            if (k + 1 < chunks) issue(src, bytes, k + 1);
            await(c);
            long off = k * CHUNK, len = Math.min(CHUNK, bytes - off);
            MemorySegment.copy(buf[c], 0, dst, off, len);
        }
    }

    private void issue(long src, long bytes, long k) {
        int c = (int) (k & 1);
        long off = k * CHUNK, len = Math.min(CHUNK, bytes - off);
        driver.memcpyDtoHAsync(buf[c], src + off, len, stream);
        driver.eventRecord(done[c], stream);
        pending[c] = true;
    }
}
