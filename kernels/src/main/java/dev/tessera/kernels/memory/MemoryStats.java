package dev.tessera.kernels.memory;

/**
 * A snapshot of a device's caching allocator.
 *
 * @param inUseBytes        bytes held by live blocks (rounded block sizes)
 * @param cachedBytes       bytes of freed blocks kept for reuse (not returned to the driver)
 * @param reservedBytes     bytes obtained from the driver and not yet returned: in use + cached
 * @param peakInUseBytes    the largest {@code inUseBytes} seen
 * @param allocations       allocation requests served
 * @param cacheHits         requests served from the cache without a driver call
 * @param driverAllocations {@code cuMemAlloc} calls
 * @param driverFrees       {@code cuMemFree} calls
 * @param liveBlocks        blocks currently in use
 * @param collectedBlocks   blocks returned by the garbage collector (Cleaner) rather than by a scope or close
 */
public record MemoryStats(long inUseBytes, long cachedBytes, long reservedBytes, long peakInUseBytes,
                          long allocations, long cacheHits, long driverAllocations, long driverFrees,
                          long liveBlocks, long collectedBlocks) {
    @Override
    public String toString() {
        return String.format("in use %.1f MiB (%d blocks, peak %.1f MiB), cached %.1f MiB, reserved %.1f MiB; "
                        + "%d allocations, %d cache hits, %d cuMemAlloc, %d cuMemFree, %d collected by GC",
                inUseBytes / 1048576.0, liveBlocks, peakInUseBytes / 1048576.0, cachedBytes / 1048576.0,
                reservedBytes / 1048576.0, allocations, cacheHits, driverAllocations, driverFrees, collectedBlocks);
    }
}
