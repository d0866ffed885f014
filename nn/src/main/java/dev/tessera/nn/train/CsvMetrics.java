package dev.tessera.nn.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes scalar metrics to a CSV file (RFC 4180, comma-separated, {@code \n} line ends, values as
 * Java's shortest round-trip decimal, for example {@code 0.125} or {@code 1.0E-4}).
 *
 * <ul>
 *   <li><b>Long format</b> ({@link #longFormat(Path)}): header {@code step,tag,value}, one row per
 *       {@link #scalar} call, in call order. Any tag may appear at any time.</li>
 *   <li><b>Wide format</b> ({@link #wideFormat(Path, List)}): header {@code step,<col1>,<col2>,...}
 *       with the columns fixed up front, one row per step. Values of one step are gathered until a
 *       scalar with a different step arrives, or {@link #flush()}/{@link #close()}; a column without a
 *       value in that step is left empty. A tag outside the columns is an error.</li>
 * </ul>
 * An existing file is appended to (a resumed run continues its log) when its header matches;
 * otherwise it is an error. Steps logged after the last checkpoint of a crashed run appear again
 * after the resume.
 */
public final class CsvMetrics implements MetricsSink {
    private final Path path;
    private final BufferedWriter out;
    private final List<String> columns; // null in long format
    private final Map<String, Double> pending = new LinkedHashMap<>();
    private long pendingStep = -1;
    private boolean closed;

    private CsvMetrics(Path path, List<String> columns) {
        this.path = path;
        this.columns = columns;
        String header = columns == null ? "step,tag,value" : "step," + String.join(",", columns.stream().map(CsvMetrics::quote).toList());
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            boolean fresh = !Files.exists(path) || Files.size(path) == 0;
            if (!fresh) {
                String first;
                try (var r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                    first = r.readLine();
                }
                if (!header.equals(first))
                    throw new IllegalArgumentException("CsvMetrics: " + path + " has header '" + first + "', expected '" + header + "'");
            }
            out = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            if (fresh) {
                out.write(header);
                out.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("CsvMetrics: cannot open " + path + ": " + e.getMessage(), e);
        }
    }

    /** A long-format log ({@code step,tag,value}) at {@code path}. */
    public static CsvMetrics longFormat(Path path) {
        return new CsvMetrics(path, null);
    }

    /** A wide-format log ({@code step,<columns...>}) at {@code path}. */
    public static CsvMetrics wideFormat(Path path, List<String> columns) {
        if (columns.isEmpty()) throw new IllegalArgumentException("CsvMetrics.wideFormat: no columns");
        if (columns.stream().distinct().count() != columns.size())
            throw new IllegalArgumentException("CsvMetrics.wideFormat: duplicate columns in " + columns);
        return new CsvMetrics(path, List.copyOf(columns));
    }

    /** The file written. */
    public Path path() {
        return path;
    }

    @Override
    public synchronized void scalar(String tag, long step, double value) {
        if (closed) throw new IllegalStateException("CsvMetrics.scalar: " + path + " is closed");
        try {
            if (columns == null) {
                out.write(step + "," + quote(tag) + "," + value + "\n");
                return;
            }
            if (!columns.contains(tag))
                throw new IllegalArgumentException("CsvMetrics.scalar: tag '" + tag + "' is not a column of " + path + " " + columns);
            if (step != pendingStep) writePending();
            pendingStep = step;
            pending.put(tag, value);
        } catch (IOException e) {
            throw new UncheckedIOException("CsvMetrics: writing " + path + " failed: " + e.getMessage(), e);
        }
    }

    private void writePending() throws IOException {
        if (pending.isEmpty()) return;
        StringBuilder row = new StringBuilder().append(pendingStep);
        for (String c : columns) {
            row.append(',');
            Double v = pending.get(c);
            if (v != null) row.append(v.doubleValue());
        }
        out.write(row.append('\n').toString());
        pending.clear();
    }

    @Override
    public synchronized void flush() {
        if (closed) return;
        try {
            if (columns != null) writePending();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("CsvMetrics: flushing " + path + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        try {
            flush();
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("CsvMetrics: closing " + path + " failed: " + e.getMessage(), e);
        } finally {
            closed = true;
        }
    }

    /** Quotes a field when it holds a comma, quote or line break (RFC 4180). */
    static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    @Override
    public String toString() {
        return "CsvMetrics[" + path + (columns == null ? ", long" : ", wide " + Arrays.toString(new ArrayList<>(columns).toArray())) + "]";
    }
}
