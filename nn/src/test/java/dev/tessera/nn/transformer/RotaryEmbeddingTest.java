package dev.tessera.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.attention.KvCache;
import dev.tessera.nn.attention.MultiHeadAttention;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class RotaryEmbeddingTest {
    @Test
    void matchesFormula() {
        int d = 4, t = 3, offset = 2;
        RotaryEmbedding rope = new RotaryEmbedding(d, 100);
        Tensor x = Tensor.randn(new Rng(1), DType.F64, 1, 2, t, d);
        double[] xs = x.toDoubleArray(), got = rope.apply(Variable.constant(x), offset).value().toDoubleArray();
        for (int h = 0; h < 2; h++) for (int p = 0; p < t; p++) for (int i = 0; i < d / 2; i++) {
            double a = (p + offset) * Math.pow(100, -2.0 * i / d);
            int base = (h * t + p) * d + 2 * i;
            assertEquals(xs[base] * Math.cos(a) - xs[base + 1] * Math.sin(a), got[base], 1e-12);
            assertEquals(xs[base] * Math.sin(a) + xs[base + 1] * Math.cos(a), got[base + 1], 1e-12);
        }
    }

    @Test
    void scoresDependOnlyOnRelativePosition() {
        RotaryEmbedding rope = new RotaryEmbedding(6, 10000);
        Tensor q = Tensor.randn(new Rng(2), DType.F64, 1, 1, 1, 6), k = Tensor.randn(new Rng(3), DType.F64, 1, 1, 1, 6);
        double s1 = dot(rope.apply(Variable.constant(q), 7), rope.apply(Variable.constant(k), 4));
        double s2 = dot(rope.apply(Variable.constant(q), 13), rope.apply(Variable.constant(k), 10));
        assertEquals(s1, s2, 1e-10);
    }

    @Test
    void gradcheck() {
        RotaryEmbedding rope = new RotaryEmbedding(4, 10000);
        Tensor w = Tensor.randn(new Rng(4), DType.F64, 1, 2, 3, 4);
        GradCheck.assertGradients(x -> rope.apply(x[0], 1).mul(Variable.constant(w)).sum(), Tensor.randn(new Rng(5), DType.F64, 1, 2, 3, 4));
    }

    @Test
    void rotaryAttentionWithKvCacheEqualsRecompute() {
        MultiHeadAttention m = new MultiHeadAttention(8, 2, 1, true, 0.0, DType.F64, new Rng(6)).withRotary(new RotaryEmbedding(4, 10000));
        Tensor x = Tensor.randn(new Rng(7), DType.F64, 2, 4, 8);
        double[] full = m.forward(Variable.constant(x), null, true).value().toDoubleArray();
        try (var g = Grad.disabled()) {
            KvCache cache = new KvCache();
            Tensor a = m.forward(Variable.constant(x.narrow(1, 0, 3)), null, cache).value();
            Tensor b = m.forward(Variable.constant(x.narrow(1, 3, 1)), null, cache).value();
            assertArrayEquals(full, Tensor.concat(1, a, b).toDoubleArray(), 1e-12);
        }
    }

    private static double dot(Variable a, Variable b) {
        double[] x = a.value().toDoubleArray(), y = b.value().toDoubleArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }
}
