package dev.tessera.app.cli;

import dev.tessera.app.mheight.MHeightModel;
import dev.tessera.app.mheight.Predictor;
import dev.tessera.app.mheight.Rows;
import dev.tessera.lp.Labeler;
import dev.tessera.lp.pickle.CoursePickles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tessera predict}: m-heights for a course {@code -n_k_m_P} pickle (or the JSON array that
 * {@code tessera label} reads), written as a pickled list of floats >= 1 in input order: the course's
 * submission format. With a checkpoint of {@code tessera train score-moe} it scores paired embeddings
 * instead ({@link ScoreMoeCheckpoints#predict}).
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Predict m-heights for a course -n_k_m_P pickle or a JSON array of {\"n\",\"k\",\"m\",\"P\"} objects;",
                "writes a pickled list of floats >= 1 (the m-heights, not log2) in input order.",
                "With a score-moe checkpoint: scores of paired embeddings (--input X.npy [m, 2h]) as a submission CSV ID,score",
                "(IDs from --ids, default 0, 1, ...), or as float64 .npy when --output ends in .npy."})
public final class PredictCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Checkpoint folder (or a folder of checkpoints: the latest).")
    Path checkpoint;

    @Option(names = "--input", required = true, description = "Course -n_k_m_P pickle or JSON array; for a score-moe checkpoint, embeddings .npy.")
    Path input;

    @Option(names = "--output", required = true, description = "Output pickle (list of floats); for a score-moe checkpoint, a CSV or .npy.")
    Path output;

    @Option(names = "--ids", description = "Score-moe checkpoints: integer IDs .npy [m] for the submission CSV (default: 0, 1, ...).")
    Path ids;

    @Option(names = "--tta", defaultValue = "16", description = "Test-time augmentations, 1 = off (default: ${DEFAULT-VALUE}).")
    int tta = 16;

    @Option(names = "--device", defaultValue = "auto", description = "auto | cpu | cuda | cuda:N (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Override
    public Integer call() throws Exception {
        if (tta < 1) throw new IllegalArgumentException("--tta must be >= 1, got " + tta);
        if (ScoreMoeCheckpoints.isScoreMoe(checkpoint)) {
            if (!device.equals("auto") && !device.equals("cpu")) {
                throw new IllegalArgumentException("--device " + device + ": score-moe pipelines run on the CPU");
            }
            ScoreMoeCheckpoints.predict(checkpoint, input, ids, output, System.out);
            return 0;
        }
        if (ids != null) throw new IllegalArgumentException("--ids applies to score-moe checkpoints; " + checkpoint + " is not one");
        if (!Files.isRegularFile(input)) throw new IllegalArgumentException("--input " + input + ": no such file");
        DeviceOption dev = DeviceOption.resolve(device);
        MHeightModel model = EvalCommand.loadCheckpoint(checkpoint);
        model.to(dev.device());
        Rows rows = Rows.fromSamples(readInput(input), null);
        double[] log2 = Predictor.predict(model, rows, tta, 1024);
        double[] h = new double[log2.length];
        // log2 h >= 0 by definition: clamp so an underestimate still submits a valid m-height
        for (int i = 0; i < h.length; i++) h[i] = Math.max(1.0, Math.pow(2, log2[i]));
        CoursePickles.writeFloats(output, h);
        System.out.printf("predict: %d m-heights -> %s%n", h.length, output);
        return 0;
    }

    /** The rows of a course pickle or of a JSON array, in file order. */
    static List<CoursePickles.Sample> readInput(Path f) throws java.io.IOException {
        if (!LabelCommand.isJson(f)) return CoursePickles.readSamples(f);
        List<CoursePickles.Sample> out = new ArrayList<>();
        int i = 0;
        for (Labeler.Row r : LabelCommand.readJson(f)) {
            double[][] p = r.p();
            int k = r.k(), n = r.n();
            boolean shapeOk = k >= 1 && n > k && p.length == k;
            for (int a = 0; shapeOk && a < k; a++) shapeOk = p[a].length == n - k;
            if (!shapeOk) {
                throw new IllegalArgumentException("predict: " + f.getFileName() + " item " + i + ": P has shape " + p.length + "x"
                        + (p.length > 0 ? p[0].length : 0) + ", expected (k, n-k) = (" + k + ", " + (n - k) + ")");
            }
            out.add(new CoursePickles.Sample(n, k, r.m(), p));
            i++;
        }
        return out;
    }
}
