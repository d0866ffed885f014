package dev.tessera.autograd;

import static dev.tessera.autograd.GradCheck.assertGradients;

import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Float64 gradchecks of matmul: 1-d promotion, batches, broadcast batch dims, transposed operands. */
class LinalgGradTest {
    private final Inputs in = new Inputs(15);

    @Test
    @GradChecked({"matmul(Variable)"})
    void matmulShapes() {
        assertGradients(v -> v[0].matmul(v[1]), in.signed(3, 4), in.signed(5, 4).transpose(0, 1));
        assertGradients(v -> v[0].matmul(v[1]), in.signed(4), in.signed(4, 2));
        assertGradients(v -> v[0].matmul(v[1]), in.signed(3, 4), in.signed(4));
        assertGradients(v -> v[0].matmul(v[1]), in.signed(4), in.signed(4));
        assertGradients(v -> v[0].matmul(v[1]), in.signed(2, 3, 4), in.signed(2, 4, 2));
        // linear-layer shape: shared weight over a batch
        assertGradients(v -> v[0].matmul(v[1]), in.signed(2, 3, 4), in.signed(4, 5));
        // shared left operand over a batch, transposed right operand
        assertGradients(v -> v[0].matmul(v[1]), in.signed(3, 4), in.signed(2, 2, 5, 4).transpose(2, 3));
        // broadcast batch dims on both sides
        assertGradients(v -> v[0].matmul(v[1]), in.signed(2, 1, 3, 4), in.signed(3, 4, 2));
        assertGradients(v -> v[0].matmul(v[1]), in.signed(4), in.signed(2, 4, 3));
        assertGradients(v -> v[0].matmul(v[1]), in.signed(2, 3, 4), in.signed(4));
    }
}
