package dev.tessera.app.mheight;

import dev.tessera.app.plot.Plots;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The m-height recipe's PNG charts: loss curves of every phase (training and validation) and
 * predicted against true log2 h with one colour per (n, k, m) group.
 *
 * <pre>{@code
 * Reports.lossCurves(run.resolve("loss.png"), trainer.history());
 * Reports.predictedVsTrue(run.resolve("pred-vs-true-val.png"), "validation", val, pred);
 * }</pre>
 */
public final class Reports {
    /** Points drawn per scatter chart at most (a deterministic stride thins larger sets). */
    public static final int MAX_SCATTER_POINTS = 20_000;

    private Reports() {
    }

    /**
     * Writes the loss curves: one line per phase and split ({@code main train}, {@code main val},
     * {@code booster train}, ...) over the global step (linear scale: log ticks are too sparse for one decade). Returns false (and writes nothing)
     * when the history is empty.
     */
    public static boolean lossCurves(Path file, LossHistory history) {
        Map<String, Plots.Series> series = new LinkedHashMap<>();
        for (String phase : history.phases()) {
            for (String split : List.of(LossHistory.TRAIN, LossHistory.VAL)) {
                double[][] c = history.curve(phase, split);
                if (c[0].length == 0) continue;
                String label = phase + " " + split + (split.equals(LossHistory.TRAIN) && phase.equals("booster") ? " (hard rows)" : "");
                series.put(label, new Plots.Series(c[0], c[1]));
            }
        }
        if (series.isEmpty()) return false;
        Plots.lines(file, "m-height training: weighted batch loss (train) and macro log2-MSE (val)", "step", "loss (log2-MSE)", series, false);
        return true;
    }

    /**
     * Writes predicted against true log2 h for {@code rows}, one colour per (n, k, m) group, with the
     * identity line; {@code title} names the set. Rows with a non-finite label are left out.
     */
    public static void predictedVsTrue(Path file, String title, Rows rows, double[] predLog2) {
        if (predLog2.length != rows.size()) {
            throw new IllegalArgumentException("Reports.predictedVsTrue: " + predLog2.length + " predictions for " + rows.size() + " rows");
        }
        int stride = Math.max(1, (rows.size() + MAX_SCATTER_POINTS - 1) / MAX_SCATTER_POINTS);
        Map<Integer, List<double[]>> byGroup = new TreeMap<>();
        for (int i = 0; i < rows.size(); i += stride) {
            double y = rows.log2h()[i];
            if (!Double.isFinite(y) || !Double.isFinite(predLog2[i])) continue;
            byGroup.computeIfAbsent(rows.group(i), g -> new ArrayList<>()).add(new double[] {y, predLog2[i]});
        }
        Map<String, Plots.Series> groups = new LinkedHashMap<>();
        byGroup.forEach((g, pts) -> {
            double[] x = new double[pts.size()], y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = pts.get(i)[0];
                y[i] = pts.get(i)[1];
            }
            groups.put(String.format("n=%d k=%d m=%d", g / 10000, g / 100 % 100, g % 100), new Plots.Series(x, y));
        });
        if (groups.isEmpty()) throw new IllegalArgumentException("Reports.predictedVsTrue: no finite rows to plot for " + title);
        String shown = stride == 1 ? rows.size() + " rows" : "every " + stride + "th of " + rows.size() + " rows";
        Plots.scatterGroups(file, "Predicted vs true log2 m-height, " + title + " (" + shown + ")", "true log2 h", "predicted log2 h", groups, true);
    }
}
