package dev.tessera.app.regression;

import dev.tessera.nn.Parameter;
import dev.tessera.nn.optim.Adam;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.optim.Optimizer;
import dev.tessera.nn.optim.ParamGroup;
import dev.tessera.nn.optim.RmsProp;
import dev.tessera.nn.optim.Sgd;
import dev.tessera.nn.schedule.Constant;
import dev.tessera.nn.schedule.Cosine;
import dev.tessera.nn.schedule.LrSchedule;
import dev.tessera.nn.schedule.WarmupCosine;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a regression run trains.
 *
 * @param optimizer   the optimizer
 * @param lr          peak learning rate
 * @param weightDecay L2 penalty (Adam, SGD, RMSprop) or decoupled decay (AdamW)
 * @param momentum    momentum of SGD and RMSprop (ignored by the Adam family)
 * @param schedule    learning-rate schedule over all steps
 * @param epochs      passes over the training set
 * @param batch       batch size (the last short batch of an epoch is dropped, so every step sees {@code batch} examples)
 * @param clip        gradient-norm clipping threshold, 0 for none
 * @param seed        seeds the data, the initial weights and the batch order
 * @param logEvery    steps between training-loss records in the metrics sinks (MoE statistics too)
 */
public record TrainConfig(OptimizerKind optimizer, double lr, double weightDecay, double momentum, ScheduleKind schedule, int epochs, int batch,
                          double clip, long seed, int logEvery) {

    /** Optimizers the recipe offers. */
    public enum OptimizerKind {
        /** Adam (betas 0.9, 0.999, eps 1e-8). */
        ADAM,
        /** AdamW (betas 0.9, 0.999, eps 1e-8). */
        ADAMW,
        /** SGD with (heavy-ball) momentum. */
        SGD,
        /** RMSprop (alpha 0.99, eps 1e-8). */
        RMSPROP;

        /** The lower-case name used on the command line. */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The usual learning rate of this optimizer on these tasks: 1e-2 for SGD, 1e-3 otherwise. */
        public double defaultLr() {
            return this == SGD ? 1e-2 : 1e-3;
        }

        /** The optimizer named {@code name} (case-insensitive). */
        public static OptimizerKind parse(String name) {
            for (OptimizerKind k : values()) if (k.cliName().equalsIgnoreCase(name)) return k;
            throw new IllegalArgumentException("unknown optimizer '" + name + "', expected one of "
                    + Arrays.stream(values()).map(OptimizerKind::cliName).toList());
        }
    }

    /** Learning-rate schedules the recipe offers. */
    public enum ScheduleKind {
        /** The same rate throughout. */
        CONSTANT,
        /** Cosine decay to 5 % of the peak. */
        COSINE,
        /** Linear warm-up over the first 5 % of the steps, then cosine decay to 5 % of the peak. */
        WARMUP_COSINE;

        /** The lower-case, dashed name used on the command line. */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** The schedule named {@code name} (case-insensitive). */
        public static ScheduleKind parse(String name) {
            for (ScheduleKind k : values()) if (k.cliName().equalsIgnoreCase(name)) return k;
            throw new IllegalArgumentException("unknown schedule '" + name + "', expected one of "
                    + Arrays.stream(values()).map(ScheduleKind::cliName).toList());
        }
    }

    /** Validates the ranges. */
    public TrainConfig {
        if (optimizer == null || schedule == null) throw new IllegalArgumentException("TrainConfig: optimizer and schedule are required");
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("TrainConfig: lr must be finite and > 0, got " + lr);
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) throw new IllegalArgumentException("TrainConfig: weightDecay must be finite and >= 0, got "
                + weightDecay);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("TrainConfig: momentum must be in [0, 1), got " + momentum);
        if (epochs < 1 || batch < 1 || logEvery < 1) throw new IllegalArgumentException("TrainConfig: epochs, batch and logEvery must be >= 1, got "
                + epochs + ", " + batch + ", " + logEvery);
        if (!(clip >= 0) || Double.isInfinite(clip)) throw new IllegalArgumentException("TrainConfig: clip must be finite and >= 0, got " + clip);
    }

    /** The optimizer over {@code params}. */
    public Optimizer createOptimizer(List<Parameter> params) {
        return switch (optimizer) {
            case ADAM -> new Adam(params, lr, 0.9, 0.999, 1e-8, weightDecay);
            case ADAMW -> new AdamW(params, lr, 0.9, 0.999, 1e-8, weightDecay);
            case SGD -> new Sgd(params, lr, momentum, 0.0, false, weightDecay);
            case RMSPROP -> new RmsProp(List.of(ParamGroup.of(params)), lr, 0.99, 1e-8, weightDecay, momentum, false);
        };
    }

    /** The learning-rate schedule over {@code totalSteps} steps. */
    public LrSchedule createSchedule(long totalSteps) {
        long total = Math.max(2, totalSteps);
        return switch (schedule) {
            case CONSTANT -> new Constant(lr);
            case COSINE -> new Cosine(lr, lr * 0.05, total);
            case WARMUP_COSINE -> new WarmupCosine(lr, lr * 0.05, Math.max(1, total / 20), total);
        };
    }

    /** A JSON-friendly map (for checkpoints and reports). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("optimizer", optimizer.cliName());
        m.put("lr", lr);
        m.put("weightDecay", weightDecay);
        m.put("momentum", momentum);
        m.put("schedule", schedule.cliName());
        m.put("epochs", epochs);
        m.put("batch", batch);
        m.put("clip", clip);
        m.put("seed", seed);
        return m;
    }
}
