package dev.tessera.app.mheight;

import java.util.Map;
import java.util.TreeMap;

/**
 * A second baseline beside the per-group constant: per (n, k, m) group, the least-squares line
 * {@code log2 h ~ a + b log2 bound} on the {@link Features#log2LowerBound minimum-support bound}, fitted on
 * the training rows. It shows what the network adds over its strongest input feature alone.
 */
public final class BoundFit {
    private final Map<Integer, double[]> lines;

    private BoundFit(Map<Integer, double[]> lines) {
        this.lines = lines;
    }

    /** Fits one line per group of {@code rows} ({@code log2Bounds} as from {@link Features#log2LowerBounds}); rows with an infinite bound are left out. */
    public static BoundFit fit(Rows rows, double[] log2Bounds) {
        if (log2Bounds.length != rows.size()) {
            throw new IllegalArgumentException("BoundFit.fit: " + log2Bounds.length + " bounds for " + rows.size() + " rows");
        }
        Map<Integer, double[]> sums = new TreeMap<>();   // [count, sum x, sum y, sum xx, sum xy]
        for (int i = 0; i < rows.size(); i++) {
            double x = log2Bounds[i], y = rows.log2h()[i];
            if (!Double.isFinite(x) || !Double.isFinite(y)) continue;
            double[] s = sums.computeIfAbsent(rows.group(i), g -> new double[5]);
            s[0]++;
            s[1] += x;
            s[2] += y;
            s[3] += x * x;
            s[4] += x * y;
        }
        Map<Integer, double[]> lines = new TreeMap<>();
        sums.forEach((g, s) -> {
            double mx = s[1] / s[0], my = s[2] / s[0];
            double vxx = s[3] / s[0] - mx * mx, vxy = s[4] / s[0] - mx * my;
            double slope = vxx > 1e-12 * Math.max(1, mx * mx) ? vxy / vxx : 0;   // a constant bound in the group: the group mean
            lines.put(g, new double[] {my - slope * mx, slope});
        });
        return new BoundFit(lines);
    }

    /** The fitted lines' predictions of log2 h; a group absent from the training rows gets its bound itself. */
    public double[] predict(Rows rows, double[] log2Bounds) {
        if (log2Bounds.length != rows.size()) {
            throw new IllegalArgumentException("BoundFit.predict: " + log2Bounds.length + " bounds for " + rows.size() + " rows");
        }
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            double[] line = lines.get(rows.group(i));
            out[i] = line == null ? log2Bounds[i] : line[0] + line[1] * log2Bounds[i];
        }
        return out;
    }
}
