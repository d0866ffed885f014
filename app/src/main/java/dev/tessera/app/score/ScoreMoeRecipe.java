package dev.tessera.app.score;

import dev.tessera.tensor.io.AtomicFiles;
import dev.tessera.app.plot.Plots;
import dev.tessera.moe.binned.BinnedMoE;
import dev.tessera.moe.binned.BinnedMoETrainer;
import dev.tessera.moe.binned.IsotonicCalibrator;
import dev.tessera.moe.binned.ScoreBins;
import dev.tessera.nn.train.CsvMetrics;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The binned score MoE recipe: features of paired embeddings ({@link ScoreFeatures}), a
 * {@link BinnedMoE} trained by {@link BinnedMoETrainer}, isotonic calibration fitted on a held-out
 * validation split, a report and a submission file.
 *
 * <p>Steps: split the training rows into train / validation (stratified by bin, seeded); fit the
 * feature pipeline on the train split only; train the gate and the experts (then optionally fine-tune
 * the mixture jointly); predict the validation
 * rows, clip to the score range and fit an {@link IsotonicCalibrator} on them; report the validation
 * RMSE uncalibrated, calibrated in-sample (the calibrator saw these rows) and calibrated by 5-fold
 * cross-fitting on the validation rows (an honest estimate), the gate's accuracy and confusion
 * matrix, each expert's loss, and optionally the same-budget {@link SingleRegressor} baseline; write
 * PNGs and the submission CSV of the test rows (clipped, 2 decimals; calibrated per {@link Calibration},
 * by default only when the cross-fitted estimate says calibration helps).
 *
 * <p>Files in the output folder: {@code metrics.csv} (per-epoch losses), {@code losses.png},
 * {@code gate_weights_expert<b>.png} (histograms of each expert's gate weight on validation rows,
 * one series per true bin), {@code pred_vs_true.png} (validation, uncalibrated and calibrated),
 * {@code report.txt} (the summary printed at the end), {@code submission.csv} when there are test
 * rows, and the trained pipeline (features, mixture, calibrator) as a checkpoint {@code ckpt-<epochs>/}
 * ({@link ScorePipeline}): {@code tessera predict --checkpoint <out>} scores new rows with it without
 * retraining, {@code tessera eval} scores labelled rows.
 */
public final class ScoreMoeRecipe {
    private ScoreMoeRecipe() {}

    /**
     * Everything the recipe needs.
     *
     * @param data         the input rows
     * @param bins         score range and thresholds
     * @param pca          PCA components per high-dimensional block (0: none)
     * @param clip         bound of the robust-scaled features (0: none)
     * @param model        gate/expert sizes, gate dropout and temperature ({@code inputs} is replaced by the feature count)
     * @param train        training options of the gate and experts
     * @param valFraction  fraction of the training rows held out for validation and calibration, in (0, 1)
     * @param calibration  when the submitted scores go through the isotonic calibrator
     * @param baseline     also train the same-budget single regressor and report it
     * @param out          output folder
     */
    public record Config(ScoreData data, ScoreBins bins, int pca, double clip, BinnedMoE.Config model, BinnedMoETrainer.Options train,
                         double valFraction, Calibration calibration, boolean baseline, Path out) {
        /** Validates the fractions. */
        public Config {
            if (calibration == null) throw new IllegalArgumentException("Config: calibration is null");
            if (!(valFraction > 0 && valFraction < 1)) throw new IllegalArgumentException("--val-fraction must be in (0, 1), got " + valFraction);
            if (pca < 0) throw new IllegalArgumentException("--pca must be >= 0, got " + pca);
        }
    }

    /** Whether the submitted test scores are calibrated. */
    public enum Calibration {
        /** Calibrate only when the 5-fold cross-fitted validation RMSE beats the uncalibrated one (an honest comparison). */
        AUTO,
        /** Always calibrate. */
        ON,
        /** Never calibrate (clip only). */
        OFF
    }

