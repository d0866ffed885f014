package dev.tessera.app.cli;

import dev.tessera.app.mheight.Evaluation;
import dev.tessera.app.mheight.MHeightModel;
import dev.tessera.app.mheight.Predictor;
import dev.tessera.app.mheight.Rows;
import dev.tessera.app.mheight.Trainer;
import dev.tessera.app.mheight.TrainingData;
import dev.tessera.lp.pickle.CoursePickles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera eval}: scores an m-height checkpoint on course pickles, or a score-moe checkpoint on labelled embeddings. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score an m-height checkpoint on course pickles PREFIX-n_k_m_P and PREFIX-mHeights:",
                "macro and row-weighted log2-MSE per (n,k,m) group beside the per-group-constant baseline",
                "(group means of the evaluated labels themselves, an optimistic baseline).",
                "With a score-moe checkpoint: RMSE, gate accuracy and per-bin RMSE on --input X.npy [m, 2h] against --labels y.npy."})
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Checkpoint folder (or a folder of checkpoints: the latest).")
    Path checkpoint;

    @Option(names = "--input", required = true, description = "Course pickle prefix; for a score-moe checkpoint, embeddings .npy.")
    String input;

    @Option(names = "--labels", description = "Score-moe checkpoints: the true scores .npy [m] of --input.")
    Path labels;

    @Option(names = "--tta", defaultValue = "16", description = "Test-time augmentations, 1 = off (default: ${DEFAULT-VALUE}).")
    int tta = 16;

    @Option(names = "--device", defaultValue = "auto", description = "auto | cpu | cuda | cuda:N (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Override
    public Integer call() throws Exception {
        if (tta < 1) throw new IllegalArgumentException("--tta must be >= 1, got " + tta);
        if (ScoreMoeCheckpoints.isScoreMoe(checkpoint)) {
            if (labels == null) throw new IllegalArgumentException("--labels: a score-moe checkpoint is evaluated against the true scores .npy of --input");
            if (!device.equals("auto") && !device.equals("cpu")) {
                throw new IllegalArgumentException("--device " + device + ": score-moe pipelines run on the CPU");
            }
            ScoreMoeCheckpoints.eval(checkpoint, Path.of(input), labels, System.out);
            return 0;
        }
        if (labels != null) throw new IllegalArgumentException("--labels applies to score-moe checkpoints; " + checkpoint + " is not one");
        Path in = Path.of(input + TrainingData.INPUT_SUFFIX), lab = Path.of(input + TrainingData.LABEL_SUFFIX);
        for (Path f : new Path[] {in, lab}) {
            if (!Files.isRegularFile(f)) throw new IllegalArgumentException("--input " + input + ": missing " + f + " (expected PREFIX"
                    + TrainingData.INPUT_SUFFIX + " and PREFIX" + TrainingData.LABEL_SUFFIX + ")");
        }
        DeviceOption dev = DeviceOption.resolve(device);
        MHeightModel model = EvalCommand.loadCheckpoint(checkpoint);
        model.to(dev.device());
        var samples = CoursePickles.readSamples(in);
        double[] h = CoursePickles.readFloats(lab);
        if (h.length != samples.size()) {
            throw new IllegalArgumentException("eval: " + in.getFileName() + " has " + samples.size() + " rows but " + lab.getFileName() + " has "
                    + h.length + " labels");
        }
        List<Integer> finite = new ArrayList<>();
        for (int i = 0; i < h.length; i++) {
            if (Double.isNaN(h[i]) || h[i] < 1) {
                throw new IllegalArgumentException("eval: " + lab.getFileName() + " item " + i + " is " + h[i] + ", but an m-height is >= 1");
            }
            if (Double.isFinite(h[i])) finite.add(i);
        }
        Rows rows = Rows.fromSamples(samples, h);
        if (finite.size() < h.length) {
            System.out.printf("eval: %d rows with an infinite m-height left out (log2-MSE needs finite labels)%n", h.length - finite.size());
            rows = rows.subset(finite.stream().mapToInt(Integer::intValue).toArray());
        }
        double[] pred = Predictor.predict(model, rows, tta, 1024);
        System.out.print(Evaluation.evaluate(rows, pred, Evaluation.groupMeans(rows)).table());
        return 0;
    }

    /** {@link Trainer#load} with errors (a damaged checkpoint's too) naming the {@code --checkpoint} option. */
    static MHeightModel loadCheckpoint(Path checkpoint) {
        try {
            return Trainer.load(checkpoint);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--checkpoint " + e.getMessage(), e);
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": cannot read the checkpoint: " + e.getMessage(), e);
        }
    }
}
