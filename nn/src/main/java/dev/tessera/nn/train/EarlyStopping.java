package dev.tessera.nn.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stops training when a validation metric has not improved for {@code patience} evaluations.
 *
 * <p>In {@link Mode#MIN} mode a value improves when it is below {@code best - minDelta}; in
 * {@link Mode#MAX} when above {@code best + minDelta}. The first finite value always improves. NaN
 * never improves (a diverged run runs out of patience rather than resetting it). {@link #update}
 * returns true once {@code patience} consecutive evaluations have not improved.
 *
 * <pre>{@code
 * var stop = new EarlyStopping(EarlyStopping.Mode.MIN, 5, 1e-4);
 * if (stop.update(step, valLoss)) break;
 * if (stop.improved()) ckpts.save(...);                   // keep the best
 * extra.put("early_stopping", stop.state());               // and restore(...) on resume
 * }</pre>
 */
public final class EarlyStopping {
    /** Whether smaller or larger values are better. */
    public enum Mode {
        /** Smaller is better (losses, errors). */
        MIN,
        /** Larger is better (accuracy). */
        MAX
    }

    private final Mode mode;
    private final int patience;
    private final double minDelta;
    private double best = Double.NaN;
    private long bestStep = -1;
    private int badEvaluations;
    private boolean improved;

    /**
     * A stopper that watches one metric.
     *
     * @param mode     whether lower or higher is better
     * @param patience evaluations without improvement tolerated before stopping, {@code >= 1}
     * @param minDelta the smallest change that counts as an improvement, {@code >= 0}
     */
    public EarlyStopping(Mode mode, int patience, double minDelta) {
        if (mode == null) throw new IllegalArgumentException("EarlyStopping: mode is null");
        if (patience < 1) throw new IllegalArgumentException("EarlyStopping: patience must be >= 1, got " + patience);
        if (!(minDelta >= 0)) throw new IllegalArgumentException("EarlyStopping: minDelta must be >= 0, got " + minDelta);
        this.mode = mode;
        this.patience = patience;
        this.minDelta = minDelta;
    }

    /**
     * Records the metric of an evaluation at {@code step}.
     *
     * @return true when training should stop (patience exhausted)
     */
    public boolean update(long step, double value) {
        improved = !Double.isNaN(value) && (bestStep < 0
                || (mode == Mode.MIN ? value < best - minDelta : value > best + minDelta));
        if (improved) {
            best = value;
            bestStep = step;
            badEvaluations = 0;
        } else {
            badEvaluations++;
        }
        return shouldStop();
    }

    /** Whether the last {@link #update} improved on the best value. */
    public boolean improved() {
        return improved;
    }

    /** Whether patience is exhausted. */
    public boolean shouldStop() {
        return badEvaluations >= patience;
    }

    /** The best value so far (NaN before the first finite value). */
    public double best() {
        return best;
    }

    /** The step of the best value (-1 before the first). */
    public long bestStep() {
        return bestStep;
    }

    /** Consecutive evaluations without improvement. */
    public int badEvaluations() {
        return badEvaluations;
    }

    /** The state for a checkpoint sidecar: best, best_step, bad_evaluations and the settings. */
    public Map<String, Object> state() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode.name());
        m.put("patience", patience);
        m.put("min_delta", minDelta);
        // JSON has no NaN: an unset best is written as null
        m.put("best", Double.isNaN(best) ? null : best);
        m.put("best_step", bestStep);
        m.put("bad_evaluations", badEvaluations);
        return m;
    }

    /** Restores a {@link #state()}; the mode must match this instance's. */
    public void restore(Map<?, ?> state) {
        if (!mode.name().equals(state.get("mode")))
            throw new IllegalArgumentException("EarlyStopping.restore: saved mode " + state.get("mode") + ", this instance uses " + mode);
        Object b = state.get("best");
        best = b == null ? Double.NaN : ((Number) b).doubleValue();
        bestStep = Checkpoint.asLong("best_step", state.get("best_step"));
        badEvaluations = Math.toIntExact(Checkpoint.asLong("bad_evaluations", state.get("bad_evaluations")));
        improved = false;
    }
}
