package dev.tessera.kernels.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.kernels.cuda.CudaException;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The caching allocator over a counting fake memory (no driver needed). */
class CachingAllocatorTest {
    /** Hands out addresses from a counter; fails when more than {@code capacity} bytes are live. */
    static final class FakeRaw implements RawMemory {
        final long capacity;
        long next = 1 << 20, live, allocs, frees;
        final Set<Long> blocks = new HashSet<>();
        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        FakeRaw(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long tryAllocate(long bytes) {
            if (live + bytes > capacity) return 0;
            long p = next;
            next += bytes + 4096;
            live += bytes;
            allocs++;
            blocks.add(p);
            sizes.put(p, bytes);
            return p;
        }

        @Override
        public void free(long ptr) {
            if (!blocks.remove(ptr)) throw new IllegalStateException("double free of " + ptr);
            live -= sizes.remove(ptr);
            frees++;
        }
    }

    @Test
    void roundingBoundsWaste() {
        assertEquals(0, CachingAllocator.roundSize(0));
        assertEquals(512, CachingAllocator.roundSize(1));
        assertEquals(1024, CachingAllocator.roundSize(513));
        assertEquals(1L << 20, CachingAllocator.roundSize(1L << 20));
        assertEquals(5L << 20, CachingAllocator.roundSize((4L << 20) + 1));
        assertEquals(256L << 20, CachingAllocator.roundSize(256L << 20));
        for (long b = 1; b < (1L << 34); b = b * 3 + 7) {
            long r = CachingAllocator.roundSize(b);
            assertTrue(r >= b && r <= Math.max(b + 511, b * 1.25 + 1), b + " -> " + r);
        }
    }

    @Test
    void freedBlocksAreReusedAndCounted() {
        FakeRaw raw = new FakeRaw(1L << 40);
        CachingAllocator a = new CachingAllocator(raw);
        DeviceBlock x = a.allocate(1000), y = a.allocate(3000);
        MemoryStats s = a.stats();
        assertEquals(1024 + 3072, s.inUseBytes());
        assertEquals(0, s.cachedBytes());
        assertEquals(2, s.driverAllocations());
        a.free(x);
        s = a.stats();
        assertEquals(3072, s.inUseBytes());
        assertEquals(1024, s.cachedBytes());
        assertEquals(4096, s.reservedBytes());
        DeviceBlock z = a.allocate(900); // same bin as x
        assertEquals(x.ptr(), z.ptr());
        s = a.stats();
        assertEquals(1, s.cacheHits());
        assertEquals(2, s.driverAllocations());
        assertEquals(0, s.cachedBytes());
        assertEquals(4096, s.peakInUseBytes());
        a.free(y);
        a.free(z);
        a.emptyCache();
        s = a.stats();
        assertEquals(0, s.reservedBytes());
        assertEquals(2, s.driverFrees());
        assertEquals(0, raw.live);
        assertEquals(0, a.allocate(0).ptr());
    }

    @Test
    void outOfMemoryReleasesTheCacheAndRetriesThenThrowsWithStats() {
        FakeRaw raw = new FakeRaw(8L << 20);
        CachingAllocator a = new CachingAllocator(raw);
        DeviceBlock big = a.allocate(6L << 20);
        a.free(big); // cached, still reserved from the driver
        DeviceBlock other = a.allocate(7L << 20); // does not fit next to the cached 6 MiB: cache is released
        assertEquals(1, raw.frees);
        assertEquals(7L << 20, a.stats().inUseBytes());
        CudaException e = assertThrows(CudaException.class, () -> a.allocate(4L << 20));
        assertTrue(e.getMessage().startsWith("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory allocating 4194304 bytes (in use 7.0 MiB"),
                e.getMessage());
        a.free(other);
    }
}
