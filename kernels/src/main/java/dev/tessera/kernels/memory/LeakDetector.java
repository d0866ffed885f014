package dev.tessera.kernels.memory;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reports device memory returned by the garbage collector (through a {@link java.lang.ref.Cleaner})
 * instead of by a {@link Scope} or an explicit release: the memory is never lost, but holding it
 * until a GC is how native-memory pressure builds up, so it is made visible.
 *
 * <p>Mode from {@code -Dtessera.cuda.leaks}: {@code off}; {@code count} (default: counted in
 * {@link MemoryStats#collectedBlocks()} and one log line the first time); {@code trace} (every
 * allocation records its stack, and every collected block is logged at WARNING with that stack).
 */
final class LeakDetector {
    /** What to do about collected blocks. */
    public enum Mode {
        /** Collected blocks are freed silently. */
        OFF,
        /** Collected blocks are counted and the first one is logged. */
        COUNT,
        /** Every allocation records its stack; every collected block is logged with it. */
        TRACE
    }

    private static final System.Logger LOG = System.getLogger("dev.tessera.kernels.memory");
    private static final int KEPT_REPORTS = 64;
    private static volatile Mode mode = parse(System.getProperty("tessera.cuda.leaks", "count"));
    private static final AtomicLong reported = new AtomicLong();
    private static final AtomicBoolean hinted = new AtomicBoolean();
    private static final ArrayDeque<String> recent = new ArrayDeque<>();

    private LeakDetector() {}

    private static Mode parse(String s) {
        try {
            return Mode.valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Mode.COUNT;
        }
    }

    /** The current mode. */
    public static Mode mode() {
        return mode;
    }

    /** Changes the mode (affects allocations made afterwards). */
    public static void setMode(Mode m) {
        mode = m;
    }

    /** The allocation site to remember for a new block: a stack in TRACE mode, else null. */
    public static Throwable site() {
        return mode == Mode.TRACE ? new Throwable("device memory allocated here") : null;
    }

    /** Called by the Cleaner for a block that was never released. */
    static void collected(long bytes, Throwable site) {
        if (mode == Mode.OFF) return;
        reported.incrementAndGet();
        String msg = String.format("device memory of %d bytes was freed by the garbage collector, not by a Scope", bytes);
        if (site != null) {
            StringBuilder b = new StringBuilder(msg).append("; allocated at:");
            for (StackTraceElement e : site.getStackTrace()) b.append("\n\tat ").append(e);
            msg = b.toString();
            LOG.log(System.Logger.Level.WARNING, msg);
        } else if (hinted.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.INFO, msg + " (further ones are only counted; run with "
                    + "-Dtessera.cuda.leaks=trace to log where each was allocated)");
        }
        synchronized (recent) {
            if (recent.size() == KEPT_REPORTS) recent.removeFirst();
            recent.addLast(msg);
        }
    }

    /** Number of collected blocks reported so far. */
    public static long reportedCount() {
        return reported.get();
    }

    /** The most recent reports (at most 64), oldest first. */
    public static List<String> recentReports() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }
}
