package dev.tessera.kernels.memory;

import dev.tessera.kernels.cuda.CudaException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching device allocator: freed blocks are kept in size bins and handed out again, so a
 * training loop stops calling {@code cuMemAlloc}/{@code cuMemFree} (which synchronise the device)
 * after its first step. Sizes are rounded (to 512 bytes below 1 MiB, to a quarter of the enclosing
 * power of two above) so that similar requests share bins, wasting at most 25 %.
 *
 * <p>All blocks are used on one stream per device, so a block freed while kernels that read it
 * are still queued can be reused at once: later work on the same stream runs after them.
 * When the driver reports out-of-memory, the cache is returned to the driver and the request
 * retried once. Thread-safe (the Cleaner returns blocks from its own thread).
 */
public final class CachingAllocator {
    private static final long SMALL = 1L << 20;

    /**
     * Takes over allocations while a CUDA graph records or captures a step
     * ({@code runtime.CudaGraph}): it may serve a request from a planned arena, and it is told about
     * every ordinary allocation and free so that it can learn the step's allocation order and lifetimes.
     */
    public interface Pool {
        /** A planned block for this request, or null to allocate normally. */
        DeviceBlock take(long bytes);

        /** An ordinary block was handed out. */
        void allocated(DeviceBlock b);

        /** An ordinary block was returned. */
        void released(DeviceBlock b);
    }

    private final RawMemory raw;
    private volatile Pool pool;
    private final TreeMap<Long, ArrayDeque<Long>> free = new TreeMap<>();
    private long inUse, cached, peak, allocations, hits, driverAllocs, driverFrees, liveBlocks, collected;

    /** An allocator over {@code raw}. */
    public CachingAllocator(RawMemory raw) {
        this.raw = raw;
    }

    /** The bin size of a request of {@code bytes}. */
    public static long roundSize(long bytes) {
        if (bytes <= 0) return 0;
        if (bytes < SMALL) return (bytes + 511) & ~511L;
        long p = Long.highestOneBit(bytes);
        if (p == bytes) return bytes;
        long step = p / 4;
        return (bytes + step - 1) / step * step;
    }

    /** Installs (or with null removes) the pool that sees every allocation; see {@link Pool}. */
    public synchronized void setPool(Pool p) {
        pool = p;
    }

    /** A block of at least {@code bytes}; throws {@link CudaException} when the device is out of memory. */
    public synchronized DeviceBlock allocate(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("allocate: negative size " + bytes);
        Pool p = pool;
        if (p != null && bytes > 0) {
            DeviceBlock planned = p.take(bytes);
            if (planned != null) return planned;
            DeviceBlock b = allocateCached(bytes);
            p.allocated(b);
            return b;
        }
        return allocateCached(bytes);
    }

    private DeviceBlock allocateCached(long bytes) {
        allocations++;
        if (bytes == 0) return new DeviceBlock(0, 0, 0);
        long size = roundSize(bytes);
        long ptr = 0;
        ArrayDeque<Long> bin = free.get(size);
        if (bin != null && !bin.isEmpty()) {
            ptr = bin.pop();
            if (bin.isEmpty()) free.remove(size);
            cached -= size;
            hits++;
        } else {
            ptr = raw.tryAllocate(size);
            if (ptr == 0 && cached > 0) {
                releaseCached();
                ptr = raw.tryAllocate(size);
            }
            if (ptr == 0) {
                throw new CudaException("cuMemAlloc", 2, "CUDA_ERROR_OUT_OF_MEMORY",
                        "out of memory allocating " + size + " bytes (" + statsLocked() + ")");
            }
            driverAllocs++;
        }
        inUse += size;
        liveBlocks++;
        peak = Math.max(peak, inUse);
        return new DeviceBlock(ptr, size, bytes);
    }

    /** Returns a block to the cache (a planned block belongs to its graph's arena: nothing to do). */
    public synchronized void free(DeviceBlock b) {
        if (b.size() == 0 || b.planned()) return;
        Pool p = pool;
        if (p != null) p.released(b);
        inUse -= b.size();
        liveBlocks--;
        cached += b.size();
        free.computeIfAbsent(b.size(), k -> new ArrayDeque<>()).push(b.ptr());
    }

    /** Returns a block that the garbage collector found unreachable (counted separately). */
    public synchronized void freeCollected(DeviceBlock b) {
        if (b.planned()) return;
        collected++;
        free(b);
    }

    /** Returns every cached block to the driver (the caller makes sure no queued work uses them). */
    public synchronized void emptyCache() {
        releaseCached();
    }

    private void releaseCached() {
        for (Map.Entry<Long, ArrayDeque<Long>> e : free.entrySet()) {
            for (long p : e.getValue()) {
                raw.free(p);
                driverFrees++;
            }
        }
        free.clear();
        cached = 0;
    }

    /** A snapshot of the counters. */
    public synchronized MemoryStats stats() {
        return statsLocked();
    }

    private MemoryStats statsLocked() {
        return new MemoryStats(inUse, cached, inUse + cached, peak, allocations, hits, driverAllocs, driverFrees,
                liveBlocks, collected);
    }
}
