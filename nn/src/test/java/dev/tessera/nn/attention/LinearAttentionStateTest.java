package dev.tessera.nn.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LinearAttentionStateTest {

    @Test
    void recurrentStepsEqualTheFullCausalForward() {
        Rng rng = new Rng(11);
        for (int kvHeads : new int[] {6, 2, 1}) {
            var la = new LinearAttention(12, 6, kvHeads, true, DType.F64, rng);
            Tensor x = Tensor.randn(rng, DType.F64, 2, 7, 12);
            try (var g = Grad.disabled()) {
                double[] full = la.forward(Variable.constant(x), null, true).value().toDoubleArray();
                var state = new LinearAttentionState();
                // a 3-token prompt, then single tokens, then a 2-token chunk
                Tensor a = la.forward(Variable.constant(x.narrow(1, 0, 3)), state).value();
                Tensor b = la.forward(Variable.constant(x.narrow(1, 3, 1)), state).value();
                Tensor c = la.forward(Variable.constant(x.narrow(1, 4, 1)), state).value();
                Tensor d = la.forward(Variable.constant(x.narrow(1, 5, 2)), state).value();
                assertEquals(7, state.length());
                assertArrayEquals(full, Tensor.concat(1, a, b, c, d).toDoubleArray(), 1e-12, "kvHeads " + kvHeads);
            }
        }
    }

    @Test
    void stateHoldsTheRunningSums() {
        Rng rng = new Rng(12);
        var la = new LinearAttention(4, 2, 1, false, DType.F64, rng);
        Tensor x = Tensor.randn(rng, DType.F64, 1, 5, 4);
        var state = new LinearAttentionState();
        try (var g = Grad.disabled()) {
            la.forward(Variable.constant(x), state);
            // z = sum_j phi(k_j) with k = x W_k^T (no bias), phi = elu + 1
            double[] k = la.k().forward(Variable.constant(x)).value().toDoubleArray();   // [1, 5, 2]
            double[] v = la.v().forward(Variable.constant(x)).value().toDoubleArray();
            double[] z = new double[2], s = new double[4];
            for (int t = 0; t < 5; t++) {
                for (int i = 0; i < 2; i++) {
                    double p = k[t * 2 + i] > 0 ? k[t * 2 + i] + 1 : Math.exp(k[t * 2 + i]);
                    z[i] += p;
                    for (int j = 0; j < 2; j++) s[i * 2 + j] += p * v[t * 2 + j];
                }
            }
            assertArrayEquals(z, state.normalizer().toDoubleArray(), 1e-12);
            assertArrayEquals(s, state.sums().toDoubleArray(), 1e-12);
            assertArrayEquals(new int[] {1, 1, 2, 2}, state.sums().shape());
        }
        state.clear();
        assertEquals(0, state.length());
    }

    @Test
    void batchSizeCannotChangeMidSequence() {
        Rng rng = new Rng(13);
        var la = new LinearAttention(4, 2, 2, false, DType.F64, rng);
        var state = new LinearAttentionState();
        try (var g = Grad.disabled()) {
            la.forward(Variable.constant(Tensor.randn(rng, DType.F64, 2, 3, 4)), state);
            assertThrows(IllegalArgumentException.class, () -> la.forward(Variable.constant(Tensor.randn(rng, DType.F64, 1, 1, 4)), state));
        }
    }
}
