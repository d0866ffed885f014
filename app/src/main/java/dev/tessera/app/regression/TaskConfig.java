package dev.tessera.app.regression;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The data of a regression run.
 *
 * @param task      the synthetic task
 * @param seqLen    input length T
 * @param noise     observation noise of autoregressive tasks (0 for the others)
 * @param trainSize training examples
 * @param valSize   validation examples (drawn from an independent stream)
 * @param horizon   how many values the final autoregressive roll-out continues (1 for other kinds)
 */
public record TaskConfig(SyntheticTask task, int seqLen, double noise, int trainSize, int valSize, int horizon) {
    /** Validates the ranges. */
    public TaskConfig {
        if (task == null) throw new IllegalArgumentException("TaskConfig: task is required");
        int minLen = task.kind() == SyntheticTask.Kind.REGRESSION ? 1 : 2;
        if (seqLen < minLen) throw new IllegalArgumentException("TaskConfig: seqLen must be >= " + minLen + " for " + task.cliName() + ", got " + seqLen);
        if (!(noise >= 0) || Double.isInfinite(noise)) throw new IllegalArgumentException("TaskConfig: noise must be finite and >= 0, got " + noise);
        if (trainSize <= 0 || valSize <= 0) throw new IllegalArgumentException("TaskConfig: trainSize and valSize must be positive, got " + trainSize
                + ", " + valSize);
        if (horizon < 1) throw new IllegalArgumentException("TaskConfig: horizon must be >= 1, got " + horizon);
    }

    /** A JSON-friendly map (for checkpoints and reports). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", task.cliName());
        m.put("seqLen", seqLen);
        m.put("noise", noise);
        m.put("trainSize", trainSize);
        m.put("valSize", valSize);
        m.put("horizon", horizon);
        return m;
    }
}
