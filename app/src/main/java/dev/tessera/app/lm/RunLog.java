package dev.tessera.app.lm;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * The training log: every line gets an ISO-8601 UTC timestamp and goes to the console and, when a
 * file is given, is appended to it (a resumed run continues its log).
 */
public final class RunLog implements AutoCloseable {
    private final PrintStream console;
    private final BufferedWriter file;

    /** A log to {@code console} and, when {@code file} is not null, appended to that file. */
    public RunLog(PrintStream console, Path file) {
        this.console = console;
        try {
            if (file != null && file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
            this.file = file == null ? null
                    : Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the log " + file + ": " + e.getMessage(), e);
        }
    }

    /** Logs a formatted line ({@link String#format} in the root locale). */
    public synchronized void printf(String format, Object... args) {
        line(String.format(Locale.ROOT, format, args));
    }

    /** Logs one line (trailing line breaks are dropped). */
    public synchronized void line(String text) {
        String s = Instant.now().truncatedTo(ChronoUnit.SECONDS) + " " + text.stripTrailing();
        console.println(s);
        if (file != null) {
            try {
                file.write(s);
                file.write('\n');
                file.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("writing the log failed: " + e.getMessage(), e);
            }
        }
    }

    /** A stream whose lines go to this log (for components that print). */
    public PrintStream asPrintStream() {
        return new PrintStream(new java.io.OutputStream() {
            private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();

            @Override
            public void write(int b) {
                if (b == '\n') {
                    line(buf.toString(StandardCharsets.UTF_8));
                    buf.reset();
                } else {
                    buf.write(b);
                }
            }
        }, true, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void close() {
        if (file == null) return;
        try {
            file.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing the log failed: " + e.getMessage(), e);
        }
    }
}
