package dev.tessera.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PositionsTest {
    @Test
    void sinusoidalMatchesFormulaWithOffset() {
        int d = 6;
        SinusoidalPositions pos = new SinusoidalPositions(20, d);
        Tensor x = Tensor.randn(new Rng(1), DType.F64, 2, 3, d);
        double[] got = pos.forward(Variable.constant(x), 5).value().toDoubleArray(), xs = x.toDoubleArray();
        for (int b = 0; b < 2; b++) for (int t = 0; t < 3; t++) for (int i = 0; i < d / 2; i++) {
            double angle = (t + 5) / Math.pow(10000, 2.0 * i / d);
            int base = (b * 3 + t) * d;
            assertEquals(xs[base + 2 * i] + Math.sin(angle), got[base + 2 * i], 1e-12);
            assertEquals(xs[base + 2 * i + 1] + Math.cos(angle), got[base + 2 * i + 1], 1e-12);
        }
        assertEquals(0, pos.parameters().size());
        assertThrows(IllegalArgumentException.class, () -> pos.forward(Variable.constant(x), 18));
    }

    @Test
    void learnedAddsRowsAndGradientReachesOnlyThoseRows() {
        LearnedPositions pos = new LearnedPositions(6, 2, DType.F64, new Rng(2));
        Tensor x = Tensor.randn(new Rng(3), DType.F64, 2, 3, 2);
        double[] w = pos.weight().value().toDoubleArray(), xs = x.toDoubleArray();
        Variable y = pos.forward(Variable.constant(x), 2);
        double[] got = y.value().toDoubleArray();
        for (int b = 0; b < 2; b++) for (int t = 0; t < 3; t++) for (int c = 0; c < 2; c++)
            assertEquals(xs[(b * 3 + t) * 2 + c] + w[(t + 2) * 2 + c], got[(b * 3 + t) * 2 + c], 1e-12);
        y.sum().backward();
        // rows 2..4 are used by both batch rows, the others by none
        assertArrayEquals(new double[] {0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 0, 0}, pos.weight().grad().toDoubleArray(), 0);
    }
}
