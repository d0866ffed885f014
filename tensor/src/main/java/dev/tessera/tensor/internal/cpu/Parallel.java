package dev.tessera.tensor.internal.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The CPU backend's thread pool: {@link CpuConfig#threads()} participants, of which the calling
 * thread is one and the rest are persistent daemon workers.
 *
 * <p>Work is handed over by publishing one job that every participant pulls chunk indices from;
 * workers spin briefly before parking so that back-to-back small jobs (the common case in a
 * training step) do not pay a futex wake-up each. How a range is cut into chunks depends only on
 * the range, the grain and the thread count, never on which thread runs which chunk, so results
 * are reproducible. Calls made from inside a job (nested parallelism) run inline on the calling
 * thread; a call made while another thread owns the pool also runs inline instead of waiting.
 */
public final class Parallel {

    /** A body over a contiguous half-open index range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        /** Processes indices {@code start} (inclusive) to {@code end} (exclusive). */
        void run(int start, int end);
    }

    private static final int THREADS = CpuConfig.threads();
    /** Spin iterations before a waiting thread parks; roughly tens of microseconds. */
    private static final int SPINS = 20_000;
    private static final ReentrantLock OWNER = new ReentrantLock();
    private static volatile Job current;
    private static final Worker[] WORKERS = startWorkers();

    private Parallel() {}

    /** Number of threads jobs are spread over (the caller included), at least 1. */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over {@code [0, n)}, split into at most {@link #threads()} contiguous
     * chunks when {@code n > grain}; otherwise runs {@code body.run(0, n)} on the caller.
     *
     * @param n     range length, at least 0
     * @param grain the largest range that is not worth splitting, at least 1
     * @param body  the work; exceptions thrown by any chunk are rethrown here
     */
    public static void forRange(int n, int grain, RangeBody body) {
        forRange(n, grain, body, THREADS);
    }

    /** Like {@link #forRange(int, int, RangeBody)}, with the split computed for {@code threads} threads. */
    static void forRange(int n, int grain, RangeBody body, int threads) {
        if (n < 0) throw new IllegalArgumentException("Parallel.forRange: n must be >= 0, got " + n);
        if (grain < 1) throw new IllegalArgumentException("Parallel.forRange: grain must be >= 1, got " + grain);
        if (n == 0) return;
        int chunks = chunkCount(n, grain, threads);
        if (chunks == 1) {
            body.run(0, n);
            return;
        }
        run(chunks, c -> body.run(chunkStart(n, chunks, c), chunkStart(n, chunks, c + 1)));
    }

    /**
     * Runs {@code task.accept(i)} for every {@code i} in {@code [0, tasks)} over the pool; inline on
     * the caller when {@code tasks == 1} or there is one thread. Tasks are taken dynamically, so
     * a task must not depend on which thread runs it.
     */
    public static void forTasks(int tasks, IntConsumer task) {
        if (tasks < 0) throw new IllegalArgumentException("Parallel.forTasks: tasks must be >= 0, got " + tasks);
        if (tasks == 0) return;
        if (tasks == 1 || THREADS == 1) {
            for (int i = 0; i < tasks; i++) task.accept(i);
            return;
        }
        run(tasks, task);
    }

    /** Number of chunks {@code forRange} uses: depends only on its arguments. */
    static int chunkCount(int n, int grain, int threads) {
        if (n <= grain || threads <= 1) return 1;
        long wanted = ((long) n + grain - 1) / grain;
        return (int) Math.min(threads, wanted);
    }

    /** Start of chunk {@code c} of {@code chunks} over {@code [0, n)}; chunk sizes differ by at most 1. */
    static int chunkStart(int n, int chunks, int c) {
        return (int) ((long) n * c / chunks);
    }

    /** True when the current thread is already executing inside a pool job. */
    static boolean insideJob() {
        return Thread.currentThread() instanceof Worker || OWNER.isHeldByCurrentThread();
    }

    private static void run(int count, IntConsumer task) {
        if (WORKERS.length == 0 || insideJob() || !OWNER.tryLock()) {
            for (int i = 0; i < count; i++) task.accept(i);
            return;
        }
        try {
            Job job = new Job(count, task, Thread.currentThread());
            current = job;
            for (Worker w : WORKERS) LockSupport.unpark(w);
            job.participate();
            job.awaitDone();
            current = null;
            job.rethrow();
        } finally {
            OWNER.unlock();
        }
    }

    private static Worker[] startWorkers() {
        Worker[] ws = new Worker[Math.max(0, THREADS - 1)];
        for (int i = 0; i < ws.length; i++) {
            ws[i] = new Worker(i + 1);
            ws[i].start();
        }
        return ws;
    }

    /** One published unit of work: {@code count} indices handed out one at a time. */
    private static final class Job {
        final int count;
        final IntConsumer task;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(int count, IntConsumer task, Thread caller) {
            this.count = count;
            this.task = task;
            this.caller = caller;
        }

        void participate() {
            int i;
            while ((i = next.getAndIncrement()) < count) {
                try {
                    task.accept(i);
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                }
                if (done.incrementAndGet() == count && Thread.currentThread() != caller) {
                    LockSupport.unpark(caller);
                }
            }
        }

        void awaitDone() {
            int spins = 0;
            while (done.get() < count) {
                if (spins++ < SPINS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
        }

        void rethrow() {
            Throwable t = failure;
            if (t == null) return;
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException("Parallel: task failed", t);
        }
    }

    /** A persistent pool thread: waits for a new job, helps finish it, waits again. */
    private static final class Worker extends Thread {
        Worker(int index) {
            super("tessera-cpu-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            Job seen = null;
            while (true) {
                Job job;
                int spins = 0;
                while ((job = current) == null || job == seen) {
                    if (spins++ < SPINS) Thread.onSpinWait();
                    else LockSupport.park(Parallel.class);
                }
                seen = job;
                job.participate();
            }
        }
    }
}
