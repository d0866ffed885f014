package dev.tessera.nn.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows training progress: steps done of the total, the latest loss, the rate and the ETA.
 *
 * <p>{@link Mode#AUTO} draws a console bar (me.tongfei:progressbar) when the console is a terminal
 * and otherwise prints one plain line every {@code interval} (default 30 s), so redirected logs get
 * a few readable lines instead of carriage-return noise. {@link Mode#QUIET} prints nothing.
 *
 * <pre>{@code
 * try (var p = Progress.start("train", totalSteps, startStep)) {
 *     for (...) { ...; p.step(step + 1, loss); }
 * }
 * }</pre>
 */
public final class Progress implements AutoCloseable {
    /** How progress is shown. */
    public enum Mode {
        /** A bar on a terminal, plain lines otherwise. */
        AUTO,
        /** Always a bar. */
        BAR,
        /** Plain periodic lines. */
        LINES,
        /** Nothing. */
        QUIET
    }

    private final String task;
    private final long total;
    private final long startStep;
    private final PrintStream log;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final long startNanos;
    private final ProgressBar bar;
    private final boolean lines;
    private long nextLine;
    private long done;
    private double loss = Double.NaN;
    private boolean closed;

    /**
     * A progress display.
     *
     * @param task           the label
     * @param total          the step count at the end
     * @param startStep      the step at which this run starts (after a resume); rate and ETA count from it
     * @param mode           how to show it ({@link Mode#AUTO} picks by the console)
     * @param log            where the bar or the plain lines go
     * @param intervalMillis the time between plain lines
     * @param nanoTime       the clock (System::nanoTime outside tests)
     */
    public Progress(String task, long total, long startStep, Mode mode, PrintStream log, long intervalMillis, LongSupplier nanoTime) {
        if (total < 0 || startStep < 0 || startStep > total)
            throw new IllegalArgumentException("Progress: need 0 <= startStep <= total, got startStep=" + startStep + " total=" + total);
        this.task = task;
        this.total = total;
        this.startStep = startStep;
        this.log = log;
        this.intervalNanos = Math.max(0, intervalMillis) * 1_000_000L;
        this.nanoTime = nanoTime;
        this.startNanos = nanoTime.getAsLong();
        this.nextLine = startNanos + intervalNanos;
        this.done = startStep;
        Mode m = mode == Mode.AUTO ? (isTerminal() ? Mode.BAR : Mode.LINES) : mode;
        this.lines = m == Mode.LINES;
        this.bar = m == Mode.BAR
                ? new ProgressBarBuilder().setTaskName(task).setInitialMax(total).startsFrom(startStep, java.time.Duration.ZERO)
                        .setStyle(ProgressBarStyle.ASCII).showSpeed().setUnit(" step", 1).setUpdateIntervalMillis(250)
                        .setConsumer(new ConsoleProgressBarConsumer(log)).build()
                : null;
    }

    /** An {@link Mode#AUTO} display on standard error with a plain line every 30 seconds. */
    public static Progress start(String task, long total, long startStep) {
        return new Progress(task, total, startStep, Mode.AUTO, System.err, 30_000, System::nanoTime);
    }

    /** Whether standard output is an interactive terminal. */
    public static boolean isTerminal() {
        var c = System.console();
        return c != null && c.isTerminal();
    }

    /** Records that {@code step} steps are done and the latest loss (NaN when unknown). */
    public void step(long step, double loss) {
        if (closed) return;
        this.done = step;
        this.loss = loss;
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(Double.isNaN(loss) ? "" : String.format(Locale.ROOT, "loss %.4g", loss));
        } else if (lines) {
            long now = nanoTime.getAsLong();
            if (now - nextLine >= 0 || step >= total) {
                log.println(line(now));
                nextLine = now + intervalNanos;
            }
        }
    }

    /** The plain progress line at time {@code now}: step, percentage, loss, rate, elapsed and ETA. */
    String line(long now) {
        double secs = (now - startNanos) / 1e9;
        long run = done - startStep;
        double rate = secs > 0 ? run / secs : Double.NaN;
        double eta = rate > 0 ? (total - done) / rate : Double.NaN;
        return String.format(Locale.ROOT, "%s: step %d/%d (%.1f%%) loss %s, %s steps/s, elapsed %s, ETA %s", task, done, total,
                total == 0 ? 100.0 : 100.0 * done / total, Double.isNaN(loss) ? "?" : String.format(Locale.ROOT, "%.4g", loss),
                Double.isNaN(rate) ? "?" : String.format(Locale.ROOT, "%.2f", rate), hms(secs), Double.isNaN(eta) ? "?" : hms(eta));
    }

    /** Seconds as {@code h:mm:ss}. */
    static String hms(double secs) {
        long s = Math.round(secs);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    /** Ends the display (the bar's refresh thread stops). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (bar != null) bar.close();
    }
}
