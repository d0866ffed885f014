package dev.tessera.nn.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LossesTest {
    private static Variable c(Tensor t) {
        return Variable.constant(t);
    }

    private static void assertClose(double[] expected, Tensor actual, double tol) {
        double[] a = actual.toDoubleArray();
        assertEquals(expected.length, a.length);
        for (int i = 0; i < a.length; i++) assertEquals(expected[i], a[i], tol, "element " + i);
    }

    private static final Tensor PRED = Tensor.of(new double[] {1.5, 2, -1, 4}, 2, 2);
    private static final Tensor TARGET = Tensor.of(new double[] {1, 0, 1, 1}, 2, 2);
    private static final Tensor W = Tensor.of(new double[] {1, 3}, 2);

    @Test
    void mseEveryReductionAndWeights() {
        // errors 0.5, 2, -2, 3 -> squares 0.25, 4, 4, 9
        assertEquals(17.25 / 4, Losses.mse(c(PRED), c(TARGET), Reduction.MEAN, null).value().item(), 1e-12);
        assertEquals(17.25, Losses.mse(c(PRED), c(TARGET), Reduction.SUM, null).value().item(), 1e-12);
        assertClose(new double[] {0.25, 4, 4, 9}, Losses.mse(c(PRED), c(TARGET), Reduction.NONE, null).value(), 1e-12);
        // weights 1 (row 0) and 3 (row 1): 0.25 + 4 + 12 + 27 = 43.25, normalised by sum(w) * 2 elements per sample
        assertEquals(43.25, Losses.mse(c(PRED), c(TARGET), Reduction.SUM, W).value().item(), 1e-12);
        assertEquals(43.25 / 8, Losses.mse(c(PRED), c(TARGET), Reduction.MEAN, W).value().item(), 1e-12);
        assertClose(new double[] {0.25, 4, 12, 27}, Losses.mse(c(PRED), c(TARGET), Reduction.NONE, W).value(), 1e-12);
        assertEquals(17.25 / 4, Losses.mse(c(PRED), TARGET).value().item(), 1e-12);
        // uniform weights do not change the mean
        assertEquals(17.25 / 4, Losses.mse(c(PRED), c(TARGET), Reduction.MEAN, Tensor.of(new double[] {5, 5}, 2)).value().item(), 1e-12);
    }

    @Test
    void mseGradient() {
        Variable p = Variable.leaf(PRED);
        Losses.mse(p, c(TARGET), Reduction.MEAN, null).backward();
        assertClose(new double[] {0.25, 1, -1, 1.5}, p.grad(), 1e-12);
    }

    @Test
    void l1EveryReductionAndWeights() {
        assertEquals(7.5 / 4, Losses.l1(c(PRED), c(TARGET), Reduction.MEAN, null).value().item(), 1e-12);
        assertEquals(7.5, Losses.l1(c(PRED), c(TARGET), Reduction.SUM, null).value().item(), 1e-12);
        assertClose(new double[] {0.5, 2, 2, 3}, Losses.l1(c(PRED), c(TARGET), Reduction.NONE, null).value(), 1e-12);
        assertEquals((0.5 + 2 + 6 + 9) / 8, Losses.l1(c(PRED), c(TARGET), Reduction.MEAN, W).value().item(), 1e-12);
        Variable p = Variable.leaf(PRED);
        Losses.l1(p, c(TARGET), Reduction.SUM, null).backward();
        assertClose(new double[] {1, 1, -1, 1}, p.grad(), 0);
    }

    @Test
    void huberBothBranches() {
        // |d| = 0.5 (quadratic 0.125), 2, 2, 3 (linear: delta (|d| - delta/2) = 1.5, 1.5, 2.5)
        assertClose(new double[] {0.125, 1.5, 1.5, 2.5}, Losses.huber(c(PRED), c(TARGET), 1.0, Reduction.NONE, null).value(), 1e-12);
        assertEquals(5.625 / 4, Losses.huber(c(PRED), c(TARGET), 1.0, Reduction.MEAN, null).value().item(), 1e-12);
        // delta 2: |d| = 2 is on the quadratic side (0.5 * 4), 3 gives 2 (3 - 1) = 4
        assertEquals(0.125 + 2 + 2 + 4, Losses.huber(c(PRED), c(TARGET), 2.0, Reduction.SUM, null).value().item(), 1e-12);
        assertEquals((0.125 + 1.5 + 3 * 1.5 + 3 * 2.5) / 8, Losses.huber(c(PRED), c(TARGET), 1.0, Reduction.MEAN, W).value().item(), 1e-12);
        Variable p = Variable.leaf(PRED);
        Losses.huber(p, c(TARGET), 1.0, Reduction.SUM, null).backward();
        assertClose(new double[] {0.5, 1, -1, 1}, p.grad(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Losses.huber(c(PRED), c(TARGET), 0.0, Reduction.SUM, null));
    }

    @Test
    void regressionLossesGradcheck() {
        Tensor t = Tensor.of(new double[] {0.3, -1.2, 2.0, 0.1, 0.7, -0.4}, 3, 2);
        Tensor p = Tensor.of(new double[] {1.1, -0.1, 0.4, 0.9, 0.2, -2.1}, 3, 2);
        Tensor w = Tensor.of(new double[] {0.5, 2, 1}, 3);
        GradCheck.assertGradients(v -> Losses.mse(v[0], v[1], Reduction.MEAN, w), p, t);
        GradCheck.assertGradients(v -> Losses.l1(v[0], v[1], Reduction.MEAN, w), p, t);
        GradCheck.assertGradients(v -> Losses.huber(v[0], v[1], 1.0, Reduction.SUM, w), p, t);
    }

    @Test
    void shapeMismatchIsAnError() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Losses.mse(c(Tensor.zeros(DType.F32, 4, 1)), c(Tensor.zeros(DType.F32, 4)), Reduction.MEAN, null));
        assertTrue(e.getMessage().contains("mse: pred [4,1] and target [4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Losses.mse(c(PRED), c(TARGET), Reduction.MEAN, Tensor.ones(DType.F64, 3)));
    }

    // ------------------------------------------------------------------ cross-entropy

    private static final Tensor LOGITS = Tensor.of(new double[] {1, 2, 3, 1, 1, 1, 0, 0, 5}, 3, 3);
    private static final Tensor LABELS = Tensor.of(new int[] {2, 0, -100}, 3);

    private static double lse(double... x) {
        double s = 0;
        for (double v : x) s += Math.exp(v);
        return Math.log(s);
    }

    @Test
    void crossEntropyWithIgnoreIndex() {
        double l0 = lse(1, 2, 3) - 3, l1 = Math.log(3);
        assertClose(new double[] {l0, l1, 0}, Losses.crossEntropy(c(LOGITS), LABELS, Reduction.NONE, -100, 0, null).value(), 1e-12);
        assertEquals(l0 + l1, Losses.crossEntropy(c(LOGITS), LABELS, Reduction.SUM, -100, 0, null).value().item(), 1e-12);
        assertEquals((l0 + l1) / 2, Losses.crossEntropy(c(LOGITS), LABELS).value().item(), 1e-12);
        // without an ignored row all three count
        double l2 = lse(0, 0, 5) - 5;
        Tensor all = Tensor.of(new int[] {2, 0, 2}, 3);
        assertEquals((l0 + l1 + l2) / 3, Losses.crossEntropy(c(LOGITS), all, Reduction.MEAN, -100, 0, null).value().item(), 1e-12);
    }

    @Test
    void crossEntropyLabelSmoothing() {
        double ls = 0.1;
        double lse0 = lse(1, 2, 3);
        double l0 = (1 - ls) * (lse0 - 3) + ls * ((lse0 - 1) + (lse0 - 2) + (lse0 - 3)) / 3;
        double l1 = Math.log(3);
        assertClose(new double[] {l0, l1, 0}, Losses.crossEntropy(c(LOGITS), LABELS, Reduction.NONE, -100, ls, null).value(), 1e-12);
        assertEquals((l0 + l1) / 2, Losses.crossEntropy(c(LOGITS), LABELS, Reduction.MEAN, -100, ls, null).value().item(), 1e-12);
    }

    @Test
    void crossEntropyWeightsSkipIgnoredRows() {
        double l0 = lse(1, 2, 3) - 3, l1 = Math.log(3);
        Tensor w = Tensor.of(new double[] {2, 1, 5}, 3);
        assertEquals((2 * l0 + l1) / 3, Losses.crossEntropy(c(LOGITS), LABELS, Reduction.MEAN, -100, 0, w).value().item(), 1e-12);
        assertEquals(2 * l0 + l1, Losses.crossEntropy(c(LOGITS), LABELS, Reduction.SUM, -100, 0, w).value().item(), 1e-12);
        assertClose(new double[] {2 * l0, l1, 0}, Losses.crossEntropy(c(LOGITS), LABELS, Reduction.NONE, -100, 0, w).value(), 1e-12);
    }

    @Test
    void crossEntropyGradient() {
        // d mean / d logits = (softmax - onehot) / counted rows, zero on the ignored row
        Variable x = Variable.leaf(LOGITS);
        Losses.crossEntropy(x, LABELS).backward();
        double z0 = Math.exp(lse(1, 2, 3));
        double[] expected = {Math.exp(1) / z0 / 2, Math.exp(2) / z0 / 2, (Math.exp(3) / z0 - 1) / 2,
                (1.0 / 3 - 1) / 2, 1.0 / 3 / 2, 1.0 / 3 / 2, 0, 0, 0};
        assertClose(expected, x.grad(), 1e-12);
        Tensor w = Tensor.of(new double[] {2, 1, 5}, 3);
        GradCheck.assertGradients(v -> Losses.crossEntropy(v[0], LABELS, Reduction.MEAN, -100, 0.2, w), LOGITS);
    }

    // ------------------------------------------------------------------ BCE

    @Test
    void bceWithLogitsValuesAndStableGradient() {
        Tensor x = Tensor.of(new double[] {-2, 0, 3, 100, -100}, 5);
        Tensor y = Tensor.of(new double[] {0, 1, 0.25, 1, 1}, 5);
        double[] expected = new double[5];
        double[] xs = x.toDoubleArray(), ys = y.toDoubleArray();
        for (int i = 0; i < 5; i++) expected[i] = Math.max(xs[i], 0) - xs[i] * ys[i] + Math.log1p(Math.exp(-Math.abs(xs[i])));
        assertEquals(Math.log1p(Math.exp(-2)), expected[0], 1e-15);
        assertClose(expected, Losses.bceWithLogits(c(x), y, Reduction.NONE, null).value(), 1e-12);
        assertEquals(100, Losses.bceWithLogits(c(x), y, Reduction.NONE, null).value().toDoubleArray()[4], 1e-12);
        double sum = 0;
        for (double e : expected) sum += e;
        assertEquals(sum / 5, Losses.bceWithLogits(c(x), y, Reduction.MEAN, null).value().item(), 1e-12);
        assertEquals(sum, Losses.bceWithLogits(c(x), y, Reduction.SUM, null).value().item(), 1e-12);
        Variable v = Variable.leaf(x);
        Losses.bceWithLogits(v, y, Reduction.SUM, null).backward();
        double[] g = v.grad().toDoubleArray();
        for (int i = 0; i < 5; i++) assertEquals(1 / (1 + Math.exp(-xs[i])) - ys[i], g[i], 1e-12, "grad " + i);
        assertEquals(-0.5, g[1], 1e-15, "sigmoid(0) - 1 at exactly zero logit");
    }

    @Test
    void bceWithLogitsWeightsAndGradcheck() {
        Tensor x = Tensor.of(new double[] {-1.5, 0.3, 2.2, -0.4}, 2, 2);
        Tensor y = Tensor.of(new double[] {0, 1, 0.5, 1}, 2, 2);
        Tensor w = Tensor.of(new double[] {3, 1}, 2);
        double[] l = Losses.bceWithLogits(c(x), y, Reduction.NONE, null).value().toDoubleArray();
        assertEquals((3 * (l[0] + l[1]) + l[2] + l[3]) / 8, Losses.bceWithLogits(c(x), y, Reduction.MEAN, w).value().item(), 1e-12);
        GradCheck.assertGradients(v -> Losses.bceWithLogits(v[0], y, Reduction.MEAN, w), x);
        assertArrayEquals(new int[] {2, 2}, Losses.bceWithLogits(c(x), y, Reduction.NONE, w).shape());
    }
}
