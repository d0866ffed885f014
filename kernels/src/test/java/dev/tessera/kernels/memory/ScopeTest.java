package dev.tessera.kernels.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Scopes free what they own; the Cleaner returns and reports what nobody freed. */
class ScopeTest {
    /** A resource like CUDA storage: a device buffer owned by this object. */
    static final class Res implements ScopedResource {
        final DeviceBuffer buf;

        Res(CachingAllocator a, long bytes) {
            buf = DeviceBuffer.allocate(a, bytes, this);
            Scope.register(this);
        }

        @Override
        public void release() {
            buf.release();
        }

        @Override
        public boolean released() {
            return buf.released();
        }
    }

    @Test
    void closingFreesEverythingNotKept() {
        CachingAllocator a = new CachingAllocator(new CachingAllocatorTest.FakeRaw(1L << 40));
        Res kept, outer;
        try (Scope s1 = Scope.open()) {
            outer = new Res(a, 1000);
            try (Scope s2 = Scope.open()) {
                Res tmp = new Res(a, 2000);
                kept = new Res(a, 3000);
                s2.keepResource(kept);
                assertEquals(2, s1.size());
                assertEquals(1, s2.size());
                assertEquals(3 * 1024 + 2048 + 1024, a.stats().inUseBytes());
                assertFalse(tmp.released());
            }
            assertEquals(1024 + 3072, a.stats().inUseBytes());
            assertFalse(kept.released());
        }
        assertTrue(kept.released(), "kept into s1, freed when s1 closed");
        assertTrue(outer.released());
        assertEquals(0, a.stats().inUseBytes());
        assertEquals(0, a.stats().collectedBlocks());
        IllegalStateException e = assertThrows(IllegalStateException.class, outer.buf::ptr);
        assertTrue(e.getMessage().startsWith("device memory used after it was freed"), e.getMessage());
        assertEquals(null, Scope.current());
    }

    @Test
    void scopesCloseInnermostFirst() {
        Scope s1 = Scope.open();
        Scope s2 = Scope.open();
        IllegalStateException e = assertThrows(IllegalStateException.class, s1::close);
        assertTrue(e.getMessage().contains("innermost first"), e.getMessage());
        s2.close();
        s1.close();
        assertEquals(null, Scope.current());
    }

    @Test
    void cleanerReturnsUnreleasedMemoryAndReportsWhereItWasAllocated() throws InterruptedException {
        CachingAllocator a = new CachingAllocator(new CachingAllocatorTest.FakeRaw(1L << 40));
        LeakDetector.Mode before = LeakDetector.mode();
        // let earlier tests' unreleased tensors be collected first: their reports would otherwise flood the
        // 64 kept reports while this test waits for its own block
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        LeakDetector.setMode(LeakDetector.Mode.TRACE);
        try {
            leakOne(a);
            assertEquals(1024, a.stats().inUseBytes());
            for (int i = 0; i < 200 && a.stats().collectedBlocks() == 0; i++) {
                System.gc();
                Thread.sleep(10);
            }
            assertEquals(1, a.stats().collectedBlocks());
            assertEquals(0, a.stats().inUseBytes());
            assertEquals(1024, a.stats().cachedBytes());
            // other tests' unreleased tensors may be collected meanwhile: find this one's report
            String report = LeakDetector.recentReports().stream().filter(m -> m.contains("leakOne")).findFirst()
                    .orElseThrow(() -> new AssertionError("no report names the allocation site: " + LeakDetector.recentReports()));
            assertTrue(report.startsWith("device memory of 1024 bytes was freed by the garbage collector"), report);
        } finally {
            LeakDetector.setMode(before);
        }
    }

    private static void leakOne(CachingAllocator a) {
        new Res(a, 1000); // no scope is open: only the Cleaner can return it
    }
}
