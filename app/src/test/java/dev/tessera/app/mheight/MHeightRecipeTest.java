package dev.tessera.app.mheight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Grad;
import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.data.MHeightDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
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
        Trainer trainer = new Trainer(model, new Trainer.Options(4, 32, 1e-3, 0.01, 0.5, 0.5, 1, 1), new PrintStream(log));
        trainer.fit(train);
        String text = log.toString();
        assertTrue(text.contains("phase main") && text.contains("phase booster") && text.contains("phase cooldown"), text);
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
    }
}