    /**
     * Numbers of a finished run.
     *
     * @param valRmse             validation RMSE of the clipped, uncalibrated prediction
     * @param valRmseCalibrated   validation RMSE after isotonic calibration fitted on the same rows
     * @param valRmseCrossFitted  validation RMSE with a calibrator fitted on the other 4 of 5 folds per row
     * @param gateAccuracy        gate top-1 accuracy on the validation rows
     * @param expertValMse        per expert, MSE on the validation rows of its bin (NaN when none)
     * @param baselineRmse        the single regressor's validation RMSE (NaN when not run)
     * @param calibrated          whether the submitted scores were calibrated
     * @param testRmse            test RMSE of the submitted scores when the truth is known, else NaN
     * @param submission          the submission CSV, or null without test rows
     * @param seconds             wall time of the whole recipe
     * @param pipeline            the trained pipeline (what the checkpoint holds)
     * @param checkpoint          the checkpoint folder of the pipeline
     */
    public record Result(double valRmse, double valRmseCalibrated, double valRmseCrossFitted, double gateAccuracy, double[] expertValMse,
                         double baselineRmse, boolean calibrated, double testRmse, Path submission, double seconds, ScorePipeline pipeline,
                         Path checkpoint) {}

    /** Runs the recipe, printing progress and the report to {@code log}. */
    public static Result run(Config cfg, PrintStream log) {
        long t0 = System.nanoTime();
        ScoreData data = cfg.data();
        ScoreBins bins = cfg.bins();
        try {
            Files.createDirectories(cfg.out());
        } catch (IOException e) {
            throw new UncheckedIOException("--out: cannot create " + cfg.out() + ": " + e.getMessage(), e);
        }
        log.printf("score-moe: %s%n", data.source());
        int[] allBins = bins.bins(data.yTrain());
        int[][] split = stratifiedSplit(allBins, bins.count(), cfg.valFraction(), cfg.train().seed());
        int[] trIdx = split[0], vaIdx = split[1];
        Tensor xTrRaw = rows(data.xTrain(), trIdx), xVaRaw = rows(data.xTrain(), vaIdx);
        double[] yTr = pick(data.yTrain(), trIdx), yVa = pick(data.yTrain(), vaIdx);
        log.printf("rows: %d train, %d validation (stratified by bin; %s), %d test; embedding halves of %d%n", trIdx.length, vaIdx.length,
                counts(bins, data.yTrain()), data.xTest() == null ? 0 : data.xTest().dim(0), data.half());

        long tf = System.nanoTime();
        ScoreFeatures features = ScoreFeatures.fit(xTrRaw, cfg.pca(), cfg.clip());
        Tensor xTr = features.transform(xTrRaw), xVa = features.transform(xVaRaw);
        log.printf("features: %s (%.1f s)%n", features, (System.nanoTime() - tf) / 1e9);

        BinnedMoE.Config mc = cfg.model();
        mc = new BinnedMoE.Config(features.features(), bins, mc.gateHidden(), mc.expertHidden(), mc.expertLayers(), mc.gateDropout(), mc.temperature());
        BinnedMoE moe = new BinnedMoE(mc, new Rng(cfg.train().seed()));
        log.printf("model: %s, %,d parameters; %d epochs, batch %d, AdamW lr %.2g, weight decay %.2g, entropy %.3g, %s, %s%n", moe,
                moe.numParameters(), cfg.train().epochs(), cfg.train().batchSize(), cfg.train().lr(), cfg.train().weightDecay(),
                cfg.train().entropyCoef(), cfg.train().balancedSampling() ? "balanced sampling" : cfg.train().classBalancedLoss()
                        ? "class-balanced loss" : "unweighted loss",
                cfg.train().fineTuneEpochs() == 0 ? "no joint fine-tuning"
                        : String.format(Locale.ROOT, "%d epochs of joint fine-tuning (gate cross-entropy weight %.2g)", cfg.train().fineTuneEpochs(),
                        cfg.train().fineTuneGateCe()));
        long tt = System.nanoTime();
        BinnedMoETrainer.History hist;
        try {
            Files.deleteIfExists(cfg.out().resolve("metrics.csv"));   // a new run, not a resumed one: do not append to an old log
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replace " + cfg.out().resolve("metrics.csv") + ": " + e.getMessage(), e);
        }
        try (CsvMetrics metrics = CsvMetrics.longFormat(cfg.out().resolve("metrics.csv"))) {
            hist = BinnedMoETrainer.fit(moe, xTr, yTr, xVa, yVa, cfg.train(), metrics, log);
        }
        double trainSecs = (System.nanoTime() - tt) / 1e9;

        BinnedMoE.Prediction pv = moe.predict(xVa, 4096);
        double[] predVa = clip(bins, pv.score());
        IsotonicCalibrator cal = IsotonicCalibrator.fit(predVa, yVa, null, bins.lo(), bins.hi());
        double[] calVa = cal.apply(predVa);
        double[] cvVa = crossFitted(predVa, yVa, bins, 5, cfg.train().seed());
        double rmse = rmse(predVa, yVa), rmseCal = rmse(calVa, yVa), rmseCv = rmse(cvVa, yVa);
        boolean useCal = switch (cfg.calibration()) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> rmseCv < rmse;
        };
        ScorePipeline pipeline = new ScorePipeline(features, moe, cal, useCal);

