package dev.tessera.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.attention.AttentionMask;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PoolingTest {
    // x[b, t, c]: batch 0 rows (1,2) (3,4) (5,6); batch 1 rows (7,8) (9,10) (11,12)
    private final Variable x = Variable.constant(Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 3, 2));
    private final Tensor pad = AttentionMask.keyPadding(new int[] {2, 0}, 3);

    @Test
    void meanCountsEveryPosition() {
        assertArrayEquals(new double[] {3, 4, 9, 10}, Pooling.MEAN.apply(x, pad).value().toDoubleArray(), 1e-12);
    }

    @Test
    void maskedMeanSkipsPaddingAndGivesZeroForEmptySequences() {
        assertArrayEquals(new double[] {2, 3, 0, 0}, Pooling.MASKED_MEAN.apply(x, pad).value().toDoubleArray(), 1e-12);
    }

    @Test
    void clsTakesTheFirstPosition() {
        assertArrayEquals(new double[] {1, 2, 7, 8}, Pooling.CLS.apply(x, pad).value().toDoubleArray(), 1e-12);
    }

    @Test
    void maskedMeanGradientSpreadsOverKeptPositions() {
        Variable leaf = Variable.leaf(x.value());
        Pooling.MASKED_MEAN.apply(leaf, pad).sum().backward();
        assertArrayEquals(new double[] {.5, .5, .5, .5, 0, 0, 0, 0, 0, 0, 0, 0}, leaf.grad().toDoubleArray(), 1e-12);
    }
}
