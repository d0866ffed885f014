package dev.tessera.app.mheight;

import java.util.Map;
import java.util.TreeMap;

/**
 * Macro (group-balanced) and row-weighted log2-MSE per (n, k, m) group, beside the per-group-constant
 * baseline and, when given, a second reference prediction (the {@link BoundFit}).
 */
public final class Evaluation {
    private Evaluation() {
    }

    /** Result: model and baseline scores and the ratio of the macro scores. */
    public record Result(double macro, double weighted, double baseMacro, double baseWeighted, String table) {
        /** Model macro MSE / baseline macro MSE. */
        public double ratio() {
            return macro / baseMacro;
        }
    }

    /** Per-group mean of log2 h (the constant baseline), keyed by {@link Rows#group(int)}. */
    public static Map<Integer, Double> groupMeans(Rows rows) {
        Map<Integer, double[]> acc = new TreeMap<>();
        for (int i = 0; i < rows.size(); i++) {
            double[] a = acc.computeIfAbsent(rows.group(i), g -> new double[2]);
            a[0] += rows.log2h()[i];
            a[1]++;
        }
        Map<Integer, Double> means = new TreeMap<>();
        acc.forEach((g, a) -> means.put(g, a[0] / a[1]));
        return means;
    }

    /** Macro log2-MSE: the mean over (n, k, m) groups of each group's mean squared error of {@code pred} (log2). */
    public static double macroMse(Rows rows, double[] pred) {
        if (pred.length != rows.size()) throw new IllegalArgumentException("macroMse: " + pred.length + " predictions for " + rows.size() + " rows");
        Map<Integer, double[]> acc = new TreeMap<>();
        for (int i = 0; i < rows.size(); i++) {
            double e = pred[i] - rows.log2h()[i];
            double[] a = acc.computeIfAbsent(rows.group(i), g -> new double[2]);
            a[0]++;
            a[1] += e * e;
        }
        double sum = 0;
        for (double[] a : acc.values()) sum += a[1] / a[0];
        return acc.isEmpty() ? Double.NaN : sum / acc.size();
    }

    /** Scores predictions {@code pred} (log2) on {@code rows} against the baseline {@code means}. */
    public static Result evaluate(Rows rows, double[] pred, Map<Integer, Double> means) {
        return evaluate(rows, pred, means, null);
    }

    /**
     * As {@link #evaluate(Rows, double[], Map)}, with a "bound fit" column and summary line for the
     * reference predictions {@code boundFit} (log2; null: left out).
     */
    public static Result evaluate(Rows rows, double[] pred, Map<Integer, Double> means, double[] boundFit) {
        if (boundFit != null && boundFit.length != rows.size()) {
            throw new IllegalArgumentException("Evaluation: " + boundFit.length + " bound-fit predictions for " + rows.size() + " rows");
        }
        double all = 0;
        for (double v : means.values()) all += v;
        double fallback = means.isEmpty() ? 0 : all / means.size();
        Map<Integer, double[]> acc = new TreeMap<>();   // [count, model SE, baseline SE, bound-fit SE]
        for (int i = 0; i < rows.size(); i++) {
            int g = rows.group(i);
            double y = rows.log2h()[i];
            double base = means.getOrDefault(g, fallback);
            double[] a = acc.computeIfAbsent(g, x -> new double[4]);
            a[0]++;
            a[1] += (pred[i] - y) * (pred[i] - y);
            a[2] += (base - y) * (base - y);
            if (boundFit != null) a[3] += (boundFit[i] - y) * (boundFit[i] - y);
        }
        StringBuilder sb = new StringBuilder(String.format("%4s %4s %4s %8s %10s %10s %7s", "n", "k", "m", "rows", "model", "baseline", "ratio"));
        sb.append(boundFit == null ? "\n" : String.format(" %10s%n", "bound fit"));
        double macro = 0, baseMacro = 0, fitMacro = 0, se = 0, bse = 0, count = 0;
        for (var e : acc.entrySet()) {
            int g = e.getKey();
            double[] a = e.getValue();
            double mm = a[1] / a[0], bb = a[2] / a[0];
            macro += mm;
            baseMacro += bb;
            fitMacro += a[3] / a[0];
            se += a[1];
            bse += a[2];
            count += a[0];
            sb.append(String.format("%4d %4d %4d %8d %10.4f %10.4f %7.3f", g / 10000, g / 100 % 100, g % 100, (long) a[0], mm, bb, mm / bb));
            sb.append(boundFit == null ? "\n" : String.format(" %10.4f%n", a[3] / a[0]));
        }
        int groups = Math.max(1, acc.size());
        macro /= groups;
        baseMacro /= groups;
        double w = se / Math.max(1, count), bw = bse / Math.max(1, count);
        sb.append(String.format("macro log2-MSE %.4f (baseline %.4f, ratio %.3f); row-weighted %.4f (baseline %.4f, ratio %.3f)%n", macro, baseMacro,
                macro / baseMacro, w, bw, w / bw));
        if (boundFit != null) {
            fitMacro /= groups;
            sb.append(String.format("bound fit (per-group line on the log2 minimum-support bound): macro log2-MSE %.4f, ratio %.3f; model / bound fit %.3f%n",
                    fitMacro, fitMacro / baseMacro, macro / fitMacro));
        }
        return new Result(macro, w, baseMacro, bw, sb.toString());
    }
}
