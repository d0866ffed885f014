package dev.tessera.app.cli;

import dev.tessera.app.score.ScoreData;
import dev.tessera.app.score.ScoreMoeRecipe;
import dev.tessera.moe.binned.BinnedMoE;
import dev.tessera.moe.binned.BinnedMoETrainer;
import dev.tessera.moe.binned.ScoreBins;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera train score-moe}: the binned score MoE recipe on .npy files or a synthetic three-regime set. */
@Command(name = "score-moe", mixinStandardHelpOptions = true,
        description = {"Binned score MoE on paired embeddings: features (cosine, dot, L1, L2, |a-b|, a*b, norms; robust scaling; optional PCA),",
                "a gate classifier over score bins plus one expert regressor per bin, isotonic calibration on validation,",
                "report (RMSEs, per-expert loss, gate histograms, predicted-vs-true PNG), a submission CSV (ID,score) and the trained",
                "pipeline as a checkpoint ckpt-<epochs>/: tessera predict --checkpoint OUT --input X.npy --output FILE scores new rows with it.",
                "Without --x-train/--y-train it generates a seeded synthetic set with three score regimes."})
public final class ScoreMoeCommand implements Callable<Integer> {
    @Option(names = "--x-train", description = "Training embeddings .npy [n, 2h] (text half | metric half), float32/float64.")
    Path xTrain;

    @Option(names = "--y-train", description = "Training scores .npy [n] or [n, 1].")
    Path yTrain;

    @Option(names = "--x-test", description = "Test embeddings .npy [m, 2h]; their calibrated scores go to submission.csv.")
    Path xTest;

    @Option(names = "--test-ids", description = "Integer IDs .npy [m] for the submission (default: 0, 1, ...).")
    Path testIds;

    @Option(names = "--thresholds", split = ",", defaultValue = "4,8", description = "Bin edges inside the score range (default: ${DEFAULT-VALUE}).")
    double[] thresholds = {4, 8};

    @Option(names = "--score-range", split = ",", defaultValue = "0,10", description = "Lowest,highest score; predictions are clipped to it (default: ${DEFAULT-VALUE}).")
    double[] range = {0, 10};

    @Option(names = "--pca", defaultValue = "0", description = "PCA components per block |a-b| and a*b, 0 = keep them whole (default: ${DEFAULT-VALUE}).")
    int pca;

    @Option(names = "--clip", defaultValue = "10", description = "Clip robust-scaled features to +-this, 0 = off (default: ${DEFAULT-VALUE}).")
    double clip = 10;

    @Option(names = "--epochs", defaultValue = "40", description = "Epochs of the gate and of each expert (default: ${DEFAULT-VALUE}).")
    int epochs = 40;

