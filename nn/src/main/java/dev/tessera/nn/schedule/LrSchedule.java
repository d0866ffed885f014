package dev.tessera.nn.schedule;

/**
 * A learning rate as a function of the optimizer step (0 for the first update). Implementations
 * are immutable values, so a schedule needs no state in a checkpoint: the step count is enough.
 *
 * <pre>{@code
 * LrSchedule s = new WarmupCosine(3e-4, 3e-5, 100, 10_000);
 * opt.step(s);                    // or opt.setLr(s.lr(opt.stepCount())); opt.step();
 * }</pre>
 */
public sealed interface LrSchedule permits Constant, Step, Exponential, Cosine, WarmupCosine, OneCycle {
    /** The learning rate for the update with index {@code step} (>= 0). */
    double lr(long step);

    /** Cosine interpolation from {@code start} (pct 0) to {@code end} (pct 1). */
    static double cosine(double start, double end, double pct) {
        return end + (start - end) / 2 * (1 + Math.cos(Math.PI * pct));
    }

    /** Throws unless {@code step >= 0}. */
    static void checkStep(long step) {
        if (step < 0) throw new IllegalArgumentException("LrSchedule: step must be >= 0, got " + step);
    }
}
