package dev.tessera.app.cli;

import dev.tessera.app.score.ScoreData;
import dev.tessera.app.score.ScorePipeline;
import dev.tessera.app.score.Submission;
import dev.tessera.moe.binned.ScoreBins;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.io.Npy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code tessera predict} and {@code tessera eval} on a checkpoint of {@code tessera train score-moe}: both commands look at
 * the checkpoint's recipe and come here for a score-moe one, so a trained pipeline is used the way an m-height model is
 * ({@code --checkpoint} = a run folder or its {@code ckpt-*} folder).
 */
final class ScoreMoeCheckpoints {
    private ScoreMoeCheckpoints() {}

    /** Whether {@code checkpoint} (a run or checkpoint folder) holds a score-moe checkpoint. */
    static boolean isScoreMoe(Path checkpoint) {
        return ScorePipeline.recipeOf(checkpoint).filter(ScorePipeline.RECIPE::equals).isPresent();
    }

    /**
     * Scores the embeddings of {@code input} ({@code .npy [m, 2h]}) and writes them to {@code output}: a submission CSV
     * ({@code ID,score}, two decimals, IDs from {@code ids} or 0, 1, ...), or with an {@code .npy} name the full-precision
     * float64 scores {@code [m]}.
     */
    static void predict(Path checkpoint, Path input, Path ids, Path output, PrintStream log) throws IOException {
        ScorePipeline p = load(checkpoint);
        Tensor x = embeddings(input, p);
        double[] scores = p.predict(x);
        if (output.getFileName().toString().endsWith(".npy")) {
            if (ids != null) throw new IllegalArgumentException("--ids: an .npy --output holds the scores only (name a .csv to write IDs)");
            Npy.write(output, Tensor.of(scores, scores.length));
        } else {
            Submission.write(output, ScoreData.readIds(ids, scores.length, "--ids"), scores);
        }
        log.printf(Locale.ROOT, "predict: %d scores (%s) -> %s%n", scores.length, p.calibrates() ? "isotonic-calibrated, clipped" : "clipped, not calibrated",
                output);
    }

    /** Scores the embeddings of {@code input} against the scores of {@code labels} and prints RMSEs, gate accuracy and per-bin errors. */
    static void eval(Path checkpoint, Path input, Path labels, PrintStream log) throws IOException {
        ScorePipeline p = load(checkpoint);
        Tensor x = embeddings(input, p);
        if (!Files.isRegularFile(labels)) throw new IllegalArgumentException("--labels " + labels + ": no such file");
        double[] y = ScoreData.readScores(labels, "--labels");
        if (y.length != x.dim(0)) {
            throw new IllegalArgumentException("--labels: " + labels + " has " + y.length + " scores but --input " + input + " has " + x.dim(0) + " rows");
        }
        ScorePipeline.Prediction pr = p.predictDetailed(x);
        ScoreBins bins = p.bins();
        int nb = bins.count();
        int[] truth = bins.bins(y);
        double[] se = new double[nb];
        int[] rows = new int[nb];
        int correct = 0;
        for (int i = 0; i < y.length; i++) {
            int best = 0;
            for (int b = 1; b < nb; b++) if (pr.mixture().gates()[b][i] > pr.mixture().gates()[best][i]) best = b;
            if (best == truth[i]) correct++;
            se[truth[i]] += (pr.score()[i] - y[i]) * (pr.score()[i] - y[i]);
            rows[truth[i]]++;
        }
        StringBuilder r = new StringBuilder();
        r.append(String.format(Locale.ROOT, "eval: %d rows, bins %s, scores clipped to [%s, %s]%n", y.length, bins, bins.lo(), bins.hi()));
        String line = "  %-46s %.4f%n";
        r.append(String.format(Locale.ROOT, line, "RMSE of the submitted scores (" + (p.calibrates() ? "calibrated)" : "not calibrated)"),
                rmse(pr.score(), y)));
        if (p.calibrates()) r.append(String.format(Locale.ROOT, line, "RMSE uncalibrated", rmse(pr.uncalibrated(), y)));
        r.append(String.format(Locale.ROOT, line, "gate accuracy", (double) correct / y.length));
        r.append("  per true bin: rows, RMSE of the submitted scores\n");
        for (int b = 0; b < nb; b++) {
            r.append(String.format(Locale.ROOT, "    %-10s %6d  %.4f%n", bins.label(b), rows[b], rows[b] == 0 ? Double.NaN : Math.sqrt(se[b] / rows[b])));
        }
        log.print(r);
    }

    /** {@link ScorePipeline#load} with errors naming the {@code --checkpoint} option. */
    private static ScorePipeline load(Path checkpoint) {
        try {
            return ScorePipeline.load(checkpoint);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--checkpoint " + e.getMessage(), e);
        }
    }

    /** The embeddings of {@code --input}, checked against the pipeline's width. */
    private static Tensor embeddings(Path input, ScorePipeline p) throws IOException {
        if (!Files.isRegularFile(input)) throw new IllegalArgumentException("--input " + input + ": no such file");
        Tensor x = ScoreData.readEmbeddings(input, "--input");
        int width = 2 * p.features().half();
        if (x.dim(1) != width) {
            throw new IllegalArgumentException("--input: " + input + " has " + x.dim(1) + " columns, but the checkpoint's pipeline takes " + width
                    + " (embedding halves of " + p.features().half() + ")");
        }
        return x;
    }

    private static double rmse(double[] p, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (p[i] - y[i]) * (p[i] - y[i]);
        return Math.sqrt(s / y.length);
    }
}
