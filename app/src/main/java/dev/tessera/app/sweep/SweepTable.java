package dev.tessera.app.sweep;

import dev.tessera.tensor.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results of a sweep, one row per run, ranked by validation loss (lowest first; runs without a finite
 * validation loss last, in run order). Printed as an aligned text table and written as CSV.
 *
 * <pre>{@code
 * var table = new SweepTable(List.of("lr", "attention"));
 * table.add(new SweepTable.Row(1, Map.of("lr", "1e-3", "attention", "mha"), 52_000, 0.012, 0.015, 0.014, 31.2, "ok", "run-01"));
 * System.out.print(table.format());
 * table.writeCsv(Path.of("runs/sweep/sweep.csv"));
 * }</pre>
 */
public final class SweepTable {
    /** The CSV header after the grid keys. */
    public static final List<String> RESULT_COLUMNS = List.of("params", "train_loss", "val_loss", "best_val_loss", "time_s", "status", "run_dir");

    /**
     * One run.
     *
     * @param run         1-based run number in grid order
     * @param point       its grid values by key
     * @param params      trainable parameters (0 when the run failed before building its model)
     * @param trainLoss   final training loss (NaN when unknown)
     * @param valLoss     final validation loss (NaN when unknown)
     * @param bestValLoss best validation loss (NaN when unknown)
     * @param seconds     wall time
     * @param status      "ok", or why the run failed
     * @param runDir      the run folder
     */
    public record Row(int run, Map<String, String> point, long params, double trainLoss, double valLoss, double bestValLoss, double seconds,
                      String status, String runDir) {}

    private final List<String> keys;
    private final List<Row> rows = new ArrayList<>();

    /** A table with one column per grid key. */
    public SweepTable(List<String> keys) {
        this.keys = List.copyOf(keys);
    }

    /** Adds a run (it must carry a value for every key). */
    public void add(Row row) {
        for (String k : keys) {
            if (!row.point().containsKey(k)) throw new IllegalArgumentException("SweepTable.add: run " + row.run() + " has no value for '" + k + "'");
        }
        rows.add(row);
    }

    /** The rows ranked by validation loss (non-finite last, ties and failures in run order). */
    public List<Row> ranked() {
        List<Row> r = new ArrayList<>(rows);
        r.sort(Comparator.comparing((Row x) -> !Double.isFinite(x.valLoss())).thenComparingDouble(x -> Double.isFinite(x.valLoss()) ? x.valLoss() : 0)
                .thenComparingInt(Row::run));
        return r;
    }

    /** The ranked table as aligned text: rank, the grid keys, params, train loss, val loss, time, status. */
    public String format() {
        List<String> head = new ArrayList<>();
        head.add("rank");
        head.addAll(keys);
        head.addAll(List.of("params", "train loss", "val loss", "time (s)", "status"));
        List<List<String>> cells = new ArrayList<>();
        int rank = 1;
        for (Row r : ranked()) {
            List<String> c = new ArrayList<>();
            c.add(Integer.toString(rank++));
            for (String k : keys) c.add(r.point().get(k));
            c.add(String.format(Locale.ROOT, "%,d", r.params()));
            c.add(num(r.trainLoss()));
            c.add(num(r.valLoss()));
            c.add(String.format(Locale.ROOT, "%.1f", r.seconds()));
            c.add(r.status());
            cells.add(c);
        }
        int[] w = new int[head.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = head.get(i).length();
            for (List<String> c : cells) w[i] = Math.max(w[i], c.get(i).length());
        }
        StringBuilder b = new StringBuilder();
        line(b, head, w);
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < w.length; i++) rule.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
        b.append(rule).append('\n');
        for (List<String> c : cells) line(b, c, w);
        return b.toString();
    }

    /** Writes the ranked table as CSV (RFC 4180, full-precision numbers) to a temporary sibling, then renames it into place. */
    public void writeCsv(Path file) {
        StringBuilder b = new StringBuilder();
        List<String> head = new ArrayList<>();
        head.add("rank");
        head.add("run");
        head.addAll(keys);
        head.addAll(RESULT_COLUMNS);
        b.append(String.join(",", head.stream().map(SweepTable::csv).toList())).append('\n');
        int rank = 1;
        for (Row r : ranked()) {
            List<String> c = new ArrayList<>();
            c.add(Integer.toString(rank++));
            c.add(Integer.toString(r.run()));
            for (String k : keys) c.add(r.point().get(k));
            c.add(Long.toString(r.params()));
            c.add(Double.toString(r.trainLoss()));
            c.add(Double.toString(r.valLoss()));
            c.add(Double.toString(r.bestValLoss()));
            c.add(String.format(Locale.ROOT, "%.3f", r.seconds()));
            c.add(r.status());
            c.add(r.runDir());
            b.append(String.join(",", c.stream().map(SweepTable::csv).toList())).append('\n');
        }
        try {
            AtomicFiles.writeString(file, b.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("SweepTable: cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** One line: grid values and status left-aligned, numbers right-aligned; no trailing blanks. */
    private void line(StringBuilder b, List<String> cells, int[] w) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String s = cells.get(i);
            boolean left = (i >= 1 && i <= keys.size()) || i == cells.size() - 1;
            String pad = " ".repeat(w[i] - s.length());
            l.append(i == 0 ? "" : "  ").append(left ? s + pad : pad + s);
        }
        b.append(l.toString().stripTrailing()).append('\n');
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.5g", v) : "-";
    }

    /** Quotes a CSV field when it holds a comma, a quote or a line break. */
    static String csv(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
