package dev.tessera.app.expert;

import dev.tessera.tensor.io.AtomicFiles;
import dev.tessera.app.plot.Plots;
import dev.tessera.moe.predict.PredictorTrainer;
import dev.tessera.moe.predict.RoutingMetrics;
import dev.tessera.moe.trace.TraceInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The expert-predictor recipe's report: a table per layer and overall (predictor, frequency
 * predictor and random ranking side by side), a CSV of the same numbers and the training-curve
 * PNGs.
 */
public final class PredictorReport {
    private PredictorReport() {}

    /** Definitions printed under the tables. */
    public static final String LEGEND = """
            top-m acc   = mean over tokens of |chosen ∩ predicted top m| / min(k, m): top-1 is the rate at which the predicted first
                          expert is one of the k chosen; for m >= k it is the share of the k chosen found in the top m.
                          random: m k / (E min(k, m)) (k/E for top-1, m/E for m >= k)
            coverage@N  = share of tokens whose k chosen experts all lie in the predicted top N; random: C(N, k) / C(E, k)
            frequency   = always predicting the experts the router chose most often in the training rows
            sizes above E are clipped to E (noted beside the table)""";

    /** The table of one result (a layer's, or the pooled one): predictor, frequency predictor and random ranking per metric. */
    public static String layerTable(String title, RoutingMetrics.Result p, RoutingMetrics.Result f) {
        StringBuilder sb = new StringBuilder();
        sb.append(title).append('\n');
        sb.append(String.format(Locale.ROOT, "  %-14s %10s %10s %10s %8s%n", "metric", "predictor", "frequency", "random", "x random"));
        for (int i = 0; i < p.top().length; i++) {
            row(sb, "top-" + p.top()[i] + " acc" + clip(p.top()[i], p.topEffective()[i]), p.topAccuracy()[i], f.topAccuracy()[i], p.topRandom()[i]);
        }
        for (int i = 0; i < p.coverage().length; i++) {
            row(sb, "coverage@" + p.coverage()[i] + clip(p.coverage()[i], p.coverageEffective()[i]), p.coverageRate()[i], f.coverageRate()[i],
                    p.coverageRandom()[i]);
        }
        if (p.clipped()) sb.append(String.format(Locale.ROOT, "  (*: size clipped to E%s)%n", p.experts() > 0 ? " = " + p.experts() : " of each layer"));
        return sb.toString();
    }

    private static String clip(int requested, int effective) {
        return requested != effective ? "*" : "";
    }

    private static void row(StringBuilder sb, String name, double pred, double freq, double rand) {
        sb.append(String.format(Locale.ROOT, "  %-14s %10.4f %10.4f %10.4f %8s%n", name, pred, freq, rand,
                rand > 0 ? String.format(Locale.ROOT, "%.2f", pred / rand) : "-"));
    }

    /** All layer tables, the overall table (token-weighted) and the legend. */
    public static String tables(TraceInfo info, List<PredictorTrainer.Result> results) {
        StringBuilder sb = new StringBuilder();
        for (PredictorTrainer.Result r : results) {
            TraceInfo.LayerInfo t = info.layer(r.targetLayer());
            String from = r.sourceLayer() == r.targetLayer() ? "its own input" : "the input of layer " + r.sourceLayer() + " ('"
                    + info.layer(r.sourceLayer()).name() + "')";
            sb.append(layerTable(String.format(Locale.ROOT, "layer %d '%s' (E %d, k %d) from %s: %,d held-out tokens, %,d training, %,d steps, %.1f s",
                    r.targetLayer(), t.name(), t.experts(), t.topK(), from, r.valRows(), r.trainRows(), r.steps(), r.seconds()), r.predictor(),
                    r.frequency()));
            sb.append('\n');
        }
        RoutingMetrics.Result p = RoutingMetrics.Result.pooled(results.stream().map(PredictorTrainer.Result::predictor).toList());
        RoutingMetrics.Result f = RoutingMetrics.Result.pooled(results.stream().map(PredictorTrainer.Result::frequency).toList());
        sb.append(layerTable(String.format(Locale.ROOT, "overall (%d layers, token-weighted): %,d held-out tokens", results.size(), p.tokens()), p, f));
        sb.append('\n').append(LEGEND).append('\n');
        return sb.toString();
    }

