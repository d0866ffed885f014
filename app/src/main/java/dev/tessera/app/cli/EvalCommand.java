package dev.tessera.app.cli;

import dev.tessera.app.mheight.Evaluation;
import dev.tessera.app.mheight.MHeightModel;
import dev.tessera.app.mheight.Predictor;
import dev.tessera.app.mheight.Rows;
import dev.tessera.app.mheight.Trainer;
import dev.tessera.lp.pickle.CoursePickles;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera eval}: scores an m-height checkpoint on course pickles. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score an m-height checkpoint on course pickles PREFIX-n_k_m_P and PREFIX-mHeights:",
                "macro and row-weighted log2-MSE per (n,k,m) group beside the per-group-constant baseline",
                "(group means of the evaluated labels themselves, an optimistic baseline)."})
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Checkpoint folder (or a folder of checkpoints: the latest).")
    Path checkpoint;

    @Option(names = "--input", required = true, description = "Course pickle prefix.")
    String input;

    @Option(names = "--tta", defaultValue = "16", description = "Test-time augmentations, 1 = off (default: ${DEFAULT-VALUE}).")
    int tta = 16;

    @Override
    public Integer call() throws Exception {
        if (tta < 1) throw new IllegalArgumentException("--tta must be >= 1");
        MHeightModel model = Trainer.load(checkpoint);
        var samples = CoursePickles.readSamples(Path.of(input + "-n_k_m_P"));
        double[] h = CoursePickles.readFloats(Path.of(input + "-mHeights"));
        if (h.length != samples.size()) throw new IllegalArgumentException("eval: " + samples.size() + " inputs but " + h.length + " labels");
        Rows rows = Rows.fromSamples(samples, h);
        double[] pred = Predictor.predict(model, rows, tta, 1024);
        System.out.print(Evaluation.evaluate(rows, pred, Evaluation.groupMeans(rows)).table());
        return 0;
    }
}
