package dev.tessera.nn.schedule;

/**
 * Step decay: {@code lr * gamma^floor(step / stepSize)} (PyTorch's StepLR).
 *
 * @param lr       the initial rate
 * @param stepSize updates between decays (> 0)
 * @param gamma    the factor applied at each decay
 */
public record Step(double lr, long stepSize, double gamma) implements LrSchedule {
    /** Validates the arguments. */
    public Step {
        if (!(lr >= 0)) throw new IllegalArgumentException("Step: lr must be >= 0, got " + lr);
        if (stepSize <= 0) throw new IllegalArgumentException("Step: stepSize must be > 0, got " + stepSize);
        if (!(gamma >= 0)) throw new IllegalArgumentException("Step: gamma must be >= 0, got " + gamma);
    }

    @Override
    public double lr(long step) {
        LrSchedule.checkStep(step);
        return lr * Math.pow(gamma, step / stepSize);
    }
}