        int nb = bins.count();
        int[] vaBins = bins.bins(yVa);
        int[][] confusion = new int[nb][nb];
        int correct = 0;
        for (int i = 0; i < yVa.length; i++) {
            int best = 0;
            for (int b = 1; b < nb; b++) if (pv.gates()[b][i] > pv.gates()[best][i]) best = b;
            confusion[vaBins[i]][best]++;
            if (best == vaBins[i]) correct++;
        }
        double gateAcc = (double) correct / yVa.length;
        double[] expertVal = new double[nb];
        for (int b = 0; b < nb; b++) expertVal[b] = hist.expertValMse()[b][cfg.train().epochs() - 1];

        double baseline = Double.NaN;
        long baseParams = 0;
        if (cfg.baseline()) {
            int h = SingleRegressor.matchingHidden(moe.numParameters(), features.features(), mc.expertLayers());
            log.printf("baseline: single MLP %d -> %d x %d -> 1 (same parameter budget), same epochs / batch / lr%n", features.features(), h,
                    mc.expertLayers());
            var t = cfg.train();
            SingleRegressor single = SingleRegressor.train(xTr, yTr, h, mc.expertLayers(), t.epochs(), t.batchSize(), t.lr(), t.weightDecay(), t.seed());
            baseParams = single.numParameters();
            baseline = rmse(clip(bins, single.predict(xVa)), yVa);
        }

        Path submission = null;
        double testRmse = Double.NaN;
        double[] testScores = null;
        if (data.xTest() != null) {
            testScores = pipeline.predict(data.xTest());   // what predict from the checkpoint gives
            double[] rounded = new double[testScores.length];
            for (int i = 0; i < rounded.length; i++) rounded[i] = Double.parseDouble(Submission.format(testScores[i]));
            submission = cfg.out().resolve("submission.csv");
            Submission.write(submission, data.testIds(), testScores);
            if (data.yTest() != null) testRmse = rmse(rounded, data.yTest());
        }

        Map<String, Object> results = new LinkedHashMap<>();
        results.put("valRmse", rmse);
        results.put("valRmseCalibrated", rmseCal);
        results.put("valRmseCrossFitted", rmseCv);
        results.put("gateAccuracy", gateAcc);
        if (!Double.isNaN(baseline)) results.put("baselineRmse", baseline);
        if (!Double.isNaN(testRmse)) results.put("testRmse", testRmse);
        results.put("source", data.source());
        Path checkpoint = pipeline.save(cfg.out(), cfg.train().epochs() + cfg.train().fineTuneEpochs(), results);

