package dev.tessera.nn.schedule;

/**
 * The one-cycle policy with cosine annealing (PyTorch's OneCycleLR, two phases): from
 * {@code maxLr / divFactor} up to {@code maxLr} over the first {@code pctStart * totalSteps - 1}
 * steps, then down to {@code maxLr / divFactor / finalDivFactor} at step {@code totalSteps - 1}.
 *
 * @param maxLr          the peak rate
 * @param totalSteps     the cycle length (> 1)
 * @param pctStart       the fraction spent rising, in (0, 1)
 * @param divFactor      initial rate = maxLr / divFactor
 * @param finalDivFactor final rate = initial rate / finalDivFactor
 */
public record OneCycle(double maxLr, long totalSteps, double pctStart, double divFactor, double finalDivFactor)
        implements LrSchedule {
    /** Validates the arguments. */
    public OneCycle {
        if (!(maxLr >= 0)) throw new IllegalArgumentException("OneCycle: maxLr must be >= 0, got " + maxLr);
        if (totalSteps <= 1) throw new IllegalArgumentException("OneCycle: totalSteps must be > 1, got " + totalSteps);
        if (!(pctStart > 0 && pctStart < 1)) throw new IllegalArgumentException("OneCycle: pctStart must be in (0, 1), got " + pctStart);
        if (!(divFactor > 0) || !(finalDivFactor > 0)) {
            throw new IllegalArgumentException("OneCycle: div factors must be > 0, got " + divFactor + ", " + finalDivFactor);
        }
        double upEnd = pctStart * totalSteps - 1;
        if (!(upEnd > 0 && upEnd < totalSteps - 1)) {
            throw new IllegalArgumentException("OneCycle: pctStart " + pctStart + " leaves an empty phase for " + totalSteps + " steps");
        }
    }

    /** PyTorch's defaults: pctStart 0.3, divFactor 25, finalDivFactor 1e4. */
    public OneCycle(double maxLr, long totalSteps) {
        this(maxLr, totalSteps, 0.3, 25.0, 1e4);
    }

    @Override
    public double lr(long step) {
        LrSchedule.checkStep(step);
        double initial = maxLr / divFactor, min = initial / finalDivFactor;
        double upEnd = pctStart * totalSteps - 1, end = totalSteps - 1;
        if (step <= upEnd) return LrSchedule.cosine(initial, maxLr, step / upEnd);
        if (step >= end) return min;
        return LrSchedule.cosine(maxLr, min, (step - upEnd) / (end - upEnd));
    }
}
