package dev.tessera.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class SparseMoEEvalCapacityTest {

    @Test
    void evalOverrideIsDroplessAndEachTokenIndependentOfItsBatch() {
        Rng rng = new Rng(5);
        var moe = new SparseMoE(6, 8, new SparseMoE.Options(4, 2, 0.5, 0.0, 0.0, 0.0), DType.F64, rng).withEvalCapacityFactor(0);
        Tensor x = Tensor.randn(rng, DType.F64, 12, 6);
        moe.train();
        moe.forward(Variable.constant(x));
        assertTrue(moe.lastStats().droppedFraction() > 0, "capacity factor 0.5 must drop in training");
        assertEquals(0.5, moe.activeCapacityFactor());

        moe.eval();
        assertEquals(0.0, moe.activeCapacityFactor());
        double[] all = moe.forward(Variable.constant(x)).value().toDoubleArray();
        assertEquals(0.0, moe.lastStats().droppedFraction());
        for (int i = 0; i < 12; i++) {
            double[] alone = moe.forward(Variable.constant(x.narrow(0, i, 1))).value().toDoubleArray();
            double[] row = java.util.Arrays.copyOfRange(all, i * 6, i * 6 + 6);
            assertArrayEquals(row, alone, 1e-12, "token " + i);
        }
    }

    @Test
    void withoutOverrideEvalUsesTheTrainingFactor() {
        var moe = new SparseMoE(6, 8, new SparseMoE.Options(4, 2, 0.5, 0.0, 0.0, 0.0), DType.F64, new Rng(6));
        moe.eval();
        assertEquals(0.5, moe.activeCapacityFactor());
        assertThrows(IllegalArgumentException.class, () -> moe.withEvalCapacityFactor(Double.NaN));
    }
}