    /** Writes {@code results.csv}: one row per (layer or "overall", metric). */
    public static void writeCsv(Path file, TraceInfo info, List<PredictorTrainer.Result> results) {
        StringBuilder sb = new StringBuilder("layer,name,source_layer,metric,size,effective_size,predictor,frequency,random,tokens\n");
        for (PredictorTrainer.Result r : results) {
            csvRows(sb, Integer.toString(r.targetLayer()), info.layer(r.targetLayer()).name(), Integer.toString(r.sourceLayer()), r.predictor(),
                    r.frequency());
        }
        csvRows(sb, "overall", "", "", RoutingMetrics.Result.pooled(results.stream().map(PredictorTrainer.Result::predictor).toList()),
                RoutingMetrics.Result.pooled(results.stream().map(PredictorTrainer.Result::frequency).toList()));
        writeAtomically(file, sb.toString());
    }

    private static void csvRows(StringBuilder sb, String layer, String name, String src, RoutingMetrics.Result p, RoutingMetrics.Result f) {
        for (int i = 0; i < p.top().length; i++) {
            sb.append(String.format(Locale.ROOT, "%s,%s,%s,top_acc,%d,%d,%s,%s,%s,%d%n", layer, name, src, p.top()[i], p.topEffective()[i],
                    p.topAccuracy()[i], f.topAccuracy()[i], p.topRandom()[i], p.tokens()));
        }
        for (int i = 0; i < p.coverage().length; i++) {
            sb.append(String.format(Locale.ROOT, "%s,%s,%s,coverage,%d,%d,%s,%s,%s,%d%n", layer, name, src, p.coverage()[i],
                    p.coverageEffective()[i], p.coverageRate()[i], f.coverageRate()[i], p.coverageRandom()[i], p.tokens()));
        }
    }

    /** Writes {@code text} to {@code file} through a temporary file and a rename. */
    public static void writeAtomically(Path file, String text) {
        try {
            AtomicFiles.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code training-curve.png} (training and validation loss per layer against epochs) and
     * {@code validation-accuracy.png} (validation top-m and coverage@N per layer with their random
     * baselines) into {@code dir}.
     */
    public static List<Path> writePlots(Path dir, List<PredictorTrainer.Result> results, PredictorTrainer.Options opt) {
        Map<String, Plots.Series> loss = new LinkedHashMap<>();
        Map<String, Plots.Series> acc = new LinkedHashMap<>();
        double maxEpoch = 0;
        for (PredictorTrainer.Result r : results) {
            List<PredictorTrainer.Point> c = r.curve();
            String name = "layer " + r.targetLayer();
            List<double[]> train = new ArrayList<>();
            double[] ep = new double[c.size()], vl = new double[c.size()], top = new double[c.size()], cov = new double[c.size()];
            for (int i = 0; i < c.size(); i++) {
                PredictorTrainer.Point p = c.get(i);
                ep[i] = p.epoch();
                vl[i] = p.valLoss();
                top[i] = p.valTop1();
                cov[i] = p.valCoverage();
                if (!Double.isNaN(p.trainLoss())) train.add(new double[] {p.epoch(), p.trainLoss()});
                maxEpoch = Math.max(maxEpoch, p.epoch());
            }
            loss.put(name + " train", new Plots.Series(train.stream().mapToDouble(a -> a[0]).toArray(), train.stream().mapToDouble(a -> a[1]).toArray()));
            loss.put(name + " validation", new Plots.Series(ep, vl));
            acc.put(name + " top-" + opt.top().get(0), new Plots.Series(ep, top));
            acc.put(name + " coverage@" + opt.coverage().get(0), new Plots.Series(ep, cov));
        }
        RoutingMetrics.Result pooled = RoutingMetrics.Result.pooled(results.stream().map(PredictorTrainer.Result::predictor).toList());
        double[] ends = {0, Math.max(maxEpoch, 1e-9)};
        acc.put("random top-" + opt.top().get(0), new Plots.Series(ends, new double[] {pooled.topRandom()[0], pooled.topRandom()[0]}));
        acc.put("random coverage@" + opt.coverage().get(0),
                new Plots.Series(ends, new double[] {pooled.coverageRandom()[0], pooled.coverageRandom()[0]}));
        Path a = dir.resolve("training-curve.png"), b = dir.resolve("validation-accuracy.png");
        Plots.lines(a, "Expert predictor: multi-label cross-entropy", "epoch", "loss", loss, false);
        Plots.lines(b, "Expert predictor on held-out tokens", "epoch", "rate", acc, false);
        return List.of(a, b);
    }
}
