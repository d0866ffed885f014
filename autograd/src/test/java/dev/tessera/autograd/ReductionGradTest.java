package dev.tessera.autograd;

import static dev.tessera.autograd.GradCheck.assertGradients;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Float64 gradchecks of the reductions over single, multiple and all axes. */
class ReductionGradTest {
    private final Inputs in = new Inputs(12);

    @Test
    @GradChecked({"sum(int[])", "sumKeepDims(int[])", "mean(int[])", "meanKeepDims(int[])"})
    void sumAndMean() {
        Tensor a = in.signed(3, 4, 2).permute(2, 0, 1);   // [2,3,4], non-contiguous
        assertGradients(v -> v[0].sum(), a);
        assertGradients(v -> v[0].sum(1), a);
        assertGradients(v -> v[0].sum(0, -1), a);
        assertGradients(v -> v[0].sumKeepDims(1), a);
        assertGradients(v -> v[0].sumKeepDims(), a);
        assertGradients(v -> v[0].mean(), a);
        assertGradients(v -> v[0].mean(2), a);
        assertGradients(v -> v[0].meanKeepDims(0, 2), a);
    }

    @Test
    @GradChecked({"max(int[])", "maxKeepDims(int[])", "min(int[])", "minKeepDims(int[])"})
    void maxAndMin() {
        Tensor a = in.distinct(2, 3, 4).transpose(1, 2);
        assertGradients(v -> v[0].max(1), a);
        assertGradients(v -> v[0].max(), a);
        assertGradients(v -> v[0].maxKeepDims(0, 2), a);
        assertGradients(v -> v[0].min(2), a);
        assertGradients(v -> v[0].minKeepDims(1), a);
        assertGradients(v -> v[0].min(), a);
    }

    @Test
    void tiedMaximaShareTheGradientEqually() {
        Variable x = Variable.leaf(Tensor.of(new double[] {1, 3, 3, 2, 0, 0}, 2, 3));
        x.max(1).sum().backward();
        assertArrayEquals(new double[] {0, 0.5, 0.5, 1, 0, 0}, x.grad().toDoubleArray(), 0);
        Variable y = Variable.leaf(Tensor.of(new double[] {1, 3, 3, 2, 0, 0}, 2, 3));
        y.min(1).sum().backward();
        assertArrayEquals(new double[] {1, 0, 0, 0, 0.5, 0.5}, y.grad().toDoubleArray(), 0);
    }

    @Test
    @GradChecked({"logsumexp(int[])", "logsumexpKeepDims(int[])", "var(int[],int,boolean)"})
    void logsumexpAndVar() {
        Tensor a = in.uniform(-2, 2, 4, 3).transpose(0, 1);
        assertGradients(v -> v[0].logsumexp(1), a);
        assertGradients(v -> v[0].logsumexp(), a);
        assertGradients(v -> v[0].logsumexpKeepDims(0), a);
        assertGradients(v -> v[0].var(new int[] {1}, 1, false), a);
        assertGradients(v -> v[0].var(new int[] {}, 0, false), a);
        assertGradients(v -> v[0].var(new int[] {0}, 0, true), a);
    }
}
