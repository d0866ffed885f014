package dev.tessera.nn.schedule;

/**
 * Exponential decay {@code lr * gamma^step} (PyTorch's ExponentialLR).
 *
 * @param lr    the initial rate
 * @param gamma the factor per update
 */
public record Exponential(double lr, double gamma) implements LrSchedule {
    /** Validates the arguments. */
    public Exponential {
        if (!(lr >= 0)) throw new IllegalArgumentException("Exponential: lr must be >= 0, got " + lr);
        if (!(gamma >= 0)) throw new IllegalArgumentException("Exponential: gamma must be >= 0, got " + gamma);
    }

    @Override
    public double lr(long step) {
        LrSchedule.checkStep(step);
        return lr * Math.pow(gamma, step);
    }
}
