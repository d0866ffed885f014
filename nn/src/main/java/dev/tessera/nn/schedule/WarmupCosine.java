package dev.tessera.nn.schedule;

/**
 * Linear warm-up then cosine decay: {@code lr * (step + 1) / warmupSteps} for
 * {@code step < warmupSteps} (so the first update is not wasted at rate 0), then cosine from
 * {@code lr} to {@code minLr} over the remaining {@code totalSteps - warmupSteps} updates, then
 * {@code minLr}.
 *
 * @param lr          the peak rate
 * @param minLr       the final rate
 * @param warmupSteps warm-up length (>= 0)
 * @param totalSteps  total length (> warmupSteps)
 */
public record WarmupCosine(double lr, double minLr, long warmupSteps, long totalSteps) implements LrSchedule {
    /** Validates the arguments. */
    public WarmupCosine {
        if (!(lr >= 0) || !(minLr >= 0)) throw new IllegalArgumentException("WarmupCosine: rates must be >= 0, got " + lr + ", " + minLr);
        if (warmupSteps < 0 || totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("WarmupCosine: need 0 <= warmupSteps < totalSteps, got " + warmupSteps + ", " + totalSteps);
        }
    }

    @Override
    public double lr(long step) {
        LrSchedule.checkStep(step);
        if (step < warmupSteps) return lr * (step + 1) / warmupSteps;
        if (step >= totalSteps) return minLr;
        return LrSchedule.cosine(lr, minLr, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
    }
}
