package dev.tessera.nn.schedule;

/**
 * Cosine annealing from {@code lr} at step 0 to {@code minLr} at {@code totalSteps}, then constant:
 * {@code minLr + (lr - minLr) (1 + cos(pi step / totalSteps)) / 2}.
 *
 * @param lr         the initial rate
 * @param minLr      the final rate
 * @param totalSteps the annealing length (> 0)
 */
public record Cosine(double lr, double minLr, long totalSteps) implements LrSchedule {
    /** Validates the arguments. */
    public Cosine {
        if (!(lr >= 0) || !(minLr >= 0)) throw new IllegalArgumentException("Cosine: rates must be >= 0, got " + lr + ", " + minLr);
        if (totalSteps <= 0) throw new IllegalArgumentException("Cosine: totalSteps must be > 0, got " + totalSteps);
    }

    @Override
    public double lr(long step) {
        LrSchedule.checkStep(step);
        if (step >= totalSteps) return minLr;
        return LrSchedule.cosine(lr, minLr, (double) step / totalSteps);
    }
}
