package dev.tessera.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.ModuleGradCheck;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LayersTest {
    private static void assertClose(double[] expected, Tensor actual, double tol) {
        double[] a = actual.toDoubleArray();
        assertEquals(expected.length, a.length, "length");
        for (int i = 0; i < a.length; i++) assertEquals(expected[i], a[i], tol, "element " + i);
    }

    private static Variable c(Tensor t) {
        return Variable.constant(t);
    }

    // ------------------------------------------------------------------ Linear

    @Test
    void linearHandComputed() {
        Linear l = new Linear(2, 3, new Rng(0));
        l.weight().value().copyFrom(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        l.bias().value().copyFrom(Tensor.of(new float[] {0.5f, -1, 2}, 3));
        Tensor x = Tensor.of(new float[] {1, -1, 2, 0.5f}, 2, 2);
        Variable y = l.forward(c(x));
        assertArrayEquals(new int[] {2, 3}, y.shape());
        assertClose(new double[] {-0.5, -2, 1, 3.5, 7, 15}, y.value(), 1e-6);
        // d(sum y)/dW[o, i] = sum_n x[n, i]; d/db = N
        y.sum().backward();
        assertClose(new double[] {3, -0.5, 3, -0.5, 3, -0.5}, l.weight().grad(), 1e-6);
        assertClose(new double[] {2, 2, 2}, l.bias().grad(), 1e-6);
    }

    @Test
    void linearDefaultInitIsUniformInPlusMinusOneOverSqrtIn() {
        Linear l = new Linear(64, 32, new Rng(3));
        double bound = 1 / Math.sqrt(64);
        for (double v : l.weight().value().toDoubleArray()) assertTrue(Math.abs(v) <= bound);
        for (double v : l.bias().value().toDoubleArray()) assertTrue(Math.abs(v) <= bound);
        Linear same = new Linear(64, 32, new Rng(3));
        assertArrayEquals(l.weight().value().toFloatArray(), same.weight().value().toFloatArray());
    }

    @Test
    void linearGradcheckRank3WithAndWithoutBias() {
        Rng rng = new Rng(11);
        Linear l = new Linear(4, 3, true, DType.F64, rng);
        ModuleGradCheck.check(l, l::forward, Tensor.randn(rng, DType.F64, 2, 3, 4), true);
        Linear nb = new Linear(4, 2, false, DType.F64, rng);
        assertNull(nb.bias());
        ModuleGradCheck.check(nb, nb::forward, Tensor.randn(rng, DType.F64, 5, 4), true);
    }

    @Test
    void linearFunctionalMatchesComposite() {
        Rng rng = new Rng(2);
        Tensor x = Tensor.randn(rng, DType.F64, 3, 5), w = Tensor.randn(rng, DType.F64, 4, 5), b = Tensor.randn(rng, DType.F64, 4);
        GradCheck.assertGradients(v -> Linear.apply(v[0], v[1], v[2]), x, w, b);
        Tensor composite = x.matmul(w.mT()).add(b);
        assertTrue(composite.allClose(Linear.apply(c(x), c(w), c(b)).value(), 1e-12, 1e-12));
    }

    @Test
    void linearRejectsWrongInputSize() {
        Linear l = new Linear(3, 2, new Rng(0));
        var e = assertThrows(IllegalArgumentException.class, () -> l.forward(c(Tensor.zeros(DType.F32, 2, 4))));
        assertTrue(e.getMessage().contains("linear: input [2,4]"), e.getMessage());
    }

    // ------------------------------------------------------------------ Embedding

    @Test
    void embeddingLooksUpRowsAndAccumulatesRepeatedGradients() {
        Embedding e = new Embedding(3, 2, new Rng(0));
        e.weight().value().copyFrom(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        Tensor idx = Tensor.of(new int[] {2, 0, 1, 2}, 2, 2);
        Variable y = e.forward(idx);
        assertArrayEquals(new int[] {2, 2, 2}, y.shape());
        assertClose(new double[] {5, 6, 1, 2, 3, 4, 5, 6}, y.value(), 0);
        y.mul(c(Tensor.of(new float[] {1, 10, 1, 10, 1, 10, 2, 20}, 2, 2, 2))).sum().backward();
        assertClose(new double[] {1, 10, 1, 10, 3, 30}, e.weight().grad(), 1e-6);
        for (int bad : new int[] {3, -1}) {
            var ex = assertThrows(IllegalArgumentException.class, () -> e.forward(Tensor.of(new int[] {0, bad}, 2)));
            assertTrue(ex.getMessage().startsWith("Embedding(3, 2): ") && ex.getMessage().contains("index " + bad + " is out of range"), ex.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> e.forward(Tensor.of(new float[] {0}, 1)));
    }

    @Test
    void embeddingGradcheck() {
        Embedding e = new Embedding(4, 3, DType.F64, new Rng(5));
        Tensor idx = Tensor.of(new int[] {3, 1, 3, 0}, 4);
        ModuleGradCheck.check(e, x -> e.forward(idx).tanh(), Tensor.zeros(DType.F64, 1), false);
    }

    // ------------------------------------------------------------------ norms

    @Test
    void layerNormHandComputed() {
        LayerNorm ln = new LayerNorm(4, 0.0, true, DType.F32);
        ln.gamma().value().copyFrom(Tensor.of(new float[] {1, 2, 1, 1}, 4));
        ln.beta().value().copyFrom(Tensor.of(new float[] {0, 0, 1, 0}, 4));
        // mean 2.5, biased variance 1.25
        double s = Math.sqrt(1.25);
        Variable y = ln.forward(c(Tensor.of(new float[] {1, 2, 3, 4}, 1, 4)));
        assertClose(new double[] {-1.5 / s, 2 * -0.5 / s, 0.5 / s + 1, 1.5 / s}, y.value(), 1e-6);
        assertEquals(List.of("weight", "bias"), List.copyOf(ln.namedParameters().keySet()));
    }

    @Test
    void layerNormGradcheck() {
        Rng rng = new Rng(8);
        LayerNorm ln = new LayerNorm(5, 1e-5, true, DType.F64);
        ln.gamma().value().copyFrom(Tensor.randn(rng, DType.F64, 5));
        ln.beta().value().copyFrom(Tensor.randn(rng, DType.F64, 5));
        ModuleGradCheck.check(ln, ln::forward, Tensor.randn(rng, DType.F64, 2, 3, 5), true);
        LayerNorm plain = new LayerNorm(5, 1e-5, false, DType.F64);
        assertTrue(plain.namedParameters().isEmpty());
        GradCheck.assertGradients(v -> plain.forward(v[0]), Tensor.randn(rng, DType.F64, 3, 5));
    }

    @Test
    void rmsNormHandComputed() {
        RmsNorm n = new RmsNorm(2, 0.0, true, DType.F32);
        n.gamma().value().copyFrom(Tensor.of(new float[] {2, 1}, 2));
        // mean of squares (9 + 16) / 2 = 12.5
        Variable y = n.forward(c(Tensor.of(new float[] {3, 4}, 1, 2)));
        assertClose(new double[] {2 * 3 / Math.sqrt(12.5), 4 / Math.sqrt(12.5)}, y.value(), 1e-6);
    }

    @Test
    void rmsNormGradcheck() {
        Rng rng = new Rng(9);
        RmsNorm n = new RmsNorm(6, 1e-6, true, DType.F64);
        n.gamma().value().copyFrom(Tensor.randn(rng, DType.F64, 6));
        ModuleGradCheck.check(n, n::forward, Tensor.randn(rng, DType.F64, 4, 6), true);
    }

    // ------------------------------------------------------------------ dropout

    @Test
    void dropoutZeroesAboutPAndScalesTheRest() {
        Dropout d = new Dropout(0.25, 77L);
        Tensor x = Tensor.full(DType.F32, 2.0, 100, 100);
        double[] y = d.forward(c(x)).value().toDoubleArray();
        int zeros = 0;
        for (double v : y) {
            if (v == 0) zeros++;
            else assertEquals(2.0 / 0.75, v, 1e-6);
        }
        assertEquals(0.25, zeros / 10000.0, 0.02);
        // the owned generator advances: the next mask differs; a fresh module with the same seed repeats the first
        assertFalse(java.util.Arrays.equals(y, d.forward(c(x)).value().toDoubleArray()));
        assertArrayEquals(y, new Dropout(0.25, 77L).forward(c(x)).value().toDoubleArray());
    }

    @Test
    void dropoutResumesFromSavedRngState() {
        Dropout d = new Dropout(0.5, 3L);
        Tensor x = Tensor.ones(DType.F32, 64);
        d.forward(c(x));
        long[] saved = d.rng().state();
        float[] next = d.forward(c(x)).value().toFloatArray();
        Dropout resumed = new Dropout(0.5, 999L);
        resumed.setRng(Rng.fromState(saved));
        assertArrayEquals(next, resumed.forward(c(x)).value().toFloatArray());
    }

    @Test
    void dropoutIsIdentityInEvalModeAndForPZero() {
        Dropout d = new Dropout(0.5, 1L);
        Variable x = c(Tensor.ones(DType.F32, 10));
        d.eval();
        assertSame(x, d.forward(x));
        assertSame(x, new Dropout(0.0, 1L).forward(x));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0, 1L));
    }

    @Test
    void dropoutGradientUsesTheSameMask() {
        Dropout d = new Dropout(0.5, 4L);
        Variable x = Variable.leaf(Tensor.ones(DType.F64, 50));
        Variable y = d.forward(x);
        y.sum().backward();
        assertArrayEquals(y.value().toDoubleArray(), x.grad().toDoubleArray());
    }

    // ------------------------------------------------------------------ activations

    @Test
    void activationsHandComputed() {
        Tensor x = Tensor.of(new double[] {-1, 0, 0.5, 2});
        double[] xs = {-1, 0, 0.5, 2};
        // Phi(-1), Phi(0), Phi(0.5), Phi(2) (standard normal CDF)
        double[] phi = {0.15865525393145707, 0.5, 0.6914624612740131, 0.9772498680518208};
        double[] relu = new double[4], gelu = new double[4], geluTanh = new double[4], tanh = new double[4], sig = new double[4],
                elu = new double[4], silu = new double[4];
        for (int i = 0; i < 4; i++) {
            double v = xs[i];
            relu[i] = Math.max(v, 0);
            gelu[i] = v * phi[i];
            geluTanh[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            tanh[i] = Math.tanh(v);
            sig[i] = 1 / (1 + Math.exp(-v));
            elu[i] = v > 0 ? v : Math.expm1(v);
            silu[i] = v * sig[i];
        }
        assertClose(xs, Activation.IDENTITY.forward(c(x)).value(), 0);
        assertClose(relu, Activation.RELU.forward(c(x)).value(), 0);
        assertClose(gelu, Activation.GELU.forward(c(x)).value(), 1e-12);
        assertClose(geluTanh, Activation.GELU_TANH.forward(c(x)).value(), 1e-12);
        assertClose(tanh, Activation.TANH.forward(c(x)).value(), 1e-12);
        assertClose(sig, Activation.SIGMOID.forward(c(x)).value(), 1e-12);
        assertClose(elu, Activation.ELU.forward(c(x)).value(), 1e-12);
        assertClose(silu, Activation.SILU.forward(c(x)).value(), 1e-12);
        for (Activation a : Activation.values()) {
            assertTrue(a.apply(x).allClose(a.forward(c(x)).value(), 0, 0), a.name());
        }
    }

    @Test
    void reluGradientIsOneAboveZeroAndZeroElsewhere() {
        Variable x = Variable.leaf(Tensor.of(new double[] {-2, 0, 3, 1e-30}));
        Activation.RELU.forward(x).mul(c(Tensor.of(new double[] {5, 5, 5, 5}))).sum().backward();
        assertClose(new double[] {0, 0, 5, 5}, x.grad(), 0);
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationGradcheck(Activation a) {
        // inputs kept away from 0, where ReLU is not differentiable
        Tensor x = Tensor.of(new double[] {-2.1, -0.7, -0.2, 0.3, 0.9, 1.7, 2.6, -1.3}, 2, 4);
        GradCheck.assertGradients(v -> a.forward(v[0]), x);
    }

    // ------------------------------------------------------------------ Mlp

    @Test
    void mlpStructureAndForward() {
        Rng rng = new Rng(21);
        Mlp m = new Mlp(new int[] {3, 5, 4, 2}, Activation.TANH, 0.0, rng);
        assertEquals(List.of("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias"),
                List.copyOf(m.namedParameters().keySet()));
        assertEquals(3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2, m.numParameters());
        assertNull(m.dropout());
        Tensor x = Tensor.randn(rng, DType.F32, 6, 3);
        Variable h = c(x);
        h = m.layers().get(0).forward(h).tanh();
        h = m.layers().get(1).forward(h).tanh();
        h = m.layers().get(2).forward(h);
        assertArrayEquals(h.value().toFloatArray(), m.forward(c(x)).value().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> new Mlp(new int[] {3}, Activation.RELU, 0, rng));
    }

    @Test
    void mlpDropoutActsOnlyInTraining() {
        Mlp m = new Mlp(new int[] {4, 64, 1}, Activation.RELU, 0.5, new Rng(1));
        Tensor x = Tensor.ones(DType.F32, 8, 4);
        float[] a = m.forward(c(x)).value().toFloatArray(), b = m.forward(c(x)).value().toFloatArray();
        assertFalse(java.util.Arrays.equals(a, b), "two training passes draw different masks");
        m.eval();
        assertArrayEquals(m.forward(c(x)).value().toFloatArray(), m.forward(c(x)).value().toFloatArray());
    }

    @Test
    void mlpGradcheck() {
        Rng rng = new Rng(4);
        Mlp m = new Mlp(new int[] {3, 4, 2}, Activation.GELU, 0.0, DType.F64, rng);
        ModuleGradCheck.check(m, m::forward, Tensor.randn(rng, DType.F64, 3, 3), true);
    }
}
