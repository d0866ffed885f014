package dev.tessera.kernels.runtime;

import java.lang.foreign.MemorySegment;

/**
 * A CUDA event on a device's stream, for timing (benchmarks) and ordering.
 *
 * <pre>{@code
 * try (var start = device.event(); var end = device.event()) {
 *     start.record(); work(); end.record();
 *     float ms = start.elapsedMillis(end);
 * }
 * }</pre>
 */
public final class CudaEvent implements AutoCloseable {
    private final CudaDevice device;
    private final MemorySegment ev;

    CudaEvent(CudaDevice device) {
        this.device = device;
        device.makeCurrent();
        this.ev = device.runtime().driver().eventCreate(0);
    }

    /** Records the event on the device's stream. */
    public void record() {
        device.makeCurrent();
        device.runtime().driver().eventRecord(ev, device.stream());
    }

    /** Waits until the event has completed. */
    public void synchronize() {
        device.runtime().driver().eventSynchronize(ev);
    }

    /** Milliseconds from this event to {@code end} (waits for {@code end}). */
    public float elapsedMillis(CudaEvent end) {
        end.synchronize();
        return device.runtime().driver().eventElapsedTime(ev, end.ev);
    }

    @Override
    public void close() {
        device.runtime().driver().eventDestroy(ev);
    }
}
