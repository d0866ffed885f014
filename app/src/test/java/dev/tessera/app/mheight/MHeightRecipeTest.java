package dev.tessera.app.mheight;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Grad;
import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.data.MHeightDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MHeightRecipeTest {
    @TempDir
    Path tmp;

    @Test
    void tinyEndToEndRunWritesACheckpointAndForwardIsColumnPermutationInvariant() throws Exception {
        Path dir = Rows.generate(tmp.resolve("data"), CodeSampler.Kind.INTSCALE, 5, 300, 0.1);
        Rows train = Rows.load(dir, MHeightDataset.Split.TRAIN);
        assertTrue(train.size() > 100);
        double wsum = 0;
        for (double w : Trainer.groupWeights(train)) wsum += w;
        assertEquals(1.0, wsum, 1e-9);
        MHeightModel model = MHeightModel.create(new MHeightConfig(16, 2, 1, 32, 7, 16, 3));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer trainer = new Trainer(model, new Trainer.Options(4, 32, 1e-3, 0.01, 0.5, 0.5, 1, 1, 2), new PrintStream(log));
        Rows heldOut = Rows.load(dir, MHeightDataset.Split.VAL);
        assertTrue(heldOut.size() > 0);
        trainer.fit(train, heldOut);
        String text = log.toString();
        assertTrue(text.contains("phase main") && text.contains("phase booster") && text.contains("phase cooldown"), text);
        // validation every 2 steps and at each phase's end: main 4 steps -> 2 points, booster and cooldown 2 steps -> 1 point each
        LossHistory h = trainer.history();
        assertEquals(List.of("main", "booster", "cooldown"), List.copyOf(h.phases()));
        assertArrayEquals(new double[] {1, 3}, h.curve("main", LossHistory.VAL)[0]);
        assertArrayEquals(new double[] {5}, h.curve("booster", LossHistory.VAL)[0]);
        assertArrayEquals(new double[] {7}, h.curve("cooldown", LossHistory.TRAIN)[0]);
        for (var p : h.points()) assertTrue(p.loss() > 0 && Double.isFinite(p.loss()), p.toString());
        assertTrue(Reports.lossCurves(tmp.resolve("loss.png"), h));
        assertPng(tmp.resolve("loss.png"));
        Path ck = trainer.save(tmp.resolve("ck"), Map.of("preset", "test"));
        assertTrue(Files.exists(ck.resolve("model.safetensors")));
        MHeightModel loaded = Trainer.load(tmp.resolve("ck"));

        // column permutation invariance of the forward, and the loaded model equals the trained one
        int[] n = {9, 9}, k = {4, 5}, m = {3, 2};
        double[] p0 = new double[20];
        double[] p1 = new double[20];
        for (int i = 0; i < 20; i++) p0[i] = (i * 7 % 11) - 5;
        for (int i = 0; i < 4; i++) for (int t = 0; t < 5; t++) p1[i * 5 + t] = p0[i * 5 + (t + 2) % 5] * (t == 1 ? -1 : 1);
        double[] q0 = new double[20];
        double[] q1 = new double[20];
        for (int i = 0; i < 20; i++) q0[i] = (i * 5 % 13) - 6;
        for (int i = 0; i < 5; i++) for (int t = 0; t < 4; t++) q1[i * 4 + t] = q0[i * 4 + (3 - t)];
        try (var g = Grad.disabled()) {
            float[] a = loaded.forward(Features.build(n, k, m, new double[][] {p0, q0})).value().toFloatArray();
            float[] b = loaded.forward(Features.build(n, k, m, new double[][] {p1, q1})).value().toFloatArray();
            float[] c = model.forward(Features.build(n, k, m, new double[][] {p0, q0})).value().toFloatArray();
            for (int i = 0; i < 2; i++) {
                assertEquals(a[i], b[i], 1e-4, "column permutation / sign flip changed the prediction");
                assertEquals(a[i], c[i], 1e-5, "checkpoint round trip changed the prediction");
            }
        }
        Rows val = Rows.load(dir, MHeightDataset.Split.ALL);
        double[] pred = Predictor.predict(loaded, val, 2, 64);
        Evaluation.Result r = Evaluation.evaluate(val, pred, Evaluation.groupMeans(train));
        assertTrue(Double.isFinite(r.macro()) && r.baseMacro() > 0, r.table());
        assertEquals(r.macro(), Evaluation.macroMse(val, pred), 1e-12);
        Reports.predictedVsTrue(tmp.resolve("pvt.png"), "all rows", val, pred);
        assertPng(tmp.resolve("pvt.png"));
    }

    @Test
    void splitByMatrixKeepsEveryMOfAMatrixTogetherAndIgnoresOrder() {
        int rows = 600;
        int[] n = new int[rows], k = new int[rows], m = new int[rows];
        double[][] p = new double[rows][];
        double[] y = new double[rows];
        for (int i = 0; i < rows; i++) {
            int mat = i / 3;                       // three m per matrix, as in the course files
            n[i] = 9;
            k[i] = 4;
            m[i] = 2 + i % 3;
            p[i] = new double[20];
            java.util.SplittableRandom r = new java.util.SplittableRandom(mat);
            for (int j = 0; j < 20; j++) p[i][j] = r.nextInt(-100, 101);
            y[i] = i;
        }
        Rows all = new Rows(n, k, m, p, y);
        Rows.Split s = all.splitByMatrix(0.2, 11);
        assertEquals(rows, s.train().size() + s.val().size());
        assertTrue(s.val().size() > 60 && s.val().size() < 180, "val rows " + s.val().size());
        java.util.Set<Integer> valMats = new java.util.HashSet<>();
        for (double v : s.val().log2h()) valMats.add((int) v / 3);
        for (double v : s.train().log2h()) assertTrue(!valMats.contains((int) v / 3), "matrix " + ((int) v / 3) + " on both sides");
        // reversed input order gives the same validation rows
        int[] rev = new int[rows];
        for (int i = 0; i < rows; i++) rev[i] = rows - 1 - i;
        java.util.Set<Double> a = new java.util.HashSet<>(), b = new java.util.HashSet<>();
        for (double v : s.val().log2h()) a.add(v);
        for (double v : all.subset(rev).splitByMatrix(0.2, 11).val().log2h()) b.add(v);
        assertEquals(a, b);
        assertEquals(0, all.splitByMatrix(0.0, 11).val().size());
    }

    static void assertPng(Path f) throws java.io.IOException {
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(f), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head, f + " is not a PNG");
    }
}
