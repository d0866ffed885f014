package dev.tessera.app.mheight;

import dev.tessera.autograd.Variable;
import dev.tessera.lp.data.Augment;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.schedule.WarmupCosine;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.tensor.Tensor;
import java.io.PrintStream;
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
 */
public final class Trainer {
    /** Hyper-parameters. */
    public record Options(long steps, int batchSize, double lr, double weightDecay, double boosterFraction, double cooldownFraction, long seed,
                          int logEvery) {
        /** Defaults for {@code steps} main steps. */
        public static Options of(long steps, int batchSize) {
            return new Options(steps, batchSize, 1e-3, 0.01, 0.15, 0.15, 7, 50);
        }
    }

    private final MHeightModel model;
    private final Options opt;
    private final PrintStream out;
    private final AdamW adam;

    /** A trainer for {@code model}. */
    public Trainer(MHeightModel model, Options opt, PrintStream out) {
        this.model = model;
        this.opt = opt;
        this.out = out;
        this.adam = new AdamW(model.parameters(), opt.lr(), opt.weightDecay());
    }

    /** Group-balanced weights 1 / (groups * rows in group); they sum to 1. */
    public static double[] groupWeights(Rows rows) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) counts.merge(rows.group(i), 1, Integer::sum);
        double[] w = new double[rows.size()];
        for (int i = 0; i < w.length; i++) w[i] = 1.0 / (counts.size() * (double) counts.get(rows.group(i)));
        return w;
    }

    /** Runs all phases on {@code train}; returns the final main-phase loss. */
    public void fit(Rows train) {
        double[] w = groupWeights(train);
        double meanW = 1.0 / train.size();
        SplittableRandom rng = new SplittableRandom(opt.seed());
        model.train();
        long main = opt.steps();
        WarmupCosine sched = new WarmupCosine(opt.lr(), opt.lr() * 0.05, Math.max(1, main / 20), Math.max(2, main));
        out.printf("phase main: %d steps, batch %d, AdamW lr %.2g warmup+cosine%n", main, opt.batchSize(), opt.lr());
        int[] all = new int[train.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        long t0 = System.nanoTime();
        for (long s = 0; s < main; s++) {
            adam.setLr(sched.lr(s));
            step("main", s, main, train, w, meanW, sample(all, null, 0, rng), rng, t0);
        }
        long boost = Math.max(1, Math.round(main * opt.boosterFraction()));
        long cool = Math.max(1, Math.round(main * opt.cooldownFraction()));
        double[] pred = Predictor.predict(model, train, 1, 1024);
        model.train();
        Integer[] order = new Integer[train.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(Math.abs(pred[b] - train.log2h()[b]), Math.abs(pred[a] - train.log2h()[a])));
        int[] hard = new int[Math.max(1, train.size() / 10)];
        for (int i = 0; i < hard.length; i++) hard[i] = order[i];
        out.printf("phase booster: %d hard rows (10 %% largest error), %d steps, lr %.2g%n", hard.length, boost, opt.lr() * 0.3);
        t0 = System.nanoTime();
        adam.setLr(opt.lr() * 0.3);
        for (long s = 0; s < boost; s++) step("booster", s, boost, train, w, meanW, sample(hard, null, 0, rng), rng, t0);
        out.printf("phase cooldown: %d steps, 90 %% regular / 10 %% hard rows, lr %.2g%n", cool, opt.lr() * 0.1);
        t0 = System.nanoTime();
        for (long s = 0; s < cool; s++) {
            adam.setLr(opt.lr() * 0.1 * (1 - (double) s / cool) + opt.lr() * 0.01);
            step("cooldown", s, cool, train, w, meanW, sample(all, hard, 0.1, rng), rng, t0);
        }
        model.eval();
    }

    private int[] sample(int[] pool, int[] hard, double hardFrac, SplittableRandom rng) {
        int[] idx = new int[opt.batchSize()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = hard != null && rng.nextDouble() < hardFrac ? hard[rng.nextInt(hard.length)] : pool[rng.nextInt(pool.length)];
        }
        return idx;
    }

    private void step(String phase, long s, long total, Rows train, double[] w, double meanW, int[] idx, SplittableRandom rng, long t0) {
        int b = idx.length;
        int[] n = new int[b], k = new int[b], m = new int[b];
        double[][] p = new double[b][];
        float[] y = new float[b];
        float[] wt = new float[b];
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
            wsum += w[j] / meanW;
        }
        for (int i = 0; i < b; i++) wt[i] = (float) (w[idx[i]] / meanW / wsum);
        Variable pred = model.forward(Features.build(n, k, m, p));
        Variable err = pred.sub(Variable.constant(Tensor.of(y, b)));
        Variable loss = err.square().mul(Variable.constant(Tensor.of(wt, b))).sum(0);
        adam.zeroGrad();
        loss.backward();
        adam.step();
        if (s % opt.logEvery() == 0 || s == total - 1) {
            double secs = (System.nanoTime() - t0) / 1e9;
            out.printf("[%s] step %d/%d loss %.4f lr %.2e (%.1f samples/s)%n", phase, s + 1, total, loss.value().item(), adam.lr(),
                    (s + 1) * (double) b / Math.max(1e-9, secs));
        }
    }

    /** Saves the model (and its config) as a checkpoint under {@code dir}; returns the checkpoint folder. */
    public Path save(Path dir, Map<String, Object> extra) {
        Map<String, Object> meta = new LinkedHashMap<>(extra);
        meta.put("recipe", "mheight");
        meta.put("config", model.config().toMap());
        return new Checkpoints(dir, 1).save(adam.stepCount(), model.stateDict(), Map.of(), meta);
    }

    /** Loads a model saved by {@link #save}. */
    @SuppressWarnings("unchecked")
    public static MHeightModel load(Path checkpointDir) {
        if (!java.nio.file.Files.exists(checkpointDir.resolve(Checkpoints.META_FILE))) {
            Path parent = checkpointDir;
            checkpointDir = Checkpoints.latest(parent).orElseThrow(() -> new IllegalArgumentException("no checkpoint under " + parent));
        }
        var ck = Checkpoints.load(checkpointDir);
        MHeightModel model = MHeightModel.create(MHeightConfig.fromMap((Map<String, Object>) ck.extra().get("config")));
        model.loadStateDict(ck.model());
        model.eval();
        return model;
    }
}
