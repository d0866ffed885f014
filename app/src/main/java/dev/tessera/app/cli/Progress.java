package dev.tessera.app.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows the progress of a long count: a terminal progress bar (rate and ETA) when the console is
 * a terminal, otherwise one plain line with rate and ETA every {@code interval}.
 */
final class Progress implements AutoCloseable {
    private final AtomicLong done;
    private final long total;
    private final Thread ticker;
    private final long start = System.nanoTime();
    private volatile boolean running = true;

    Progress(String task, String unit, long total, AtomicLong done, PrintStream log, Duration interval) {
        this.done = done;
        this.total = total;
        boolean terminal = System.console() != null && System.console().isTerminal();
        ticker = Thread.ofPlatform().daemon().name("progress").unstarted(() -> {
            if (terminal) {
                try (ProgressBar pb = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" " + unit, 1)
                        .setStyle(ProgressBarStyle.ASCII).showSpeed().setUpdateIntervalMillis(250).build()) {
                    while (running) {
                        pb.stepTo(done.get());
                        sleep(250);
                    }
                    pb.stepTo(done.get());
                }
            } else {
                long next = System.nanoTime() + interval.toNanos();
                while (running) {
                    sleep(200);
                    if (System.nanoTime() >= next && running) {
                        log.println(line(task, unit));
                        next += interval.toNanos();
                    }
                }
            }
        });
        ticker.start();
    }

    private String line(String task, String unit) {
        long d = done.get();
        double secs = (System.nanoTime() - start) / 1e9;
        double rate = d / Math.max(secs, 1e-9);
        double eta = rate > 0 ? (total - d) / rate : Double.POSITIVE_INFINITY;
        return String.format("%s: %d/%d %s (%.1f%%), %.0f %s/s, elapsed %s, ETA %s", task, d, total, unit, 100.0 * d / total, rate, unit,
                hms(secs), Double.isFinite(eta) ? hms(eta) : "?");
    }

    static String hms(double secs) {
        long s = Math.round(secs);
        return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            ticker.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
