package dev.tessera.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.optim.GradAccumulation;
import dev.tessera.nn.optim.GradClip;
import dev.tessera.nn.schedule.WarmupCosine;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** End-to-end training: convergence, gradient accumulation, and the stored loss curve. */
class TrainingTest {
    /** The resource holding the first 20 losses of {@link #lossCurve()}, one float per line (exact decimal form). */
    static final String CURVE = "/dev/tessera/nn/mlp_loss_curve.txt";

    /** y = sin(x0) + 0.5 x1 x2 - 0.3 x3 on N(0, 1) inputs [n, 8]. */
    static Tensor[] regressionData(Rng rng, int n) {
        Tensor x = Tensor.randn(rng, DType.F32, n, 8);
        Tensor y = x.select(1, 0).sin().add(x.select(1, 1).mul(x.select(1, 2)).mul(0.5)).sub(x.select(1, 3).mul(0.3)).reshape(n, 1);
        return new Tensor[] {x, y};
    }

    @Test
    void mlpFitsSeededSyntheticRegression() {
        // Stated target: full-batch MSE below 0.02 within 300 AdamW steps (the targets' variance is about 0.7).
        Rng rng = new Rng(2024);
        Tensor[] data = regressionData(rng, 512);
        Mlp model = new Mlp(new int[] {8, 64, 64, 1}, Activation.GELU, 0.0, rng);
        AdamW opt = new AdamW(model.parameters(), 1e-2, 1e-4);
        var schedule = new WarmupCosine(1e-2, 1e-3, 20, 300);
        double first = Double.NaN, last = Double.NaN;
        for (int step = 0; step < 300; step++) {
            opt.zeroGrad();
            Variable loss = Losses.mse(model.forward(Variable.constant(data[0])), data[1]);
            loss.backward();
            opt.step(schedule);
            if (step == 0) first = loss.value().item();
            last = loss.value().item();
        }
        double variance = data[1].var(new int[0], 0, false).item();
        assertEquals(variance, first, 0.5 * variance, "an untrained model predicts about the mean");
        assertTrue(last < 0.02, "final MSE " + last + " (start " + first + ")");
    }

    @Test
    void fourMicroBatchesEqualOneFullBatch() {
        Rng rng = new Rng(7);
        Mlp model = new Mlp(new int[] {8, 16, 1}, Activation.TANH, 0.0, DType.F64, rng);
        Tensor[] data = regressionData(rng, 32);
        Tensor x = data[0].to(DType.F64), y = data[1].to(DType.F64);
        Losses.mse(model.forward(Variable.constant(x)), y).backward();
        List<double[]> full = new ArrayList<>();
        for (Parameter p : model.parameters()) full.add(p.grad().toDoubleArray());
        double fullLoss = Losses.mse(model.forward(Variable.constant(x)), y).value().item();
        model.zeroGrad();
        double mean = GradAccumulation.accumulate(4, i -> Losses.mse(
                model.forward(Variable.constant(x.narrow(0, 8 * i, 8))), y.narrow(0, 8 * i, 8)));
        assertEquals(fullLoss, mean, 1e-12);
        List<Parameter> ps = model.parameters();
        for (int i = 0; i < ps.size(); i++) {
            double[] acc = ps.get(i).grad().toDoubleArray();
            for (int j = 0; j < acc.length; j++) assertEquals(full.get(i)[j], acc[j], 1e-12, "parameter " + i + " element " + j);
        }
    }

    /**
     * The first 20 losses of a seeded run: MLP 16-32-32-1 with GELU and dropout 0.1, AdamW with
     * warm-up + cosine, gradient clipping at 1.0, a fresh batch of 64 per step drawn from the
     * seeded generator.
     */
    static float[] lossCurve() {
        Rng rng = new Rng(42);
        Mlp model = new Mlp(new int[] {16, 32, 32, 1}, Activation.GELU, 0.1, rng);
        AdamW opt = new AdamW(model.parameters(), 3e-3, 0.01);
        var schedule = new WarmupCosine(3e-3, 3e-4, 5, 20);
        Rng data = rng.split(1);
        float[] losses = new float[20];
        for (int step = 0; step < 20; step++) {
            Tensor x = Tensor.randn(data, DType.F32, 64, 16);
            Tensor y = x.narrow(1, 0, 4).sum(1).tanh().reshape(64, 1);
            opt.zeroGrad();
            Variable loss = Losses.mse(model.forward(Variable.constant(x)), y);
            loss.backward();
            GradClip.clipGradNorm(model.parameters(), 1.0);
            opt.step(schedule);
            losses[step] = (float) loss.value().item();
        }
        return losses;
    }

    @Test
    void lossCurveIsBitReproducibleAndMatchesStoredValues() throws IOException {
        float[] a = lossCurve(), b = lossCurve();
        assertArrayEquals(a, b, "two runs in one JVM differ");
        float[] stored;
        try (InputStream in = TrainingTest.class.getResourceAsStream(CURVE)) {
            assertNotNull(in, "missing resource " + CURVE + "; generate it with TrainingTest.main(<resources dir>)");
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip().split("\n");
            stored = new float[lines.length];
            for (int i = 0; i < lines.length; i++) stored[i] = Float.parseFloat(lines[i].strip());
        }
        assertEquals(20, stored.length);
        for (int i = 0; i < 20; i++) {
            assertEquals(Float.floatToIntBits(stored[i]), Float.floatToIntBits(a[i]), "loss " + i + ": stored " + stored[i] + ", got " + a[i]);
        }
        assertTrue(a[19] < a[0], "the loss decreases: " + a[0] + " -> " + a[19]);
    }

    /** Writes the loss-curve resource: {@code TrainingTest.main("nn/src/test/resources")}. */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0], CURVE.substring(1));
        Files.createDirectories(file.getParent());
        StringBuilder b = new StringBuilder();
        for (float f : lossCurve()) b.append(f).append('\n');
        Files.writeString(file, b.toString());
        System.out.println("wrote " + file + ":\n" + b);
    }
}
