package dev.tessera.app.regression;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Examples of a synthetic task: {@code inputs [N, T]} and {@code targets} ({@code [N]} for regression,
 * {@code [N, H]} for the continuation of an autoregressive task, {@code [N, T]} for sequence to sequence).
 */
public record TaskData(Tensor inputs, Tensor targets) {
    /** Checks that both hold the same number of examples. */
    public TaskData {
        if (inputs.rank() != 2 || targets.rank() < 1 || targets.dim(0) != inputs.dim(0)) {
            throw new IllegalArgumentException("TaskData: expected inputs [N, T] and targets [N, ...], got " + Shape.str(inputs.shape())
                    + " and " + Shape.str(targets.shape()));
        }
    }

    /** Number of examples. */
    public int size() {
        return inputs.dim(0);
    }

    /** Input length T. */
    public int seqLen() {
        return inputs.dim(1);
    }
}
