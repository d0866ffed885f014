package dev.tessera.app.regression;

import static dev.tessera.app.regression.TrainingRuns.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sum task (targets with variance T/3 = 2.67 for T = 8) reaches a stated validation MSE within a bounded
 * number of steps for each model type; each threshold is 7-50x the loss the seeded run reached and at least 10x
 * below the untrained model's loss, which the test also checks.
 */
class SumTaskTrainingTest {
    @TempDir
    Path dir;

    private static void reaches(RegressionTrainer.Result r, double threshold, long maxSteps) {
        assertTrue(r.steps() <= maxSteps, "steps " + r.steps());
        assertTrue(r.initialValLoss() > 10 * threshold, "the untrained model already passes: " + r.initialValLoss());
        assertTrue(r.valLoss() < threshold, "val loss " + r.valLoss() + " after " + r.steps() + " steps, expected < " + threshold);
    }

    @Test
    void linearModel() {
        // 4 epochs x 32 steps
        var r = train(dir.resolve("linear"), "--type", "linear", "--seq-len", "8", "--train-size", "1024", "--val-size", "256", "--batch", "32",
                "--epochs", "4", "--lr", "0.05");
        reaches(r, 1e-3, 128);   // reached 2e-5: the sum is linear
        assertEquals(9, r.parameters());
    }

    @Test
    void mlp() {
        var r = train(dir.resolve("mlp"), "--type", "mlp", "--latent-dims", "32,32", "--seq-len", "8", "--train-size", "1024", "--val-size", "256",
                "--batch", "32", "--epochs", "4", "--lr", "0.01");
        reaches(r, 0.05, 128);   // reached 0.0074
    }

    @Test
    void transformerWritesMetricsPlotsAndALoadableCheckpoint() throws Exception {
        Path out = dir.resolve("tf");
        var r = train(out, "--seq-len", "8", "--d-model", "16", "--heads", "2", "--layers", "1", "--train-size", "1024", "--val-size", "256",
                "--batch", "32", "--epochs", "5", "--lr", "0.005", "--attention", "mqa", "--log-every", "5");
        reaches(r, 0.03, 160);   // reached 0.0033
        for (String f : List.of("metrics.csv", "loss.png", "predictions.png")) assertTrue(Files.size(out.resolve(f)) > 0, f);
        try (var tb = Files.list(out.resolve("tb"))) {
            assertTrue(tb.anyMatch(p -> p.getFileName().toString().startsWith("events.out.tfevents.")));
        }
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals("step,tag,value", csv.get(0));
        assertEquals(5 + 1, csv.stream().filter(l -> l.contains(",val/loss,")).count());   // untrained + each epoch
        assertEquals(160 / 5, csv.stream().filter(l -> l.contains(",train/loss,")).count());
        assertTrue(csv.contains("160,val/loss," + r.valLoss()), "the last val/loss row carries the result");

        TaskModel loaded = ModelBuilder.load(out);
        assertEquals(r.parameters(), loaded.numParameters());
        assertEquals(1, loaded.config().kvHeads());
        TaskData val = SyntheticTask.SUM.generate(256, 8, 1, 0, new Rng(1).split(2));
        float[] p = loaded.predict(val.inputs()).toFloatArray(), y = val.targets().toFloatArray();
        double mse = 0;
        for (int i = 0; i < p.length; i++) mse += (p[i] - y[i]) * (p[i] - y[i]) / p.length;
        assertEquals(r.valLoss(), mse, 1e-5, "the checkpoint reproduces the final validation loss");
        assertArrayEquals(new int[] {3}, loaded.predict(Tensor.zeros(DType.F32, 3, 8)).shape());
    }

    @Test
    void aRunFolderIsNotOverwritten() {
        Path out = dir.resolve("again");
        String[] args = {"--type", "linear", "--train-size", "64", "--val-size", "8", "--batch", "32", "--epochs", "1"};
        train(out, args);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> train(out, args));
        assertTrue(e.getMessage().contains("already holds a run"), e.getMessage());
    }
}
