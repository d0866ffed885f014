package dev.tessera.app.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.app.Main;
import dev.tessera.moe.binned.BinnedMoE;
import dev.tessera.moe.binned.BinnedMoETrainer;
import dev.tessera.moe.binned.ScoreBins;
import dev.tessera.nn.train.Checkpoint;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The score-moe checkpoint: a pipeline loaded from it predicts bit for bit what the trained one does (features with PCA,
 * mixture, calibrator), {@code tessera predict} and {@code tessera eval} use it, and a missing or damaged checkpoint is
 * reported with its path.
 */
class ScorePipelineTest {
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path tmp;

    /** A tiny run with PCA, gate dropout, joint fine-tuning and the calibrator applied. */
    private static ScoreMoeRecipe.Result train(ScoreData data, Path out, int epochs) {
        ScoreBins bins = ScoreBins.of(0, 10, 4, 8);
        return ScoreMoeRecipe.run(new ScoreMoeRecipe.Config(data, bins, 3, 10, new BinnedMoE.Config(1, bins, 8, 8, 1, 0.1, 1.5),
                new BinnedMoETrainer.Options(epochs, 64, 2e-3, 1e-4, 0, true, false, 1, 0.3, 5), 0.2, ScoreMoeRecipe.Calibration.ON, false, out), QUIET);
    }

    @Test
    void loadedPipelinePredictsExactlyAsTheTrainedOne() throws Exception {
        ScoreData data = ScoreData.synthetic(500, 60, 4, 11);
        Path run = tmp.resolve("run");
        var result = train(data, run, 2);
        assertEquals(run.resolve("ckpt-000000003"), result.checkpoint(), "named by the epochs: 2 of the parts + 1 of fine-tuning");
        assertEquals(List.of(result.checkpoint()), new Checkpoints(run, 1).list());

        ScorePipeline trained = result.pipeline(), loaded = ScorePipeline.load(run);   // the run folder: its latest checkpoint
        assertTrue(loaded.calibrates());
        assertNotEquals(null, loaded.features().absDiffPca());
        Tensor fresh = SyntheticScores.generate(80, 4, 99).x();
        for (Tensor x : new Tensor[] {data.xTest(), fresh}) {
            ScorePipeline.Prediction a = trained.predictDetailed(x), b = loaded.predictDetailed(x);
            assertArrayEquals(a.score(), b.score(), 0.0);
            assertArrayEquals(a.uncalibrated(), b.uncalibrated(), 0.0);
            assertArrayEquals(a.mixture().score(), b.mixture().score(), 0.0);
            for (int k = 0; k < 3; k++) assertArrayEquals(a.mixture().gates()[k], b.mixture().gates()[k], 0.0);
            assertNotEquals(a.score()[0], a.uncalibrated()[0], "the calibrator changes the scores, so its restoring is checked");
        }
        assertArrayEquals(trained.features().transform(fresh).toDoubleArray(), loaded.features().transform(fresh).toDoubleArray(), 0.0);
        assertArrayEquals(trained.calibrator().knotsX(), loaded.calibrator().knotsX(), 0.0);
        assertEquals(loaded.features().toString(), trained.features().toString());

        // tessera predict on the checkpoint reproduces the run's submission; .npy output keeps full precision
        Path xs = tmp.resolve("X_test.npy"), ys = tmp.resolve("y_test.npy"), csv = tmp.resolve("again.csv"), npy = tmp.resolve("scores.npy");
        Npy.write(xs, data.xTest());
        Npy.write(ys, Tensor.of(data.yTest(), data.yTest().length));
        assertEquals(0, cli("predict", "--checkpoint", run.toString(), "--input", xs.toString(), "--output", csv.toString()).code);
        assertEquals(Files.readString(result.submission()), Files.readString(csv));
        assertEquals(0, cli("predict", "--checkpoint", result.checkpoint().toString(), "--input", xs.toString(), "--output", npy.toString()).code);
        assertArrayEquals(trained.predict(data.xTest()), Npy.read(npy).toDoubleArray(), 0.0);
        // tessera eval: RMSE of the submitted scores against the labels
        Cli e = cli("eval", "--checkpoint", run.toString(), "--input", xs.toString(), "--labels", ys.toString());
        assertEquals(0, e.code, e.err);
        double[] s = trained.predict(data.xTest());
        double se = 0;
        for (int i = 0; i < s.length; i++) se += (s[i] - data.yTest()[i]) * (s[i] - data.yTest()[i]);
        assertTrue(e.out.matches("(?s).*RMSE of the submitted scores \\(calibrated\\) +" + String.format(java.util.Locale.ROOT, "%.4f",
                Math.sqrt(se / s.length)) + "\n.*"), e.out);
        // flags that do not fit a score-moe checkpoint, or an input of another width, name the argument
        Path narrow = tmp.resolve("narrow.npy");
        Npy.write(narrow, SyntheticScores.generate(5, 3, 1).x());
        Cli bad = cli("predict", "--checkpoint", run.toString(), "--input", narrow.toString(), "--output", csv.toString());
        assertEquals(2, bad.code);
        assertTrue(bad.err.contains("--input: " + narrow + " has 6 columns, but the checkpoint's pipeline takes 8"), bad.err);
        bad = cli("eval", "--checkpoint", run.toString(), "--input", xs.toString());
        assertEquals(2, bad.code);
        assertTrue(bad.err.contains("--labels"), bad.err);

        // a new run into the same folder replaces the checkpoint, even one of fewer epochs
        var again = train(data, run, 1);
        assertEquals(List.of(again.checkpoint()), new Checkpoints(run, 1).list());
        assertEquals(run.resolve("ckpt-000000002"), again.checkpoint());
    }

