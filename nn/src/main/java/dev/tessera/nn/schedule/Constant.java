package dev.tessera.nn.schedule;

/**
 * A constant learning rate.
 *
 * @param lr the rate
 */
public record Constant(double lr) implements LrSchedule {
    /** Validates the rate. */
    public Constant {
        if (!(lr >= 0)) throw new IllegalArgumentException("Constant: lr must be >= 0, got " + lr);
    }

    @Override
    public double lr(long step) {
        LrSchedule.checkStep(step);
        return lr;
    }
}
