package dev.tessera.app.plot;

import dev.tessera.tensor.io.AtomicFiles;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts for the recipes' reports: line charts of curves, scatter plots of predictions against
 * targets, and histograms. Rendering is headless; every file is written to a temporary sibling and then
 * renamed, so a reader never sees a half-written PNG.
 *
 * <pre>{@code
 * Plots.lines(out.resolve("loss.png"), "Loss", "step", "loss",
 *         Map.of("train", new Plots.Series(steps, train), "val", new Plots.Series(steps, val)), true);
 * Plots.scatter(out.resolve("pred.png"), "Predicted vs true", "true", "predicted", truth, pred, true);
 * }</pre>
 */
public final class Plots {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 600;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {}

    /** One named curve: x and y of equal length. */
    public record Series(double[] x, double[] y) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("Series: x has " + x.length + " points but y has " + y.length);
            }
        }

        /** A curve over x = 0, 1, 2, ... */
        public static Series of(double[] y) {
            double[] x = new double[y.length];
            for (int i = 0; i < x.length; i++) x[i] = i;
            return new Series(x, y);
        }
    }

    /**
     * Writes a line chart with one line per entry of {@code series} (in the map's iteration order).
     *
     * @param logY plot the y axis on a log scale (non-positive values are dropped from such a chart)
     */
    public static void lines(Path file, String title, String xLabel, String yLabel, Map<String, Series> series, boolean logY) {
        if (series.isEmpty()) throw new IllegalArgumentException("Plots.lines: series is empty");
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        style(chart.getStyler());
        // below the plot: inside it, the legend hides whatever curve runs through the top-right corner
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setYAxisLogarithmic(logY);
        for (var e : series.entrySet()) {
            Series s = logY ? positive(e.getValue()) : e.getValue();
            if (s.x().length == 0) continue;
            XYSeries xy = chart.addSeries(e.getKey(), s.x(), s.y());
            xy.setMarker(SeriesMarkers.NONE);
        }
        write(chart, file);
    }

    /**
     * Writes a scatter plot of {@code predicted} against {@code truth}, with the identity line when
     * {@code identityLine} is set.
     */
    public static void scatter(Path file, String title, String xLabel, String yLabel, double[] truth, double[] predicted, boolean identityLine) {
        Map<String, Series> groups = new LinkedHashMap<>();
        groups.put("predictions", new Series(truth, predicted));
        scatterGroups(file, title, xLabel, yLabel, groups, identityLine);
    }

    /** A scatter plot with one colour per group (e.g. one per (n, k, m) group), plus the identity line if asked. */
    public static void scatterGroups(Path file, String title, String xLabel, String yLabel, Map<String, Series> groups, boolean identityLine) {
        if (groups.isEmpty()) throw new IllegalArgumentException("Plots.scatterGroups: groups is empty");
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        style(chart.getStyler());
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(4);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (var e : groups.entrySet()) {
            Series s = e.getValue();
            if (s.x().length == 0) continue;
            chart.addSeries(e.getKey(), s.x(), s.y());
            for (int i = 0; i < s.x().length; i++) {
                lo = Math.min(lo, Math.min(s.x()[i], s.y()[i]));
                hi = Math.max(hi, Math.max(s.x()[i], s.y()[i]));
            }
        }
        if (identityLine && lo < hi) {
            XYSeries id = chart.addSeries("y = x", new double[] {lo, hi}, new double[] {lo, hi});
            id.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            id.setMarker(SeriesMarkers.NONE);
            id.setLineColor(Color.DARK_GRAY);
        }
        write(chart, file);
    }

    /** A histogram of {@code values} with {@code bins} equal-width bins over [min, max] of the data. */
    public static void histogram(Path file, String title, String xLabel, Map<String, double[]> values, int bins) {
        if (bins < 1) throw new IllegalArgumentException("Plots.histogram: bins must be >= 1, got " + bins);
        if (values.isEmpty()) throw new IllegalArgumentException("Plots.histogram: values is empty");
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] v : values.values()) for (double d : v) { lo = Math.min(lo, d); hi = Math.max(hi, d); }
        if (!(lo <= hi)) { lo = 0; hi = 1; }
        if (lo == hi) hi = lo + 1;
        double width = (hi - lo) / bins;
        List<String> centres = new ArrayList<>();
        for (int b = 0; b < bins; b++) centres.add(String.format("%.3g", lo + (b + 0.5) * width));
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xLabel).yAxisTitle("count").build();
        style(chart.getStyler());
        chart.getStyler().setOverlapped(values.size() > 1);
        chart.getStyler().setXAxisLabelRotation(45);
        for (var e : values.entrySet()) {
            List<Integer> counts = new ArrayList<>();
            int[] c = new int[bins];
            for (double d : e.getValue()) c[Math.min(bins - 1, (int) ((d - lo) / width))]++;
            for (int x : c) counts.add(x);
            chart.addSeries(e.getKey(), centres, counts);
        }
        write(chart, file);
    }

    private static Series positive(Series s) {
        int n = 0;
        for (double v : s.y()) if (v > 0) n++;
        double[] x = new double[n], y = new double[n];
        for (int i = 0, j = 0; i < s.y().length; i++) {
            if (s.y()[i] > 0) { x[j] = s.x()[i]; y[j++] = s.y()[i]; }
        }
        return new Series(x, y);
    }

    private static void style(Styler styler) {
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setLegendPosition(Styler.LegendPosition.InsideNE);
        styler.setAntiAlias(true);
    }

    private static void write(Chart<?, ?> chart, Path file) {
        if (!file.getFileName().toString().endsWith(".png")) {
            throw new IllegalArgumentException("Plots: file must end in .png, got " + file);
        }
        try {
            AtomicFiles.write(file, tmp -> BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException("Plots: could not write " + file, e);
        }
    }
}