        // ---------------- plots
        Map<String, Plots.Series> curves = new LinkedHashMap<>();
        curves.put("gate cross-entropy", Plots.Series.of(hist.gateLoss()));
        for (int b = 0; b < nb; b++) curves.put("expert " + b + " " + bins.label(b) + " train MSE", Plots.Series.of(hist.expertMse()[b]));
        for (int b = 0; b < nb; b++) {
            if (!Double.isNaN(expertVal[b])) curves.put("expert " + b + " " + bins.label(b) + " val MSE", Plots.Series.of(hist.expertValMse()[b]));
        }
        if (hist.fineTuneLoss().length > 0) curves.put("mixture fine-tune loss", Plots.Series.of(hist.fineTuneLoss()));
        if (hist.fineTuneValRmse().length > 0) curves.put("mixture fine-tune val RMSE", Plots.Series.of(hist.fineTuneValRmse()));
        Plots.lines(cfg.out().resolve("losses.png"), "score-moe training losses", "epoch", "loss", curves, true);
        for (int b = 0; b < nb; b++) {
            Map<String, double[]> byBin = new LinkedHashMap<>();
            for (int c = 0; c < nb; c++) {
                List<Double> v = new ArrayList<>();
                for (int i = 0; i < yVa.length; i++) if (vaBins[i] == c) v.add(pv.gates()[b][i]);
                byBin.put("true " + bins.label(c), v.stream().mapToDouble(Double::doubleValue).toArray());
            }
            Plots.histogram(cfg.out().resolve("gate_weights_expert" + b + ".png"), "gate weight of expert " + b + " " + bins.label(b)
                    + " on validation rows", "gate weight", byBin, 20);
        }
        Map<String, Plots.Series> scatter = new LinkedHashMap<>();
        scatter.put(String.format(Locale.ROOT, "uncalibrated (RMSE %.3f)", rmse), new Plots.Series(yVa, predVa));
        scatter.put(String.format(Locale.ROOT, "isotonic, cross-fitted (RMSE %.3f)", rmseCv), new Plots.Series(yVa, cvVa));
        Plots.scatterGroups(cfg.out().resolve("pred_vs_true.png"), "validation: predicted vs true score", "true score", "predicted score",
                scatter, true);