    @Test
    void missingOrDamagedCheckpointsNameTheirPath() throws Exception {
        Path nope = tmp.resolve("nope");
        var e = assertThrows(IllegalArgumentException.class, () -> ScorePipeline.load(nope));
        assertEquals(nope + ": no such folder", e.getMessage());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        e = assertThrows(IllegalArgumentException.class, () -> ScorePipeline.load(empty));
        assertTrue(e.getMessage().startsWith(empty + ": no checkpoint in this folder"), e.getMessage());

        Path run = tmp.resolve("run");
        var result = train(ScoreData.synthetic(300, 10, 3, 5), run, 1);
        Checkpoint ck = Checkpoints.load(result.checkpoint());
        // a tensor missing from model.safetensors
        Map<String, Tensor> partial = new LinkedHashMap<>(ck.model());
        partial.remove("calibrator.knots_x");
        Path missing = new Checkpoints(tmp.resolve("missing"), 1).save(ck.step(), partial, Map.of(), ck.extra());
        e = assertThrows(IllegalArgumentException.class, () -> ScorePipeline.load(missing));
        assertTrue(e.getMessage().startsWith(missing + ": damaged score-moe checkpoint") && e.getMessage().contains("calibrator.knots_x"), e.getMessage());
        // a truncated tensor file
        Path truncated = copy(result.checkpoint(), tmp.resolve("truncated"));
        Path model = truncated.resolve(Checkpoints.MODEL_FILE);
        Files.write(model, java.util.Arrays.copyOf(Files.readAllBytes(model), 200));
        e = assertThrows(IllegalArgumentException.class, () -> ScorePipeline.load(truncated));
        assertTrue(e.getMessage().startsWith(truncated + ": cannot read the checkpoint"), e.getMessage());
        Path x = tmp.resolve("x.npy");
        Npy.write(x, SyntheticScores.generate(5, 3, 1).x());
        Cli c = cli("predict", "--checkpoint", truncated.toString(), "--input", x.toString(), "--output", tmp.resolve("o.csv").toString());
        assertEquals(2, c.code);
        assertTrue(c.err.contains("--checkpoint " + truncated + ": cannot read the checkpoint"), c.err);
        // an unreadable meta.json: no recipe to go by, still one clear line naming the folder
        Path garbled = copy(result.checkpoint(), tmp.resolve("garbled"));
        Files.writeString(garbled.resolve(Checkpoints.META_FILE), "{\"format\": \"tessera-checkpoint\", ");
        e = assertThrows(IllegalArgumentException.class, () -> ScorePipeline.load(garbled));
        assertTrue(e.getMessage().startsWith(garbled + ": cannot read the checkpoint"), e.getMessage());
        c = cli("predict", "--checkpoint", garbled.toString(), "--input", x.toString(), "--output", tmp.resolve("o.csv").toString());
        assertEquals(2, c.code, c.err);
        assertTrue(c.err.contains("--checkpoint ") && c.err.contains(garbled.toString()), c.err);
        // another recipe's checkpoint
        Path other = new Checkpoints(tmp.resolve("other"), 1).save(1, Map.of(), Map.of(), Map.of("recipe", "regression"));
        e = assertThrows(IllegalArgumentException.class, () -> ScorePipeline.load(other));
        assertEquals(other + ": not a score-moe checkpoint (recipe 'regression')", e.getMessage());
    }

    private static Path copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName().toString()));
        }
        return to;
    }

    private record Cli(int code, String out, String err) {}

    /** Runs the command line, capturing standard output and error. */
    private static Cli cli(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
