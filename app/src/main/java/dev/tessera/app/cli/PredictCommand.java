package dev.tessera.app.cli;

import dev.tessera.app.mheight.MHeightModel;
import dev.tessera.app.mheight.Predictor;
import dev.tessera.app.mheight.Rows;
import dev.tessera.app.mheight.Trainer;
import dev.tessera.lp.pickle.CoursePickles;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera predict}: m-heights for a course {@code -n_k_m_P} pickle, written as a pickled list of floats >= 1. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Predict m-heights for a course -n_k_m_P pickle; writes a pickled list of floats >= 1 in input order.")
public final class PredictCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Checkpoint folder (or a folder of checkpoints: the latest).")
    Path checkpoint;

    @Option(names = "--input", required = true, description = "Course -n_k_m_P pickle.")
    Path input;

    @Option(names = "--output", required = true, description = "Output pickle (list of floats).")
    Path output;

    @Option(names = "--tta", defaultValue = "16", description = "Test-time augmentations, 1 = off (default: ${DEFAULT-VALUE}).")
    int tta = 16;

    @Override
    public Integer call() throws Exception {
        if (tta < 1) throw new IllegalArgumentException("--tta must be >= 1");
        MHeightModel model = Trainer.load(checkpoint);
        Rows rows = Rows.fromSamples(CoursePickles.readSamples(input), null);
        double[] log2 = Predictor.predict(model, rows, tta, 1024);
        double[] h = new double[log2.length];
        for (int i = 0; i < h.length; i++) h[i] = Math.max(1.0, Math.pow(2, log2[i]));
        CoursePickles.writeFloats(output, h);
        System.out.printf("predict: %d m-heights -> %s%n", h.length, output);
        return 0;
    }
}
