package dev.tessera.app.score;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.moe.binned.BinnedMoE;
import dev.tessera.moe.binned.IsotonicCalibrator;
import dev.tessera.moe.binned.ScoreBins;
import dev.tessera.nn.train.Checkpoint;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The trained score pipeline of {@code tessera train score-moe}, from raw paired embeddings to submitted scores:
 * {@link ScoreFeatures} (pair features, optional PCA per block, robust scaling), the {@link BinnedMoE}, clipping to the
 * score range and, when the run chose it, the {@link IsotonicCalibrator}. {@link #save} writes it as one checkpoint
 * ({@link Checkpoints}, so the write is atomic) and {@link #load} reads it back into a pipeline whose predictions are
 * bit for bit those of the one that was saved.
 *
 * <p>Checkpoint layout ({@code <run>/ckpt-<epochs>/}; the parts train with separate optimizers, so the folder is named
 * by the epochs trained, parts plus joint fine-tuning, rather than by an optimizer step):
 * <ul>
 *   <li>{@code model.safetensors}: the mixture's parameters and buffers under {@code moe.}, the scaler's
 *       {@code features.scaler.median} and {@code .scale}, with PCA {@code features.absdiff_pca.} and
 *       {@code features.product_pca.} {@code mean}, {@code components} and {@code variance}, and the calibrator's
 *       {@code calibrator.knots_x} and {@code .knots_y} (float64 except the mixture's float32 weights);</li>
 *   <li>{@code meta.json} extra: {@code recipe} = {@code score-moe}, {@code model} (the {@link BinnedMoE.Config}, with
 *       the temperature in use), {@code features} (half size, PCA components and total variances, clip),
 *       {@code calibrator} (score range and whether it is applied) and the run's {@code results}.</li>
 * </ul>
 *
 * <pre>{@code
 * ScorePipeline p = ScorePipeline.load(Path.of("runs/score-moe-1"));   // a run folder (its latest checkpoint) or a ckpt-* folder
 * double[] scores = p.predict(ScoreData.readEmbeddings(Path.of("X_test.npy"), "--input"));
 * }</pre>
 */
public final class ScorePipeline {
    /** The {@code recipe} value of the checkpoints this class writes. */
    public static final String RECIPE = "score-moe";
    /** Rows per forward pass when predicting. */
    static final int PREDICT_BATCH = 4096;

    private static final String MOE = "moe.", SCALER = "features.scaler.", ABS_PCA = "features.absdiff_pca.", PROD_PCA = "features.product_pca.",
            CALIBRATOR = "calibrator.";

    private final ScoreFeatures features;
    private final BinnedMoE moe;
    private final IsotonicCalibrator calibrator;
    private final boolean calibrate;

    /**
     * A pipeline of fitted parts.
     *
     * @param calibrator the isotonic calibrator fitted on validation predictions
     * @param calibrate  whether {@link #predict} applies it (the run's {@code --calibration} decision)
     */
    public ScorePipeline(ScoreFeatures features, BinnedMoE moe, IsotonicCalibrator calibrator, boolean calibrate) {
        if (features.features() != moe.config().inputs()) {
            throw new IllegalArgumentException("ScorePipeline: the features give " + features.features() + " columns, the mixture takes "
                    + moe.config().inputs());
        }
        this.features = features;
        this.moe = moe;
        this.calibrator = java.util.Objects.requireNonNull(calibrator, "ScorePipeline: calibrator is null");
        this.calibrate = calibrate;
    }

    /**
     * The outputs for a set of rows.
     *
     * @param score        the submitted score: clipped to the score range, calibrated when the pipeline calibrates
     * @param uncalibrated the clipped, uncalibrated mixture output
     * @param mixture      the mixture's gates and experts (unclipped)
     */
    public record Prediction(double[] score, double[] uncalibrated, BinnedMoE.Prediction mixture) {}

    /** The submitted scores of raw embeddings {@code x [m, 2h]}. */
    public double[] predict(Tensor x) {
        return predictDetailed(x).score();
    }

    /** The submitted scores of raw embeddings {@code x [m, 2h]} with the steps before them. */
    public Prediction predictDetailed(Tensor x) {
        BinnedMoE.Prediction p = moe.predict(features.transform(x), PREDICT_BATCH);
        ScoreBins bins = bins();
        double[] clipped = new double[p.score().length];
        for (int i = 0; i < clipped.length; i++) clipped[i] = bins.clip(p.score()[i]);
        return new Prediction(calibrate ? calibrator.apply(clipped) : clipped, clipped, p);
    }

    /** The feature pipeline. */
    public ScoreFeatures features() {
        return features;
    }

    /** The mixture. */
    public BinnedMoE moe() {
        return moe;
    }

    /** The fitted calibrator (applied by {@link #predict} only when {@link #calibrates()}). */
    public IsotonicCalibrator calibrator() {
        return calibrator;
    }

    /** Whether the submitted scores are calibrated. */
    public boolean calibrates() {
        return calibrate;
    }

    /** The score bins (and range) of the mixture. */
    public ScoreBins bins() {
        return moe.config().bins();
    }

    // ------------------------------------------------------------------ checkpoint

    /**
     * Writes the pipeline as the only checkpoint of {@code runDir}: a checkpoint of an earlier run in that folder is removed
     * once the new one is committed (a new run replaces the old one, as its report and metrics do).
     *
     * @param epochs  the epochs trained (names the checkpoint folder)
     * @param results numbers of the run to keep beside the model (JSON values)
     * @return the checkpoint folder
     */
    public Path save(Path runDir, long epochs, Map<String, Object> results) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        moe.stateDict().forEach((k, v) -> tensors.put(MOE + k, v));
        RobustScaler s = features.scaler();
        tensors.put(SCALER + "median", vector(s.medians()));
        tensors.put(SCALER + "scale", vector(s.scales()));
        Map<String, Object> feat = new LinkedHashMap<>();
        feat.put("half", features.half());
        feat.put("pca", features.absDiffPca() == null ? 0 : features.absDiffPca().components());
        feat.put("clip", s.clip());
        if (features.absDiffPca() != null) {
            putPca(tensors, ABS_PCA, features.absDiffPca());
            putPca(tensors, PROD_PCA, features.productPca());
            feat.put("absDiffTotalVariance", features.absDiffPca().totalVariance());
            feat.put("productTotalVariance", features.productPca().totalVariance());
        }
        tensors.put(CALIBRATOR + "knots_x", vector(calibrator.knotsX()));
        tensors.put(CALIBRATOR + "knots_y", vector(calibrator.knotsY()));
        Map<String, Object> cal = new LinkedHashMap<>();
        cal.put("lo", calibrator.lo());
        cal.put("hi", calibrator.hi());
        cal.put("applied", calibrate);

        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("recipe", RECIPE);
        extra.put("model", moe.config().withTemperature(moe.temperature()).toMap());
        extra.put("features", feat);
        extra.put("calibrator", cal);
        extra.put("results", new LinkedHashMap<>(results));
        // keeping one checkpoint prunes an earlier run's, never the one just saved, and only after it is committed
        return new Checkpoints(runDir, 1).save(epochs, tensors, Map.of(), extra);
    }

    /**
     * Reads a pipeline written by {@link #save}: from a checkpoint folder, or from a run folder (its latest checkpoint).
     *
     * @throws IllegalArgumentException naming the path when there is no checkpoint, it is not a score-moe checkpoint, or it
     *                                  is damaged (unreadable files, missing or misshapen tensors)
     */
    public static ScorePipeline load(Path checkpointOrRun) {
        Path dir = resolve(checkpointOrRun);
        Checkpoint ck;
        try {
            ck = Checkpoints.load(dir);
        } catch (UncheckedIOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(dir + ": cannot read the checkpoint: " + e.getMessage(), e);
        }
        if (!RECIPE.equals(ck.extra().get("recipe"))) {
            throw new IllegalArgumentException(dir + ": not a score-moe checkpoint (recipe '" + ck.extra().get("recipe") + "')");
        }
        try {
            return fromCheckpoint(ck);
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException(dir + ": damaged score-moe checkpoint: " + e.getMessage(), e);
        }
    }

    /**
     * The {@code recipe} recorded in the checkpoint at {@code checkpointOrRun} (a checkpoint folder or a run folder's latest
     * checkpoint), reading only its {@code meta.json}; empty when there is no readable checkpoint there.
     */
    public static Optional<String> recipeOf(Path checkpointOrRun) {
        try {
            Path dir = resolve(checkpointOrRun);
            Object extra = new ObjectMapper().readValue(dir.resolve(Checkpoints.META_FILE).toFile(), Map.class).get("extra");
            return extra instanceof Map<?, ?> m && m.get("recipe") instanceof String r ? Optional.of(r) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The checkpoint folder of a checkpoint or run folder. */
    private static Path resolve(Path checkpointOrRun) {
        if (!Files.isDirectory(checkpointOrRun)) throw new IllegalArgumentException(checkpointOrRun + ": no such folder");
        if (Files.exists(checkpointOrRun.resolve(Checkpoints.META_FILE))) return checkpointOrRun;
        return Checkpoints.latest(checkpointOrRun).orElseThrow(() -> new IllegalArgumentException(checkpointOrRun
                + ": no checkpoint in this folder (expected " + Checkpoints.META_FILE + " or ckpt-<step>/ folders written by tessera train score-moe)"));
    }

    @SuppressWarnings("unchecked")
    private static ScorePipeline fromCheckpoint(Checkpoint ck) {
        Map<String, Tensor> t = ck.model();
        Map<String, Object> feat = ck.map("features"), cal = ck.map("calibrator");
        BinnedMoE moe = new BinnedMoE(BinnedMoE.Config.fromMap(ck.map("model")), new Rng(0));
        Map<String, Tensor> moeState = new LinkedHashMap<>();
        t.forEach((k, v) -> {
            if (k.startsWith(MOE)) moeState.put(k.substring(MOE.length()), v);
        });
        moe.loadStateDict(moeState);
        moe.eval();
        int half = Math.toIntExact(Checkpoint.asLong("features.half", feat.get("half")));
        long pca = Checkpoint.asLong("features.pca", feat.get("pca"));
        Pca abs = null, prod = null;
        if (pca > 0) {
            abs = readPca(t, ABS_PCA, number(feat, "absDiffTotalVariance"));
            prod = readPca(t, PROD_PCA, number(feat, "productTotalVariance"));
        }
        RobustScaler scaler = RobustScaler.restore(values(t, SCALER + "median"), values(t, SCALER + "scale"), number(feat, "clip"));
        ScoreFeatures features = ScoreFeatures.restore(half, abs, prod, scaler);
        IsotonicCalibrator calibrator = IsotonicCalibrator.of(values(t, CALIBRATOR + "knots_x"), values(t, CALIBRATOR + "knots_y"), number(cal, "lo"),
                number(cal, "hi"));
        if (!(cal.get("applied") instanceof Boolean applied)) throw new IllegalArgumentException("calibrator.applied is not a boolean: " + cal.get("applied"));
        return new ScorePipeline(features, moe, calibrator, applied);
    }

    private static void putPca(Map<String, Tensor> t, String prefix, Pca p) {
        t.put(prefix + "mean", p.mean());
        t.put(prefix + "components", p.weights());
        t.put(prefix + "variance", vector(p.explainedVariance()));
    }

    private static Pca readPca(Map<String, Tensor> t, String prefix, double totalVariance) {
        return Pca.restore(tensor(t, prefix + "mean"), tensor(t, prefix + "components"), values(t, prefix + "variance"), totalVariance);
    }

    private static Tensor tensor(Map<String, Tensor> t, String name) {
        Tensor v = t.get(name);
        if (v == null) throw new IllegalArgumentException("no tensor '" + name + "' in " + Checkpoints.MODEL_FILE);
        return v;
    }

    private static double[] values(Map<String, Tensor> t, String name) {
        return tensor(t, name).to(DType.F64).toDoubleArray();
    }

    private static double number(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n)) throw new IllegalArgumentException("'" + key + "' is not a number: " + m.get(key));
        return n.doubleValue();
    }

    private static Tensor vector(double[] v) {
        return Tensor.of(v, v.length);
    }
}
