package dev.tessera.nn.optim;

import dev.tessera.autograd.Variable;
import java.util.function.IntFunction;

/**
 * Gradient accumulation over micro-batches: runs backward on each micro-batch loss divided by the
 * number of micro-batches, so the accumulated gradients equal those of the mean loss over the full
 * batch (when each micro-batch loss is a mean over equally sized micro-batches).
 *
 * <pre>{@code
 * opt.zeroGrad();
 * double loss = GradAccumulation.accumulate(4, i -> Losses.mse(model.forward(xs[i]), ys[i]));
 * opt.step();
 * }</pre>
 */
public final class GradAccumulation {
    private GradAccumulation() {}

    /**
     * Computes and back-propagates {@code microLoss.apply(i) / microBatches} for each
     * {@code i < microBatches}; returns the mean of the micro-batch losses.
     */
    public static double accumulate(int microBatches, IntFunction<Variable> microLoss) {
        if (microBatches <= 0) throw new IllegalArgumentException("accumulate: microBatches must be positive, got " + microBatches);
        double sum = 0;
        for (int i = 0; i < microBatches; i++) {
            Variable l = microLoss.apply(i);
            if (l.numel() != 1) throw new IllegalArgumentException("accumulate: micro-batch " + i + " loss is not a scalar: "
                    + java.util.Arrays.toString(l.shape()));
            sum += l.value().item();
            l.div(microBatches).backward();
        }
        return sum / microBatches;
    }
}
