package dev.tessera.app.mheight;

import dev.tessera.autograd.Variable;
import dev.tessera.lp.data.Augment;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.schedule.WarmupCosine;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.nn.train.MetricsSink;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Tensor;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The m-height recipe's training loop: group-balanced MSE on log2 h with AdamW and warmup + cosine
 * ("main"), then hard-example mining (the 10 % of training rows with the largest error) and a
 * "booster" phase on them, then a "cooldown" (90 % regular / 10 % hard rows, reduced learning rate).
 * Training batches are augmented with random exact invariances (row/column permutations, sign flips).
 * Every {@code evalEvery} steps (and at the end of each phase) the macro log2-MSE on up to
 * {@link #VAL_LOSS_ROWS} validation rows is measured; both curves go to {@link #history()} and,
 * when given, a {@link MetricsSink} (tags {@code <phase>/train_loss}, {@code <phase>/val_loss},
 * {@code <phase>/lr}; steps count across phases).
 */
public final class Trainer {
    /** Validation rows used for the validation-loss curve (a fixed subset; the full set is scored after training). */
    public static final int VAL_LOSS_ROWS = 2048;

    /** Hyper-parameters. */
    public record Options(long steps, int batchSize, double lr, double weightDecay, double boosterFraction, double cooldownFraction, long seed,
                          int logEvery, int evalEvery) {
        /** Checks the values. */
        public Options {
            if (steps < 1) throw new IllegalArgumentException("Trainer: steps must be >= 1, got " + steps);
            if (batchSize < 1) throw new IllegalArgumentException("Trainer: batch size must be >= 1, got " + batchSize);
            if (logEvery < 1 || evalEvery < 1) {
                throw new IllegalArgumentException("Trainer: logEvery and evalEvery must be >= 1, got " + logEvery + ", " + evalEvery);
            }
        }

        /** Defaults for {@code steps} main steps: about 20 validation points in the main phase. */
        public static Options of(long steps, int batchSize) {
            return new Options(steps, batchSize, 1e-3, 0.01, 0.15, 0.15, 7, 50, (int) Math.max(1, Math.min(Integer.MAX_VALUE, steps / 20)));
        }
    }

    private final MHeightModel model;
    private final Options opt;
    private final PrintStream out;
    private final AdamW adam;
    private final MetricsSink metrics;
    private final LossHistory history = new LossHistory();
    private long globalStep;
    private double windowLoss;
    private int windowSteps;
    private double evalSeconds;
    private double[] valBounds;

    /** A trainer for {@code model} (already on its device) logging to {@code out}. */
    public Trainer(MHeightModel model, Options opt, PrintStream out) {
        this(model, opt, out, null);
    }

    /** A trainer that also writes its curves to {@code metrics} (may be null). */
    public Trainer(MHeightModel model, Options opt, PrintStream out, MetricsSink metrics) {
        this.model = model;
        this.opt = opt;
        this.out = out;
        this.metrics = metrics;
        this.adam = new AdamW(model.parameters(), opt.lr(), opt.weightDecay());
    }

    /** The loss curves recorded so far. */
    public LossHistory history() {
        return history;
    }

    /** Group-balanced weights 1 / (groups * rows in group); they sum to 1. */
    public static double[] groupWeights(Rows rows) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) counts.merge(rows.group(i), 1, Integer::sum);
        double[] w = new double[rows.size()];
        for (int i = 0; i < w.length; i++) w[i] = 1.0 / (counts.size() * (double) counts.get(rows.group(i)));
        return w;
    }

    /** Runs all phases on {@code train} without a validation curve. */
    public void fit(Rows train) {
        fit(train, null);
    }

    /** Runs all phases on {@code train}, measuring the validation loss on {@code val} (null or empty: none). */
    public void fit(Rows train, Rows val) {
        if (train.size() == 0) throw new IllegalArgumentException("Trainer.fit: no training rows");
        Rows valSub = val == null || val.size() == 0 ? null : valSubset(val);
        valBounds = valSub == null ? null : Features.log2LowerBounds(valSub);
        long b0 = System.nanoTime();
        double[] bounds = Features.log2LowerBounds(train);
        out.printf("minimum-support bounds of %d training rows: %.1f s%n", train.size(), (System.nanoTime() - b0) / 1e9);
        double[] w = groupWeights(train);
        double meanW = 1.0 / train.size();
        SplittableRandom rng = new SplittableRandom(opt.seed());
        model.train();
        long main = opt.steps();
        WarmupCosine sched = new WarmupCosine(opt.lr(), opt.lr() * 0.05, Math.max(1, main / 20), Math.max(2, main));
        out.printf("phase main: %d steps, batch %d, AdamW lr %.2g warmup+cosine%n", main, opt.batchSize(), opt.lr());
        int[] all = new int[train.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        startPhase();
        long t0 = System.nanoTime();
        for (long s = 0; s < main; s++) {
            adam.setLr(sched.lr(s));
            step("main", s, main, train, bounds, w, meanW, sample(all, null, 0, rng), rng, t0, valSub);
        }
        long boost = Math.max(1, Math.round(main * opt.boosterFraction()));
        long cool = Math.max(1, Math.round(main * opt.cooldownFraction()));
        double[] pred = Predictor.predict(model, train, bounds, 1, 1024);
        model.train();
        Integer[] order = new Integer[train.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(Math.abs(pred[b] - train.log2h()[b]), Math.abs(pred[a] - train.log2h()[a])));
        int[] hard = new int[Math.max(1, train.size() / 10)];
        for (int i = 0; i < hard.length; i++) hard[i] = order[i];
        out.printf("phase booster: %d hard rows (10 %% largest error), %d steps, lr %.2g%n", hard.length, boost, opt.lr() * 0.3);
        startPhase();
        t0 = System.nanoTime();
        adam.setLr(opt.lr() * 0.3);
        for (long s = 0; s < boost; s++) step("booster", s, boost, train, bounds, w, meanW, sample(hard, null, 0, rng), rng, t0, valSub);
        out.printf("phase cooldown: %d steps, 90 %% regular / 10 %% hard rows, lr %.2g%n", cool, opt.lr() * 0.1);
        startPhase();
        t0 = System.nanoTime();
        for (long s = 0; s < cool; s++) {
            adam.setLr(opt.lr() * 0.1 * (1 - (double) s / cool) + opt.lr() * 0.01);
            step("cooldown", s, cool, train, bounds, w, meanW, sample(all, hard, 0.1, rng), rng, t0, valSub);
        }
        if (metrics != null) metrics.flush();
        model.eval();
    }

    /** A fixed, order-independent subset of at most {@link #VAL_LOSS_ROWS} validation rows (every group kept in proportion). */
    private static Rows valSubset(Rows val) {
        if (val.size() <= VAL_LOSS_ROWS) return val;
        int[] idx = new int[VAL_LOSS_ROWS];
        for (int i = 0; i < idx.length; i++) idx[i] = (int) ((long) i * val.size() / VAL_LOSS_ROWS);
        return val.subset(idx);
    }

    private void startPhase() {
        windowLoss = 0;
        windowSteps = 0;
        evalSeconds = 0;
    }

    private int[] sample(int[] pool, int[] hard, double hardFrac, SplittableRandom rng) {
        int[] idx = new int[opt.batchSize()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = hard != null && rng.nextDouble() < hardFrac ? hard[rng.nextInt(hard.length)] : pool[rng.nextInt(pool.length)];
        }
        return idx;
    }

    private void step(String phase, long s, long total, Rows train, double[] bounds, double[] w, double meanW, int[] idx, SplittableRandom rng, long t0,
                      Rows valSub) {
        int b = idx.length;
        int[] n = new int[b], k = new int[b], m = new int[b];
        double[][] p = new double[b][];
        float[] y = new float[b];
        float[] wt = new float[b];
        double[] bound = new double[b];
        double wsum = 0;
        for (int i = 0; i < b; i++) {
            int j = idx[i];
            n[i] = train.n()[j];
            k[i] = train.k()[j];
            m[i] = train.m()[j];
            double[] src = train.p()[j];
            p[i] = new double[src.length];
            Augment.random(src, k[i], n[i] - k[i], rng, p[i]);
            y[i] = (float) train.log2h()[j];
            bound[i] = bounds[j];
            wsum += w[j] / meanW;
        }
        for (int i = 0; i < b; i++) wt[i] = (float) (w[idx[i]] / meanW / wsum);
        Device dev = model.device();
        Variable pred = model.forward(Features.build(n, k, m, p, bound));
        Variable err = pred.sub(Variable.constant(Tensor.of(y, b).to(dev)));
        Variable loss = err.square().mul(Variable.constant(Tensor.of(wt, b).to(dev))).sum(0);
        adam.zeroGrad();
        loss.backward();
        adam.step();
        double lossValue = loss.value().item();
        long g = globalStep++;
        windowLoss += lossValue;
        windowSteps++;
        if (metrics != null) {
            metrics.scalar(phase + "/train_loss", g, lossValue);
            metrics.scalar(phase + "/lr", g, adam.lr());
        }
        boolean last = s == total - 1;
        String valText = "";
        if ((s + 1) % opt.evalEvery() == 0 || last) {
            history.add(phase, LossHistory.TRAIN, g, windowLoss / windowSteps);
            windowLoss = 0;
            windowSteps = 0;
            if (valSub != null) {
                long e0 = System.nanoTime();
                double v = Evaluation.macroMse(valSub, Predictor.predict(model, valSub, valBounds, 1, 1024));
                evalSeconds += (System.nanoTime() - e0) / 1e9;
                history.add(phase, LossHistory.VAL, g, v);
                if (metrics != null) metrics.scalar(phase + "/val_loss", g, v);
                valText = String.format(" val %.4f", v);
            }
        }
        if (s % opt.logEvery() == 0 || last || !valText.isEmpty()) {
            double secs = (System.nanoTime() - t0) / 1e9 - evalSeconds;
            out.printf("[%s] step %d/%d loss %.4f%s lr %.2e (%.1f samples/s)%n", phase, s + 1, total, lossValue, valText, adam.lr(),
                    (s + 1) * (double) b / Math.max(1e-9, secs));
        }
    }

    /** Saves the model (and its config) as a checkpoint under {@code dir}; returns the checkpoint folder. */
    public Path save(Path dir, Map<String, Object> extra) {
        Map<String, Object> meta = new LinkedHashMap<>(extra);
        meta.put("recipe", "mheight");
        meta.put("config", model.config().toMap());
        Map<String, Tensor> state = new LinkedHashMap<>();
        model.stateDict().forEach((name, t) -> state.put(name, t.to(Device.cpu())));
        return new Checkpoints(dir, 1).save(adam.stepCount(), state, Map.of(), meta);
    }

    /**
     * Loads a model saved by {@link #save} onto the CPU: {@code checkpointDir} is a checkpoint folder
     * ({@code ckpt-<step>}) or a run folder holding them (the newest is taken). Errors start with the folder.
     */
    @SuppressWarnings("unchecked")
    public static MHeightModel load(Path checkpointDir) {
        if (!Files.isDirectory(checkpointDir)) throw new IllegalArgumentException(checkpointDir + ": no such folder");
        if (!Files.exists(checkpointDir.resolve(Checkpoints.META_FILE))) {
            Path parent = checkpointDir;
            checkpointDir = Checkpoints.latest(parent).orElseThrow(() -> new IllegalArgumentException(parent
                    + ": no checkpoint in this folder (expected " + Checkpoints.META_FILE + " or ckpt-<step>/ folders written by tessera train mheight)"));
        }
        var ck = Checkpoints.load(checkpointDir);
        Object recipe = ck.extra().get("recipe");
        if (!"mheight".equals(recipe) || !(ck.extra().get("config") instanceof Map)) {
            throw new IllegalArgumentException(checkpointDir + ": not an m-height checkpoint (recipe '" + recipe + "')");
        }
        MHeightModel model = MHeightModel.create(MHeightConfig.fromMap((Map<String, Object>) ck.extra().get("config")));
        model.loadStateDict(ck.model());
        model.eval();
        return model;
    }
}
