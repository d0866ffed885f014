package dev.tessera.app.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.app.Main;
import dev.tessera.moe.binned.ScoreBins;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recipe end to end in tiny configurations, through the command line. */
class ScoreMoeRecipeTest {
    private static final Pattern ROW = Pattern.compile("(\\d+),(\\d+\\.\\d\\d)");

    @TempDir
    Path tmp;

    /** Checks the CSV format and returns its scores. */
    private static double[] checkSubmission(Path csv, long[] ids) throws Exception {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        assertEquals("ID,score", lines.get(0));
        assertEquals(ids.length + 1, lines.size());
        double[] s = new double[ids.length];
        for (int i = 0; i < ids.length; i++) {
            var m = ROW.matcher(lines.get(i + 1));
            assertTrue(m.matches(), "line " + (i + 2) + ": " + lines.get(i + 1));
            assertEquals(ids[i], Long.parseLong(m.group(1)));
            s[i] = Double.parseDouble(m.group(2));
            assertTrue(s[i] >= 0 && s[i] <= 10, "score out of range: " + lines.get(i + 1));
        }
        return s;
    }

    @Test
    void syntheticRunWritesReportPlotsAndAValidSubmission() throws Exception {
        Path out = tmp.resolve("run");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Main.run("train", "score-moe", "--rows", "500", "--test-rows", "60", "--dim", "4", "--epochs", "2", "--gate-hidden", "8",
                    "--expert-hidden", "8", "--baseline", "--calibration", "auto", "--out", out.toString());
        } finally {
            System.setOut(old);
        }
        String log = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, log);
        assertTrue(log.contains("uncalibrated") && log.contains("5-fold cross-fitted") && log.contains("single MLP"), log);
        assertTrue(log.contains("submitted scores:") && log.contains("--calibration auto"), log);
        long[] ids = new long[60];
        for (int i = 0; i < 60; i++) ids[i] = i;
        checkSubmission(out.resolve("submission.csv"), ids);
        for (String f : new String[] {"report.txt", "metrics.csv", "losses.png", "pred_vs_true.png", "gate_weights_expert0.png",
                "gate_weights_expert2.png"}) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        assertTrue(Files.readString(out.resolve("metrics.csv")).contains("expert2/val_mse"));
        try (var files = Files.list(out)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void npyFilesWithPcaAndIdsAndCustomThresholds() throws Exception {
        var tr = SyntheticScores.generate(400, 5, 3);
        var te = SyntheticScores.generate(30, 5, 4);
        Path xt = tmp.resolve("X_train.npy"), yt = tmp.resolve("y_train.npy"), xs = tmp.resolve("X_test.npy"), id = tmp.resolve("ids.npy");
        Npy.write(xt, tr.x().to(DType.F64));
        Npy.write(yt, Tensor.of(tr.y(), tr.y().length).to(DType.F32));
        Npy.write(xs, te.x());
        int[] idv = new int[30];
        long[] ids = new long[30];
        for (int i = 0; i < 30; i++) ids[i] = idv[i] = 1000 + 3 * i;
        Npy.write(id, Tensor.of(idv, 30));
        Path out = tmp.resolve("npy-run");
        var result = ScoreMoeRecipe.run(new ScoreMoeRecipe.Config(ScoreData.load(xt, yt, xs, id), ScoreBins.of(0, 10, 3, 6, 8), 2, 10,
                new dev.tessera.moe.binned.BinnedMoE.Config(1, ScoreBins.of(0, 10, 3, 6, 8), 8, 8, 1, 0.1, 1.5),
                new dev.tessera.moe.binned.BinnedMoETrainer.Options(2, 64, 2e-3, 0, -0.01, false, true, 2, 0.3, 5), 0.25, ScoreMoeRecipe.Calibration.ON, false, out),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        checkSubmission(result.submission(), ids);
        assertEquals(4, result.expertValMse().length);
        assertTrue(Double.isNaN(result.baselineRmse()) && Double.isNaN(result.testRmse()));
        assertTrue(result.valRmseCalibrated() <= result.valRmse() + 1e-12, "in-sample isotonic fit cannot be worse than the identity map");
        assertTrue(result.calibrated());
        assertTrue(Files.exists(out.resolve("gate_weights_expert3.png")));
        // mismatched inputs are reported by option name
        Path bad = tmp.resolve("y_bad.npy");
        Npy.write(bad, Tensor.zeros(DType.F32, 7));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ScoreData.load(xt, bad, null, null));
        assertTrue(e.getMessage().contains("--y-train") && e.getMessage().contains("7 scores") && e.getMessage().contains("400 rows"), e.getMessage());
        assertNotEquals(0, Main.run("train", "score-moe", "--x-train", xt.toString(), "--out", tmp.resolve("x").toString()));
    }

    @Test
    void submissionRoundsToTwoDecimalsAndSplitsAreStratified() throws Exception {
        assertEquals("2.35", Submission.format(2.345));
        assertEquals("2.34", Submission.format(2.3449));
        assertEquals("0.00", Submission.format(-0.001));
        assertEquals("7.00", Submission.format(7));
        assertEquals("10.00", Submission.format(9.999));
        Path csv = tmp.resolve("s.csv");
        Submission.write(csv, new long[] {5, 9}, new double[] {1.005, 3.14159});
        assertEquals("ID,score\n5,1.01\n9,3.14\n", Files.readString(csv));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Submission.write(csv, new long[] {1}, new double[] {Double.NaN}));
        assertTrue(e.getMessage().contains("ID 1"), e.getMessage());

        int[] bins = new int[100];
        for (int i = 0; i < 100; i++) bins[i] = i < 10 ? 0 : i < 70 ? 1 : 2;
        int[][] split = ScoreMoeRecipe.stratifiedSplit(bins, 3, 0.2, 1);
        assertEquals(80, split[0].length);
        int[] valPerBin = new int[3];
        for (int i : split[1]) valPerBin[bins[i]]++;
        assertArrayEquals(new int[] {2, 12, 6}, valPerBin);
        boolean[] seen = new boolean[100];
        for (int[] part : split) for (int i : part) seen[i] = true;
        for (boolean s : seen) assertTrue(s);
    }
}
