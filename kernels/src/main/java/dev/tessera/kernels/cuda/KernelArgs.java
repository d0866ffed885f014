package dev.tessera.kernels.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@code kernelParams} block of {@code cuLaunchKernel}: a {@code void*[n]} whose slot i points
 * at argument i's value. Values are packed into one buffer at their natural alignment (16 for
 * struct blobs). The driver copies the values at launch, so a block may be reset and reused.
 *
 * <pre>{@code
 * try (Arena a = Arena.ofConfined()) {
 *     var args = new KernelArgs(a, 4, 256).i32(n).f32(alpha).ptr(x).ptr(y);
 *     driver.launchKernel(f, grid, 1, 1, 256, 1, 1, 0, stream, args.segment());
 * }
 * }</pre>
 */
public final class KernelArgs {
    private final MemorySegment slots;
    private final MemorySegment values;
    private final int capacity;
    private int count;
    private long used;

    /** A block for up to {@code maxArgs} arguments totalling at most {@code valueBytes} bytes. */
    public KernelArgs(Arena arena, int maxArgs, long valueBytes) {
        this.capacity = maxArgs;
        this.slots = arena.allocate(ADDRESS, Math.max(1, maxArgs));
        this.values = arena.allocate(Math.max(16, valueBytes), 16);
    }

    /** Forgets every argument (the buffers are reused). */
    public KernelArgs reset() {
        count = 0;
        used = 0;
        return this;
    }

    private MemorySegment next(long size, long align) {
        if (count == capacity) throw new IllegalStateException("KernelArgs: more than " + capacity + " arguments");
        long off = (used + align - 1) / align * align;
        if (off + size > values.byteSize()) {
            throw new IllegalStateException("KernelArgs: argument values exceed " + values.byteSize() + " bytes");
        }
        MemorySegment cell = values.asSlice(off, size);
        slots.setAtIndex(ADDRESS, count++, cell);
        used = off + size;
        return cell;
    }

    /** A 32-bit int argument. */
    public KernelArgs i32(int v) {
        next(4, 4).set(JAVA_INT, 0, v);
        return this;
    }

    /** A 64-bit int argument. */
    public KernelArgs i64(long v) {
        next(8, 8).set(JAVA_LONG, 0, v);
        return this;
    }

    /** A float argument. */
    public KernelArgs f32(float v) {
        next(4, 4).set(JAVA_FLOAT, 0, v);
        return this;
    }

    /** A double argument. */
    public KernelArgs f64(double v) {
        next(8, 8).set(JAVA_DOUBLE, 0, v);
        return this;
    }

    /** A device pointer argument. */
    public KernelArgs ptr(long devicePointer) {
        next(8, 8).set(JAVA_LONG, 0, devicePointer);
        return this;
    }

    /** A struct argument passed by value: its bytes, aligned to 16. */
    public KernelArgs struct(MemorySegment bytes) {
        next(bytes.byteSize(), 16).copyFrom(bytes);
        return this;
    }

    /** Number of arguments set. */
    public int count() {
        return count;
    }

    /** The {@code void**} to pass as {@code kernelParams}. */
    public MemorySegment segment() {
        return slots;
    }
}
