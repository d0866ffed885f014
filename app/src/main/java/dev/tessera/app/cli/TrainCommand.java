package dev.tessera.app.cli;

import dev.tessera.app.mheight.BoundFit;
import dev.tessera.app.mheight.Evaluation;
import dev.tessera.app.mheight.Features;
import dev.tessera.app.mheight.MHeightConfig;
import dev.tessera.app.mheight.MHeightModel;
import dev.tessera.app.mheight.Predictor;
import dev.tessera.app.mheight.Reports;
import dev.tessera.app.mheight.Rows;
import dev.tessera.app.mheight.Trainer;
import dev.tessera.app.mheight.TrainingData;
import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.data.MHeightDataset;
import dev.tessera.nn.train.CsvMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tessera train [recipe]}: training recipes (sibling subcommands; {@code mheight} is the default). */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a model (default recipe: mheight).",
        subcommands = {TrainCommand.MHeight.class, RegressionCommand.class, ExpertPredictorCommand.class, TrainLmCommand.class, ScoreMoeCommand.class})
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
                    "Trains on generated (and cached) intscale n=9, k=4..6 data, on a dataset folder of 'tessera gen mheight' (--data)",
                    "or on course pickles (--train-pickle); runs main/booster/cooldown phases, evaluates against the",
                    "per-group-constant baseline on fresh intscale and int100 sets, saves a checkpoint, metrics.csv and PNG charts."})
    public static final class MHeight implements Callable<Integer> {
        /** Fraction of the matrices held out for validation when a data source has no split of its own. */
        static final double VAL_FRACTION = 0.05;

        /**
         * Main-phase steps of the reference preset: with the booster and cooldown phases (15 % each) about 31,000 steps
         * of 256 rows, sized so the whole run (data, training, 16-way TTA evaluation) takes under two hours on a
         * 2-core CPU at the measured 1,400-1,500 samples/s.
         */
        static final long REFERENCE_MAIN_STEPS = 24_000;

        @Option(names = "--preset", defaultValue = "default", description = "default (238 K parameters, 120 K generated rows, 2,000 main "
                + "steps: minutes on a CPU) | reference (2.45 M parameters, 1 M rows, 24,000 main steps: about 1.5 h on 2 cores) "
                + "(default: ${DEFAULT-VALUE}).")
        String preset = "default";

        @Option(names = "--data", paramLabel = "DIR", description = "Train on this dataset folder (written by 'tessera gen mheight') instead of generating one.")
        Path data;

        @Option(names = "--train-pickle", paramLabel = "PREFIX", description = "Train on course pickles PREFIX-n_k_m_P and PREFIX-mHeights instead of generated data.")
        String trainPickle;

        @Option(names = "--rows", description = "Training rows to generate (default: by preset; not with --data / --train-pickle).")
        Long rows;

        @Option(names = "--steps", description = "Main-phase optimizer steps (default: by preset).")
        Long steps;

        @Option(names = "--epochs", description = "Main-phase epochs over the training rows (overrides --steps).")
        Double epochs;

        @Option(names = "--batch", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batch = 256;

        @Option(names = "--eval-rows", description = "Rows of each fresh held-out set, 0 = skip them (default: by preset).")
        Long evalRows;

        @Option(names = "--tta", defaultValue = "16", description = "Test-time augmentations, 1 = off (default: ${DEFAULT-VALUE}).")
        int tta = 16;

        @Option(names = "--device", defaultValue = "auto", description = "auto | cpu | cuda | cuda:N; auto = CUDA when usable (default: ${DEFAULT-VALUE}).")
        String device = "auto";

        @Option(names = "--data-root", defaultValue = "data", description = "Where generated data is cached (default: ${DEFAULT-VALUE}).")
        Path dataRoot = Path.of("data");

        @Option(names = "--out", defaultValue = "runs/mheight", description = "Run folder: checkpoint, metrics.csv, PNG charts (default: ${DEFAULT-VALUE}).")
        Path out = Path.of("runs/mheight");

        @Override
        public Integer call() throws Exception {
            boolean ref = switch (preset) {
                case "default" -> false;
                case "reference" -> true;
                default -> throw new IllegalArgumentException("--preset: expected default or reference, got " + preset);
            };
            if (tta < 1) throw new IllegalArgumentException("--tta must be >= 1, got " + tta);
            if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
            if (data != null && trainPickle != null) {
                throw new IllegalArgumentException("--data and --train-pickle are alternative training sources: give one of them");
            }
            if (rows != null && (data != null || trainPickle != null)) {
                throw new IllegalArgumentException("--rows sets the size of generated data; it does not apply with --data or --train-pickle");
            }
            if (evalRows != null && evalRows < 0) throw new IllegalArgumentException("--eval-rows must be >= 0, got " + evalRows);
            DeviceOption dev = DeviceOption.resolve(device);
            long t0 = System.nanoTime();
            long nRows = rows != null ? rows : ref ? 1_000_000 : 120_000;
            long nEval = evalRows != null ? evalRows : ref ? 20_000 : 6_000;
            MHeightConfig cfg = ref ? MHeightConfig.reference() : MHeightConfig.defaults();
            TrainingData td;
            if (data != null) {
                td = TrainingData.fromShards(data, VAL_FRACTION, 636);
            } else if (trainPickle != null) {
                td = TrainingData.fromPickles(trainPickle, VAL_FRACTION, 636);
            } else {
                Path dir = Rows.generate(dataRoot.resolve("mheight-intscale-n9-seed636-rows" + nRows), CodeSampler.Kind.INTSCALE, 636, nRows, 0.05);
                td = TrainingData.fromShards(dir, VAL_FRACTION, 636);
            }
            System.out.println(td.description());
            Path testDir = nEval == 0 ? null
                    : Rows.generate(dataRoot.resolve("mheight-intscale-n9-seed9001-rows" + nEval), CodeSampler.Kind.INTSCALE, 9001, nEval, 0.0);
            Path int100Dir = nEval == 0 ? null
                    : Rows.generate(dataRoot.resolve("mheight-int100-n9-seed9002-rows" + nEval), CodeSampler.Kind.INT100, 9002, nEval, 0.0);
            Rows train = td.train();
            Rows val = td.val();
            long mainSteps = epochs != null ? Math.max(1, Math.round(epochs * train.size() / batch)) : steps != null ? steps : ref ? REFERENCE_MAIN_STEPS : 2_000;
            if (mainSteps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + mainSteps);
            MHeightModel model = MHeightModel.create(cfg);
            model.to(dev.device());
            System.out.printf("train mheight (preset %s, %s): %,d parameters, %d train rows, %d val rows, %d main steps, batch %d%n", preset,
                    dev.note(), model.numParameters(), train.size(), val.size(), mainSteps, batch);
            Files.createDirectories(out);
            Path metricsFile = out.resolve("metrics.csv");
            Files.deleteIfExists(metricsFile);   // a new run, not a resume: its curves start from step 0
            Trainer trainer;
            try (CsvMetrics metrics = CsvMetrics.longFormat(metricsFile)) {
                trainer = new Trainer(model, Trainer.Options.of(mainSteps, batch), System.out, metrics);
                trainer.fit(train, val);
            }
            Path ck = trainer.save(out, Map.of("preset", preset, "trainRows", train.size(), "data", td.description()));
            List<String> charts = new ArrayList<>();
            if (Reports.lossCurves(out.resolve("loss.png"), trainer.history())) charts.add("loss.png");
            var means = Evaluation.groupMeans(train);
            BoundFit boundFit = BoundFit.fit(train, Features.log2LowerBounds(train));
            if (val.size() > 0) {
                evaluate("validation (held-out matrices of the training data)", "val", val, model, means, boundFit, charts);
            }
            if (testDir != null) {
                evaluate("fresh intscale held-out set", "intscale", Rows.load(testDir, MHeightDataset.Split.ALL), model, means, boundFit, charts);
                evaluate("int100 held-out set", "int100", Rows.load(int100Dir, MHeightDataset.Split.ALL), model, means, boundFit, charts);
            }
            System.out.printf("done in %.1f s: checkpoint %s; charts in %s (%s); metrics %s%n", (System.nanoTime() - t0) / 1e9, ck, out,
                    String.join(", ", charts), metricsFile);
            return 0;
        }

        private void evaluate(String title, String tag, Rows rows, MHeightModel model, Map<Integer, Double> means, BoundFit boundFit,
                              List<String> charts) {
            System.out.println("== " + title + ", tta " + tta);
            double[] bounds = Features.log2LowerBounds(rows);
            double[] pred = Predictor.predict(model, rows, bounds, tta, 1024);
            System.out.print(Evaluation.evaluate(rows, pred, means, boundFit.predict(rows, bounds)).table());
            String file = "pred-vs-true-" + tag + ".png";
            Reports.predictedVsTrue(out.resolve(file), title + ", tta " + tta, rows, pred);
            charts.add(file);
        }
    }
}