        // ---------------- report
        StringBuilder r = new StringBuilder();
        r.append(String.format(Locale.ROOT, "== score-moe report (%s)%n", data.source()));
        r.append(String.format(Locale.ROOT, "bins %s; %d features; %,d parameters; training %.1f s%n", bins, features.features(),
                moe.numParameters(), trainSecs));
        r.append(String.format(Locale.ROOT, "validation RMSE (%d rows), scores clipped to [%s, %s]:%n", yVa.length, fmt(bins.lo()), fmt(bins.hi())));
        r.append(String.format(Locale.ROOT, "  uncalibrated                               %.4f%n", rmse));
        r.append(String.format(Locale.ROOT, "  isotonic, fitted on these rows (in-sample) %.4f%n", rmseCal));
        r.append(String.format(Locale.ROOT, "  isotonic, 5-fold cross-fitted              %.4f%n", rmseCv));
        if (cfg.baseline()) {
            r.append(String.format(Locale.ROOT, "  single MLP, %,d parameters (uncalibrated)  %.4f  (MoE / single = %.3f)%n", baseParams, baseline, rmse / baseline));
        }
        r.append(String.format(Locale.ROOT, "submitted scores: %s (--calibration %s)%n", useCal ? "isotonic-calibrated, clipped" : "clipped, not calibrated",
                cfg.calibration().name().toLowerCase(Locale.ROOT)));
        if (!Double.isNaN(testRmse)) r.append(String.format(Locale.ROOT, "test RMSE of the submitted scores (%d rows): %.4f%n", data.yTest().length, testRmse));
        r.append(String.format(Locale.ROOT, "gate accuracy on validation %.4f; confusion (rows: true bin, columns: gate argmax):%n", gateAcc));
        for (int c = 0; c < nb; c++) r.append(String.format(Locale.ROOT, "  %-10s %s%n", bins.label(c), Arrays.toString(confusion[c])));
        r.append("per expert: train rows, final train MSE, validation MSE on its bin's rows, mixture RMSE on the bin's rows:\n");
        for (int b = 0; b < nb; b++) {
            double se = 0;
            int m = 0;
            for (int i = 0; i < yVa.length; i++) {
                if (vaBins[i] == b) {
                    se += (predVa[i] - yVa[i]) * (predVa[i] - yVa[i]);
                    m++;
                }
            }
            r.append(String.format(Locale.ROOT, "  expert %d %-10s %6d  %.4f  %.4f  %.4f%n", b, bins.label(b), hist.binCounts()[b],
                    hist.expertMse()[b][cfg.train().epochs() - 1], expertVal[b], m == 0 ? Double.NaN : Math.sqrt(se / m)));
        }
        r.append("files: ").append(cfg.out()).append(" (metrics.csv, losses.png, gate_weights_expert*.png, pred_vs_true.png")
                .append(submission == null ? "" : ", submission.csv").append(", ").append(checkpoint.getFileName())
                .append("/: the pipeline; score new rows with tessera predict --checkpoint ").append(cfg.out()).append(")\n");
        double secs = (System.nanoTime() - t0) / 1e9;
        r.append(String.format(Locale.ROOT, "total time %.1f s%n", secs));
        log.print(r);
        writeAtomically(cfg.out().resolve("report.txt"), r.toString());
        return new Result(rmse, rmseCal, rmseCv, gateAcc, expertVal, baseline, useCal, testRmse, submission, secs, pipeline, checkpoint);
    }

    /** Per bin, a seeded shuffle of its rows with the first {@code round(fraction * size)} (at least 1 when the bin has 2+ rows) held out. */
    static int[][] stratifiedSplit(int[] bin, int bins, double fraction, long seed) {
        Rng rng = new Rng(seed ^ 0x5DEECE66DL);
        List<Integer> train = new ArrayList<>(), val = new ArrayList<>();
        for (int b = 0; b < bins; b++) {
            List<Integer> mine = new ArrayList<>();
            for (int i = 0; i < bin.length; i++) if (bin[i] == b) mine.add(i);
            for (int i = mine.size() - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                Integer t = mine.get(i);
                mine.set(i, mine.get(j));
                mine.set(j, t);
            }
            int k = (int) Math.round(fraction * mine.size());
            if (k == 0 && mine.size() >= 2) k = 1;
            if (k == mine.size() && k > 0) k--;
            val.addAll(mine.subList(0, k));
            train.addAll(mine.subList(k, mine.size()));
        }
        int[] tr = train.stream().mapToInt(Integer::intValue).sorted().toArray();
        int[] va = val.stream().mapToInt(Integer::intValue).sorted().toArray();
        return new int[][] {tr, va};
    }

    /** Each row calibrated by an isotonic fit on the other folds (seeded fold assignment). */
    static double[] crossFitted(double[] pred, double[] truth, ScoreBins bins, int folds, long seed) {
        int n = pred.length;
        double[] out = new double[n];
        if (n < 2 * folds) {
            IsotonicCalibrator c = IsotonicCalibrator.fit(pred, truth, null, bins.lo(), bins.hi());
            return c.apply(pred);
        }
        int[] fold = new int[n];
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        Rng rng = new Rng(seed + 17);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (int i = 0; i < n; i++) fold[perm[i]] = i % folds;
        for (int f = 0; f < folds; f++) {
            int m = 0;
            for (int i = 0; i < n; i++) if (fold[i] != f) m++;
            double[] p = new double[m], t = new double[m];
            int k = 0;
            for (int i = 0; i < n; i++) {
                if (fold[i] != f) {
                    p[k] = pred[i];
                    t[k++] = truth[i];
                }
            }
            IsotonicCalibrator c = IsotonicCalibrator.fit(p, t, null, bins.lo(), bins.hi());
            for (int i = 0; i < n; i++) if (fold[i] == f) out[i] = c.apply(pred[i]);
        }
        return out;
    }

    static double rmse(double[] p, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (p[i] - y[i]) * (p[i] - y[i]);
        return Math.sqrt(s / y.length);
    }

    private static double[] clip(ScoreBins bins, double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = bins.clip(v[i]);
        return out;
    }

    private static Tensor rows(Tensor x, int[] idx) {
        return x.indexSelect(0, Tensor.of(idx, idx.length));
    }

    private static double[] pick(double[] y, int[] idx) {
        double[] out = new double[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = y[idx[i]];
        return out;
    }

    private static String counts(ScoreBins bins, double[] y) {
        int[] c = bins.counts(y);
        StringBuilder s = new StringBuilder("rows per bin");
        for (int b = 0; b < c.length; b++) s.append(' ').append(bins.label(b)).append(' ').append(c[b]);
        return s.toString();
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static void writeAtomically(Path file, String text) {
        try {
            AtomicFiles.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