    @Option(names = "--batch", defaultValue = "128", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch = 128;

    @Option(names = "--lr", defaultValue = "2e-3", description = "Peak AdamW learning rate, warm-up + cosine (default: ${DEFAULT-VALUE}).")
    double lr = 2e-3;

    @Option(names = "--weight-decay", defaultValue = "1e-4", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay = 1e-4;

    @Option(names = "--gate-hidden", defaultValue = "64", description = "Gate hidden units (default: ${DEFAULT-VALUE}).")
    int gateHidden = 64;

    @Option(names = "--expert-hidden", defaultValue = "64", description = "Expert hidden units per layer (default: ${DEFAULT-VALUE}).")
    int expertHidden = 64;

    @Option(names = "--expert-layers", defaultValue = "2", description = "Expert hidden layers (default: ${DEFAULT-VALUE}).")
    int expertLayers = 2;

    @Option(names = "--temperature", defaultValue = "1", description = "Gate temperature when combining experts (default: ${DEFAULT-VALUE}).")
    double temperature = 1;

    @Option(names = "--gate-entropy", defaultValue = "0", description = "Gate entropy coefficient; < 0 spreads gates, > 0 sharpens (default: ${DEFAULT-VALUE}).")
    double entropy;

    @Option(names = "--gate-dropout", defaultValue = "0", description = "Dropout on the gate's hidden units while training (default: ${DEFAULT-VALUE}).")
    double gateDropout;

    @Option(names = "--balanced-sampling", description = "Equal rows per bin in gate batches and equal steps per expert (instead of the class-balanced loss).")
    boolean balancedSampling;

    @Option(names = "--no-class-weights", description = "Plain (unweighted) gate cross-entropy.")
    boolean noClassWeights;

    @Option(names = "--finetune-epochs", defaultValue = "10",
            description = "Epochs of joint fine-tuning of the whole mixture after the parts, 0 = off (default: ${DEFAULT-VALUE}).")
    int fineTuneEpochs = 10;

    @Option(names = "--finetune-gate-ce", defaultValue = "0.3",
            description = "Weight of the gate's bin cross-entropy kept while fine-tuning (default: ${DEFAULT-VALUE}).")
    double fineTuneGateCe = 0.3;

    @Option(names = "--val-fraction", defaultValue = "0.2", description = "Held-out fraction for validation and calibration (default: ${DEFAULT-VALUE}).")
    double valFraction = 0.2;

    @Option(names = "--calibration", defaultValue = "auto",
            description = "Calibrate the submitted scores: auto (only if the 5-fold cross-fitted validation RMSE improves), on, off (default: ${DEFAULT-VALUE}).")
    String calibration = "auto";

    @Option(names = "--baseline", description = "Also train a single MLP regressor with the same parameter budget and report it.")
    boolean baseline;

    @Option(names = "--rows", defaultValue = "6000", description = "Synthetic training rows (default: ${DEFAULT-VALUE}).")
    int rows = 6000;

    @Option(names = "--test-rows", defaultValue = "2000", description = "Synthetic test rows (default: ${DEFAULT-VALUE}).")
    int testRows = 2000;

    @Option(names = "--dim", defaultValue = "16", description = "Synthetic embedding half size h (default: ${DEFAULT-VALUE}).")
    int dim = 16;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the synthetic data, split and training (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--out", description = "Output folder (default: runs/score-moe-<timestamp>).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if ((xTrain == null) != (yTrain == null)) throw new IllegalArgumentException("--x-train and --y-train go together");
        if (xTrain == null && (xTest != null || testIds != null)) {
            throw new IllegalArgumentException("--x-test/--test-ids need --x-train and --y-train (the synthetic set makes its own test rows)");
        }
        if (range.length != 2) throw new IllegalArgumentException("--score-range: expected lo,hi, got " + range.length + " values");
        ScoreData data = xTrain != null ? ScoreData.load(xTrain, yTrain, xTest, testIds) : ScoreData.synthetic(rows, testRows, dim, seed);
        ScoreBins bins = new ScoreBins(range[0], range[1], thresholds);
        Path dir = out != null ? out : Path.of("runs", "score-moe-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        var model = new BinnedMoE.Config(1, bins, gateHidden, expertHidden, expertLayers, gateDropout, temperature);
        var train = new BinnedMoETrainer.Options(epochs, batch, lr, weightDecay, entropy, !noClassWeights, balancedSampling, fineTuneEpochs,
                fineTuneGateCe, seed);
        ScoreMoeRecipe.Calibration cal = switch (calibration) {
            case "auto" -> ScoreMoeRecipe.Calibration.AUTO;
            case "on" -> ScoreMoeRecipe.Calibration.ON;
            case "off" -> ScoreMoeRecipe.Calibration.OFF;
            default -> throw new IllegalArgumentException("--calibration: expected auto, on or off, got " + calibration);
        };
        ScoreMoeRecipe.run(new ScoreMoeRecipe.Config(data, bins, pca, clip, model, train, valFraction, cal, baseline, dir), System.out);
        return 0;
    }
}
