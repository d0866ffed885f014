package dev.tessera.tensor.internal.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void threadsIsAtLeastOne() {
        assertTrue(Parallel.threads() >= 1);
        assertEquals(CpuConfig.threads(), Parallel.threads());
    }

    @Test
    void forRangeCoversEveryIndexExactlyOnce() {
        int[] ns = {1, 2, 7, 64, 1000, 1001};
        int[] grains = {1, 3, 64, 5000};
        for (int threads = 1; threads <= 5; threads++) {
            for (int n : ns) {
                for (int grain : grains) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    Parallel.forRange(n, grain, (s, e) -> {
                        for (int i = s; i < e; i++) hits.incrementAndGet(i);
                    }, threads);
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), "n=" + n + " grain=" + grain + " threads=" + threads + " i=" + i);
                    }
                }
            }
        }
    }

    @Test
    void chunksAreContiguousBoundedAndDeterministic() {
        for (int threads = 1; threads <= 6; threads++) {
            List<String> first = chunks(1003, 10, threads);
            for (int rep = 0; rep < 5; rep++) assertEquals(first, chunks(1003, 10, threads));
            assertTrue(first.size() <= threads, "at most threads chunks: " + first);
            assertEquals(Math.min(threads, 101), first.size());
        }
        assertEquals(List.of("0-5"), chunks(5, 5, 4), "n <= grain must not split");
        assertEquals(List.of("0-3", "3-6"), chunks(6, 5, 2));
    }

    @Test
    void smallRangeRunsInlineOnCaller() {
        Thread caller = Thread.currentThread();
        AtomicInteger calls = new AtomicInteger();
        Parallel.forRange(10, 10, (s, e) -> {
            assertSame(caller, Thread.currentThread());
            calls.incrementAndGet();
        });
        assertEquals(1, calls.get());
        Parallel.forTasks(1, i -> assertSame(caller, Thread.currentThread()));
    }

    @Test
    void nestedCallsRunInlineWithoutDeadlock() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            AtomicLong sum = new AtomicLong();
            Parallel.forRange(8, 1, (s, e) -> {
                for (int i = s; i < e; i++) {
                    Parallel.forRange(100, 1, (s2, e2) -> {
                        long local = 0;
                        for (int j = s2; j < e2; j++) local += j;
                        sum.addAndGet(local);
                    });
                    Parallel.forTasks(3, t -> sum.addAndGet(t));
                }
            });
            assertEquals(8L * (4950 + 3), sum.get());
        });
    }

    @Test
    void workerExceptionIsRethrownInCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                Parallel.forRange(1000, 1, (s, end) -> {
                    if (end == 1000) throw new IllegalStateException("boom at " + s);
                }));
        assertTrue(e.getMessage().startsWith("boom"));
        assertThrows(ArithmeticException.class, () -> Parallel.forTasks(16, t -> {
            if (t == 15) throw new ArithmeticException("task 15");
        }));
        // the pool stays usable after a failure
        AtomicInteger count = new AtomicInteger();
        Parallel.forTasks(16, t -> count.incrementAndGet());
        assertEquals(16, count.get());
    }

    @Test
    void forTasksRunsEachTaskOnce() {
        for (int tasks : new int[] {0, 1, 2, 3, 17, 256}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, tasks));
            Parallel.forTasks(tasks, t -> hits.incrementAndGet(t));
            for (int t = 0; t < tasks; t++) assertEquals(1, hits.get(t), "tasks=" + tasks + " t=" + t);
        }
    }

    @Test
    void concurrentCallersBothComplete() throws InterruptedException {
        int n = 20_000;
        long expected = (long) n * (n - 1) / 2;
        AtomicLong[] sums = {new AtomicLong(), new AtomicLong()};
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        Thread[] ts = new Thread[2];
        for (int c = 0; c < 2; c++) {
            AtomicLong sum = sums[c];
            ts[c] = new Thread(() -> {
                try {
                    for (int rep = 0; rep < 200; rep++) {
                        Parallel.forRange(n, 100, (s, e) -> {
                            long local = 0;
                            for (int i = s; i < e; i++) local += i;
                            sum.addAndGet(local);
                        });
                    }
                } catch (Throwable t) {
                    errors.add(t);
                }
            });
            ts[c].start();
        }
        for (Thread t : ts) t.join(60_000);
        assertTrue(errors.isEmpty(), errors.toString());
        assertEquals(200 * expected, sums[0].get());
        assertEquals(200 * expected, sums[1].get());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.forRange(-1, 1, (s, e) -> {}));
        assertThrows(IllegalArgumentException.class, () -> Parallel.forRange(10, 0, (s, e) -> {}));
        assertThrows(IllegalArgumentException.class, () -> Parallel.forTasks(-1, t -> {}));
    }

    private static List<String> chunks(int n, int grain, int threads) {
        List<String> out = Collections.synchronizedList(new ArrayList<>());
        Parallel.forRange(n, grain, (s, e) -> out.add(s + "-" + e), threads);
        List<String> sorted = new ArrayList<>(out);
        sorted.sort((x, y) -> Integer.compare(Integer.parseInt(x.split("-")[0]), Integer.parseInt(y.split("-")[0])));
        // contiguous: each chunk starts where the previous ended
        int prev = 0;
        for (String c : sorted) {
            String[] p = c.split("-");
            assertEquals(prev, Integer.parseInt(p[0]), "gap or overlap in " + sorted);
            prev = Integer.parseInt(p[1]);
        }
        assertEquals(n, prev);
        return sorted;
    }
}
