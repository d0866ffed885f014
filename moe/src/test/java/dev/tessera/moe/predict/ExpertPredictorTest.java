package dev.tessera.moe.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.moe.SparseMoE;
import dev.tessera.moe.trace.TraceReader;
import dev.tessera.moe.trace.TraceRecorder;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpertPredictorTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        var o = PredictorTrainer.Options.DEFAULT;
        assertEquals(256, o.hidden());
        assertEquals(0.1, o.dropout());
        assertEquals(5e-5, o.lr());
        assertEquals(0.01, o.weightDecay());
        assertEquals(8, o.batch());
        assertEquals(List.of(1, 5), o.top());
        assertEquals(List.of(10, 15, 20), o.coverage());
    }

    @Test
    void architectureAndXavierInit() {
        var p = new ExpertPredictor(new ExpertPredictor.Config(24, 256, 16, 0.1), new Rng(3));
        Map<String, Parameter> ps = p.namedParameters();
        assertEquals(List.of("fc1.weight", "fc1.bias", "norm.weight", "norm.bias", "fc2.weight", "fc2.bias"), List.copyOf(ps.keySet()));
        double b1 = Math.sqrt(6.0 / (24 + 256)), b2 = Math.sqrt(6.0 / (256 + 16));
        double max1 = 0, max2 = 0;
        for (double v : ps.get("fc1.weight").value().toDoubleArray()) max1 = Math.max(max1, Math.abs(v));
        for (double v : ps.get("fc2.weight").value().toDoubleArray()) max2 = Math.max(max2, Math.abs(v));
        assertTrue(max1 <= b1 && max1 > 0.9 * b1, "fc1 Xavier bound " + b1 + ", max " + max1);
        assertTrue(max2 <= b2 && max2 > 0.9 * b2, "fc2 Xavier bound " + b2 + ", max " + max2);
        for (double v : ps.get("fc1.bias").value().toDoubleArray()) assertEquals(0.0, v);
        assertArrayEquals(new int[] {5, 16}, p.scores(Tensor.randn(new Rng(1), DType.F32, 5, 24)).shape());
        // dropout is active in training mode only: scores() is deterministic
        Tensor x = Tensor.randn(new Rng(2), DType.F32, 4, 24);
        assertArrayEquals(p.scores(x).toFloatArray(), p.scores(x).toFloatArray());
        assertTrue(p.isTraining(), "scores() restores the mode");
        var ex = assertThrows(IllegalArgumentException.class, () -> p.forward(Variable.constant(Tensor.zeros(DType.F32, 2, 5))));
        assertTrue(ex.getMessage().contains("must end in 24"), ex.getMessage());
    }

    @Test
    void multiLabelCrossEntropyByHandAndGradcheck() {
        // two rows, E = 3, k = 2
        double[] z = {1.0, 2.0, 0.5, -1.0, 0.0, 3.0};
        int[] ex = {1, 2, 0, 2};
        float[] w = {0.5f, 0.5f, 0.25f, 0.75f};
        double lse0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0.5)), lse1 = Math.log(Math.exp(-1) + Math.exp(0) + Math.exp(3));
        double expected = -(0.5 * (2 - lse0) + 0.5 * (0.5 - lse0) + 0.25 * (-1 - lse1) + 0.75 * (3 - lse1)) / 2;
        Variable logits = Variable.leaf(Tensor.of(z, 2, 3));
        Variable loss = ExpertPredictor.multiLabelCrossEntropy(logits, ex, w, 2);
        assertEquals(expected, loss.value().item(), 1e-12);
        loss.backward();
        // d/dz = (softmax(z) - target) / N
        double[] g = logits.grad().toDoubleArray();
        double[] target = {0, 0.5, 0.5, 0.25, 0, 0.75};
        for (int i = 0; i < 6; i++) {
            double lse = i < 3 ? lse0 : lse1;
            assertEquals((Math.exp(z[i] - lse) - target[i]) / 2, g[i], 1e-12);
        }
        GradCheck.assertGradients(v -> ExpertPredictor.multiLabelCrossEntropy(v[0], ex, w, 2), Tensor.of(z, 2, 3));
        var bad = assertThrows(IllegalArgumentException.class, () -> ExpertPredictor.multiLabelCrossEntropy(logits, new int[] {1, 3, 0, 2}, w, 2));
        assertTrue(bad.getMessage().contains("expert 3"), bad.getMessage());
    }

    /** A model with one or two sparse layers fed from a fixed random router: the experts are a deterministic function of the input's region. */
    static final class Routed extends Module {
        final SparseMoE a, b;

        Routed(int d, int e, int k, long seed) {
            Rng rng = new Rng(seed);
            var o = new SparseMoE.Options(e, k, 0.0, 0.0, 0.0, 0.0);
            a = child("a", new SparseMoE(d, 8, o, DType.F32, rng));
            b = child("b", new SparseMoE(d, 8, o, DType.F32, rng));
        }

        void forward(Tensor x) {
            // both layers route the same tokens, so rows pair up across layers
            a.forward(Variable.constant(x));
            b.forward(Variable.constant(x.tanh()));
        }
    }

    static Path syntheticTraces(Path dir, int tokens, long seed) {
        int d = 16, e = 16, k = 2;
        Routed m = new Routed(d, e, k, seed);
        try (var rec = TraceRecorder.attach(m, dir, TraceRecorder.Options.DEFAULT.withRowsPerShard(1000))) {
            for (int i = 0; i < tokens / 500; i++) m.forward(Tensor.randn(new Rng(seed * 1000 + i), DType.F32, 500, d));
        }
        return dir;
    }

    @Test
    void predictorBeatsTheRandomBaselineOnLearnableTraces(@TempDir Path dir) {
        TraceReader traces = TraceReader.open(syntheticTraces(dir, 6000, 42));
        var opt = PredictorTrainer.Options.DEFAULT.withLr(2e-3).withBatch(32).withEpochs(3);
        var out = new java.io.ByteArrayOutputStream();
        PredictorTrainer.Result r = new PredictorTrainer(opt, null, new java.io.PrintStream(out)).fit(traces, 0, 0);
        RoutingMetrics.Result m = r.predictor();
        assertEquals(r.valRows(), m.tokens());
        assertTrue(r.valRows() > 450 && r.valRows() < 750, "about 10 % validation rows: " + r.valRows());
        // stated margins over the random baselines (top-1 random 2/16 = 0.125, coverage@10 random C(10,2)/C(16,2) = 0.375)
        assertEquals(0.125, m.topRandom()[0], 1e-12);
        assertEquals(0.375, m.coverageRandom()[0], 1e-12);
        assertTrue(m.topAccuracy()[0] >= m.topRandom()[0] + 0.5, "top-1 " + m.topAccuracy()[0] + "\n" + out);
        assertTrue(m.topAccuracy()[1] >= m.topRandom()[1] + 0.4, "top-5 " + m.topAccuracy()[1]);
        assertTrue(m.coverageRate()[0] >= m.coverageRandom()[0] + 0.4, "coverage@10 " + m.coverageRate()[0]);
        // and over the frequency predictor
        assertTrue(m.topAccuracy()[0] >= r.frequency().topAccuracy()[0] + 0.4, "frequency top-1 " + r.frequency().topAccuracy()[0]);
        // the curve starts untrained and ends at the final metrics
        assertTrue(r.curve().size() >= 3 * opt.evalsPerEpoch());
        assertTrue(r.curve().get(0).valLoss() > r.curve().get(r.curve().size() - 1).valLoss());
        assertEquals(m.topAccuracy()[0], r.curve().get(r.curve().size() - 1).valTop1(), 1e-12);
        // a saved predictor loads back with the same scores
        Path f = dir.resolve("p.safetensors");
        try {
            r.model().save(f, Map.of("target_layer", "0"));
            ExpertPredictor back = ExpertPredictor.load(f);
            assertEquals(r.model().config(), back.config());
            Tensor x = Tensor.randn(new Rng(9), DType.F32, 7, 16);
            assertArrayEquals(r.model().scores(x).toFloatArray(), back.scores(x).toFloatArray());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void pairsAnEarlierLayersInputWithALaterLayersChoices(@TempDir Path dir) {
        TraceReader traces = TraceReader.open(syntheticTraces(dir, 3000, 7));
        // gate-weighted targets this time
        var opt = PredictorTrainer.Options.DEFAULT.withLr(2e-3).withBatch(32).withEpochs(2).withTarget(PredictorTrainer.Target.GATES);
        PredictorTrainer.Result r = new PredictorTrainer(opt, null, null).fit(traces, 0, 1);
        // layer b routes tanh(x): still a function of layer a's input
        assertTrue(r.predictor().topAccuracy()[0] >= r.predictor().topRandom()[0] + 0.3, "top-1 " + r.predictor().topAccuracy()[0]);
        assertEquals(0, r.sourceLayer());
        assertEquals(1, r.targetLayer());
        // layers that did not see the same tokens cannot be paired
        Path other = dir.resolve("uneven");
        Routed m = new Routed(16, 16, 2, 3);
        try (var rec = TraceRecorder.attach(m, other, TraceRecorder.Options.DEFAULT.withRowsPerShard(100))) {
            m.a.forward(Variable.constant(Tensor.randn(new Rng(1), DType.F32, 300, 16)));
            m.b.forward(Variable.constant(Tensor.randn(new Rng(2), DType.F32, 200, 16)));
        }
        var ex = assertThrows(IllegalArgumentException.class, () -> new PredictorTrainer(opt, null, null).fit(TraceReader.open(other), 0, 1));
        assertTrue(ex.getMessage().contains("same tokens"), ex.getMessage());
    }

    @Test
    void validationSplitIsSeededAndNearTheFraction() {
        int n = 0;
        for (long row = 0; row < 100_000; row++) if (PredictorTrainer.isValidation(0, row, 0.1)) n++;
        assertTrue(Math.abs(n - 10_000) < 400, "validation rows " + n);
        assertEquals(PredictorTrainer.isValidation(5, 1234, 0.3), PredictorTrainer.isValidation(5, 1234, 0.3));
    }
}
