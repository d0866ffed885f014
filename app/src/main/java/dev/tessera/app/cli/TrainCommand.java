package dev.tessera.app.cli;

import dev.tessera.app.mheight.Evaluation;
import dev.tessera.app.mheight.MHeightConfig;
import dev.tessera.app.mheight.MHeightModel;
import dev.tessera.app.mheight.Predictor;
import dev.tessera.app.mheight.Rows;
import dev.tessera.app.mheight.Trainer;
import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.data.MHeightDataset;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tessera train [recipe]}: training recipes (sibling subcommands; {@code mheight} is the default). */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a model (default recipe: mheight).",
        subcommands = {TrainCommand.MHeight.class, ExpertPredictorCommand.class})
public final class TrainCommand implements Callable<Integer> {
    /** The default recipe's options, accepted directly after {@code train}. */
    @Mixin
    MHeight defaultRecipe = new MHeight();

    @Override
    public Integer call() throws Exception {
        return defaultRecipe.call();
    }

    /** {@code tessera train mheight}: the m-height Transformer + DenseMoE recipe. */
    @Command(name = "mheight",
            description = {"Column-token Transformer encoder + DenseMoE head predicting log2 of the m-height.",
                    "Generates (and caches) intscale n=9, k=4..6 data with lp, trains main/booster/cooldown phases,",
                    "evaluates against the per-group-constant baseline on fresh intscale and int100 sets, saves a checkpoint."})
    public static final class MHeight implements Callable<Integer> {
        @Option(names = "--preset", defaultValue = "default", description = "default | reference (default: ${DEFAULT-VALUE}).")
        String preset = "default";

        @Option(names = "--rows", description = "Training rows to generate (default: by preset).")
        Long rows;

        @Option(names = "--steps", description = "Main-phase optimizer steps (default: by preset).")
        Long steps;

        @Option(names = "--epochs", description = "Main-phase epochs over the training rows (overrides --steps).")
        Double epochs;

        @Option(names = "--batch", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batch = 256;

        @Option(names = "--eval-rows", description = "Rows of each held-out set (default: by preset).")
        Long evalRows;

        @Option(names = "--tta", defaultValue = "16", description = "Test-time augmentations, 1 = off (default: ${DEFAULT-VALUE}).")
        int tta = 16;

        @Option(names = "--data-root", defaultValue = "data", description = "Where generated data is cached (default: ${DEFAULT-VALUE}).")
        Path dataRoot = Path.of("data");

        @Option(names = "--out", defaultValue = "runs/mheight", description = "Checkpoint folder (default: ${DEFAULT-VALUE}).")
        Path out = Path.of("runs/mheight");

        @Override
        public Integer call() throws Exception {
            boolean ref = switch (preset) {
                case "default" -> false;
                case "reference" -> true;
                default -> throw new IllegalArgumentException("--preset: expected default or reference, got " + preset);
            };
            if (tta < 1) throw new IllegalArgumentException("--tta must be >= 1");
            long t0 = System.nanoTime();
            long nRows = rows != null ? rows : ref ? 1_000_000 : 120_000;
            long nEval = evalRows != null ? evalRows : ref ? 50_000 : 6_000;
            MHeightConfig cfg = ref ? MHeightConfig.reference() : MHeightConfig.defaults();
            Path trainDir = Rows.generate(dataRoot.resolve("mheight-intscale-n9-seed636-rows" + nRows), CodeSampler.Kind.INTSCALE, 636, nRows, 0.05);
            Path testDir = Rows.generate(dataRoot.resolve("mheight-intscale-n9-seed9001-rows" + nEval), CodeSampler.Kind.INTSCALE, 9001, nEval, 0.0);
            Path int100Dir = Rows.generate(dataRoot.resolve("mheight-int100-n9-seed9002-rows" + nEval), CodeSampler.Kind.INT100, 9002, nEval, 0.0);
            Rows train = Rows.load(trainDir, MHeightDataset.Split.TRAIN);
            Rows val = Rows.load(trainDir, MHeightDataset.Split.VAL);
            long mainSteps = epochs != null ? Math.max(1, Math.round(epochs * train.size() / batch)) : steps != null ? steps : ref ? 40_000 : 2_000;
            MHeightModel model = MHeightModel.create(cfg);
            System.out.printf("train mheight (preset %s): %,d parameters, %d train rows, %d val rows, %d main steps, batch %d%n", preset,
                    model.numParameters(), train.size(), val.size(), mainSteps, batch);
            Trainer trainer = new Trainer(model, Trainer.Options.of(mainSteps, batch), System.out);
            trainer.fit(train);
            Path ck = trainer.save(out, Map.of("preset", preset, "trainRows", train.size()));
            var means = Evaluation.groupMeans(train);
            if (val.size() > 0) {
                System.out.println("== validation (held-out matrices of the training set), tta " + tta);
                System.out.print(Evaluation.evaluate(val, Predictor.predict(model, val, tta, 1024), means).table());
            }
            Rows test = Rows.load(testDir, MHeightDataset.Split.ALL);
            System.out.println("== fresh intscale held-out set, tta " + tta);
            System.out.print(Evaluation.evaluate(test, Predictor.predict(model, test, tta, 1024), means).table());
            Rows int100 = Rows.load(int100Dir, MHeightDataset.Split.ALL);
            System.out.println("== int100 held-out set, tta " + tta);
            System.out.print(Evaluation.evaluate(int100, Predictor.predict(model, int100, tta, 1024), means).table());
            System.out.printf("checkpoint: %s%ntotal time %.1f s%n", ck, (System.nanoTime() - t0) / 1e9);
            return 0;
        }
    }
}
