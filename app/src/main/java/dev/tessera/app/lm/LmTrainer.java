package dev.tessera.app.lm;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.moe.MoeStats;
import dev.tessera.moe.SparseMoE;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.optim.GradAccumulation;
import dev.tessera.nn.optim.GradClip;
import dev.tessera.nn.schedule.WarmupCosine;
import dev.tessera.nn.train.Checkpoint;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.nn.train.MetricsSink;
import dev.tessera.nn.train.Progress;
import dev.tessera.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The language model's training loop: AdamW with linear warm-up and cosine decay, gradient
 * accumulation, global-norm clipping, the auxiliary-loss-free balancing step of every MoE layer after
 * each optimizer step (from the loads of all micro-batches of that step), checkpoints every
 * {@code checkpointEvery} steps, metrics and balance statistics every {@code logEvery} steps, and
 * samples of the five fixed prompts every {@code sampleEvery} steps.
 *
 * <p>Exact resume: a checkpoint holds the model (with the balancing biases), the optimizer state and the
 * step; batches depend on (seed, step) only and nothing else is random, so training resumed from a
 * checkpoint reproduces the uninterrupted run bit for bit.
 *
 * <pre>{@code
 * var trainer = new LmTrainer(model, tokenizer, data, LmTrainOptions.small(), runDir, runInfo, log, metrics);
 * Checkpoints.latest(runDir).map(Checkpoints::load).ifPresent(trainer::restore);
 * LmTrainer.Result r = trainer.train();
 * }</pre>
 */
public final class LmTrainer {
    /**
     * What a {@link #train()} call did.
     *
     * @param startStep      the step it started from (0, or the restored step)
     * @param endStep        the step it ended at
     * @param losses         the training loss (cross-entropy, nats per token) of each step it ran
     * @param lastCheckpoint the last checkpoint written
     * @param lastValLoss    the last validation loss (nats per token; NaN without held-out data)
     */
    public record Result(long startStep, long endStep, double[] losses, Path lastCheckpoint, double lastValLoss) {}

    private final LmModel model;
    private final Tokenizer tokenizer;
    private final TokenData data;
    private final LmTrainOptions opt;
    private final Checkpoints checkpoints;
    private final Map<String, Object> runInfo;
    private final RunLog log;
    private final MetricsSink metrics;
    private final AdamW adam;
    private final WarmupCosine schedule;
    private final List<SparseMoE> moes;
    private final double unigramBits;
    private boolean showProgress = true;

    /**
     * A trainer writing checkpoints into {@code runDir}; {@code runInfo} (config, tokenizer, corpus, ...)
     * is stored in every checkpoint's sidecar.
     */
    public LmTrainer(LmModel model, Tokenizer tokenizer, TokenData data, LmTrainOptions opt, Path runDir, Map<String, Object> runInfo, RunLog log,
                     MetricsSink metrics) {
        this.model = Objects.requireNonNull(model, "LmTrainer: model is null");
        this.tokenizer = Objects.requireNonNull(tokenizer, "LmTrainer: tokenizer is null");
        this.data = Objects.requireNonNull(data, "LmTrainer: data is null");
        this.opt = Objects.requireNonNull(opt, "LmTrainer: options are null");
        if (opt.seqLen() > model.config().positions()) {
            throw new IllegalArgumentException("--seq-len " + opt.seqLen() + " exceeds the model's " + model.config().positions() + " positions");
        }
        this.checkpoints = new Checkpoints(runDir, opt.keepCheckpoints());
        this.runInfo = new LinkedHashMap<>(runInfo);
        this.log = log;
        this.metrics = metrics;
        this.adam = new AdamW(model.parameters(), opt.lr(), 0.9, 0.95, 1e-8, opt.weightDecay());
        this.schedule = new WarmupCosine(opt.lr(), opt.minLr(), opt.warmup(), Math.max(opt.steps(), opt.warmup() + 1));
        this.moes = model.moeLayers();
        this.unigramBits = data.unigramEntropyBits();
    }

    /** Turns the progress display off (tests). Returns this. */
    public LmTrainer quiet() {
        this.showProgress = false;
        return this;
    }

    /** The optimizer. */
    public AdamW optimizer() {
        return adam;
    }

    /** Unigram entropy of the training tokens, bits per token. */
    public double unigramEntropyBits() {
        return unigramBits;
    }

    /** Restores model, optimizer and step from a checkpoint written by this recipe. */
    public void restore(Checkpoint ck) {
        model.loadStateDict(ck.model());
        adam.loadStateDict(ck.optimizer());
        if (adam.stepCount() != ck.step()) {
            throw new IllegalArgumentException("resume: checkpoint " + ck.path() + " is named step " + ck.step() + " but its optimizer has "
                    + adam.stepCount() + " steps");
        }
    }

    /** Trains from the current step to {@code steps}; checkpoints at the end. */
    public Result train() {
        return train(opt.steps());
    }

    /**
     * Trains from the current step to {@code min(stopAt, steps)} and checkpoints there, as a run
     * interrupted at {@code stopAt} would have (the schedule still spans all {@code steps}).
     */
    public Result train(long stopAt) {
        long start = adam.stepCount(), end = Math.min(stopAt, opt.steps());
        if (start >= end) {
            log.printf("nothing to do: the run is at step %d of %d", start, end);
            return new Result(start, start, new double[0], checkpoints.latest().orElse(null), Double.NaN);
        }
        model.train();
        double[] losses = new double[(int) (end - start)];
        int e = moes.isEmpty() ? 0 : moes.getFirst().options().experts();
        long[][] load = new long[moes.size()][e], kept = new long[moes.size()][e];
        double lossSum = 0, normSum = 0, lastVal = Double.NaN;
        int inInterval = 0;
        long intervalStart = System.nanoTime(), paused = 0;
        Path last = null;
        try (Progress progress = showProgress ? Progress.start("train lm", end, start) : null) {
            for (long step = start; step < end; step++) {
                final long s = step;
                int[][] stepLoad = new int[moes.size()][e];
                double[] ce = new double[opt.accumulation()];
                adam.zeroGrad();
                GradAccumulation.accumulate(opt.accumulation(), m -> {
                    Tensor[] b = data.batch(opt.dataSeed(), s, m, opt.batch(), opt.seqLen());
                    Variable logits = model.forward(b[0].to(model.device())).reshape(-1, model.config().vocab());
                    Variable loss = Losses.crossEntropy(logits, b[1].to(model.device()));
                    ce[m] = loss.value().item();
                    for (int l = 0; l < moes.size(); l++) {
                        MoeStats st = moes.get(l).lastStats();
                        for (int i = 0; i < e; i++) {
                            stepLoad[l][i] += st.load()[i];
                            kept[l][i] += st.kept()[i];
                        }
                    }
                    return model.config().balanceAlpha() > 0 ? loss.add(model.auxLoss()) : loss;
                });
                double norm = GradClip.clipGradNorm(model.parameters(), opt.clip());
                adam.setLr(schedule.lr(step));
                adam.step();
                // auxiliary-loss-free balancing: one control step per optimizer step, from all its micro-batches
                for (int l = 0; l < moes.size(); l++) {
                    if (moes.get(l).balancer() != null) moes.get(l).balancer().update(stepLoad[l]);
                    for (int i = 0; i < e; i++) load[l][i] += stepLoad[l][i];
                }
                double loss = 0;
                for (double c : ce) loss += c;
                loss /= ce.length;
                losses[(int) (step - start)] = loss;
                if (!Double.isFinite(loss)) throw new IllegalStateException("training diverged: loss " + loss + " at step " + (step + 1));
                lossSum += loss;
                normSum += norm;
                inInterval++;
                long done = step + 1;
                if (progress != null) progress.step(done, loss);
                if (done % opt.logEvery() == 0 || done == end) {
                    double secs = (System.nanoTime() - intervalStart - paused) / 1e9;
                    long t0 = System.nanoTime();
                    lastVal = validationLoss();
                    logMetrics(done, lossSum / inInterval, normSum / inInterval, inInterval * opt.tokensPerStep() / secs, lastVal, load, kept);
                    lossSum = normSum = 0;
                    inInterval = 0;
                    for (long[] a : load) java.util.Arrays.fill(a, 0);
                    for (long[] a : kept) java.util.Arrays.fill(a, 0);
                    intervalStart = t0;
                    paused = System.nanoTime() - t0;
                }
                // sampling and checkpoints are not training time: tokens/s leaves them out
                long t1 = System.nanoTime();
                if ((opt.sampleEvery() > 0 && done % opt.sampleEvery() == 0) || done == opt.steps()) sample(done);
                if (done % opt.checkpointEvery() == 0 || done == end) {
                    last = save(done);
                    log.printf("checkpoint step %d: %s", done, last);
                }
                paused += System.nanoTime() - t1;
            }
        }
        model.eval();
        return new Result(start, end, losses, last, lastVal);
    }

    /** Mean cross-entropy (nats per token) on the held-out windows in eval mode; NaN without held-out data. */
    public double validationLoss() {
        Tensor[] v = data.validation(opt.valWindows(), opt.seqLen());
        if (v == null) return Double.NaN;
        model.eval();
        try (var g = Grad.disabled()) {
            return Losses.crossEntropy(model.forward(v[0].to(model.device())).reshape(-1, model.config().vocab()), v[1].to(model.device()))
                    .value().item();
        } finally {
            model.train();
        }
    }

    private void logMetrics(long step, double loss, double norm, double tokPerSec, double val, long[][] load, long[][] kept) {
        double bits = loss / Math.log(2);
        StringBuilder moe = new StringBuilder();
        for (int l = 0; l < moes.size(); l++) {
            long total = 0, max = 0, min = Long.MAX_VALUE, keptTotal = 0;
            for (int i = 0; i < load[l].length; i++) {
                total += load[l][i];
                max = Math.max(max, load[l][i]);
                min = Math.min(min, load[l][i]);
                keptTotal += kept[l][i];
            }
            double mean = (double) total / load[l].length;
            double viol = mean == 0 ? 0 : max / mean - 1, minRatio = mean == 0 ? 0 : min / mean, dropped = total == 0 ? 0 : 1 - (double) keptTotal / total;
            String p = "moe/layer" + l;
            metrics.scalar(p + "/max_violation", step, viol);
            metrics.scalar(p + "/min_load_ratio", step, minRatio);
            metrics.scalar(p + "/dropped_fraction", step, dropped);
            for (int i = 0; i < load[l].length; i++) metrics.scalar(p + "/load/" + i, step, total == 0 ? 0 : (double) load[l][i] / total);
            moe.append(String.format(java.util.Locale.ROOT, " L%d[viol %.2f min %.2f drop %.1f%%]", l, viol, minRatio, 100 * dropped));
        }
        metrics.scalar("train/loss", step, loss);
        metrics.scalar("train/bits_per_token", step, bits);
        metrics.scalar("train/lr", step, adam.lr());
        metrics.scalar("train/grad_norm", step, norm);
        metrics.scalar("train/tokens_per_s", step, tokPerSec);
        if (!Double.isNaN(val)) metrics.scalar("val/loss", step, val);
        metrics.flush();
        log.printf("step %d/%d loss %.4f = %.3f bits/token (unigram %.3f, held-out %s) lr %.3g grad-norm %.3f %,.0f tok/s | moe%s", step,
                opt.steps(), loss, bits, unigramBits, Double.isNaN(val) ? "-" : String.format(java.util.Locale.ROOT, "%.3f", val / Math.log(2)),
                adam.lr(), norm, tokPerSec, moe);
    }

    private void sample(long step) {
        for (Prompts.Completion c : Prompts.completeAll(model, tokenizer, opt.sampleTokens(), 0.8, 40, 1.0, opt.dataSeed() + step)) {
            log.printf("sample step %d: %s|%s", step, Prompts.oneLine(c.prompt()), Prompts.oneLine(c.text()));
        }
        model.train();
    }

    private Path save(long step) {
        Map<String, Object> extra = new LinkedHashMap<>(runInfo);
        extra.put("recipe", "lm");
        extra.put("config", model.config().toMap());
        extra.put("train", opt.toMap());
        extra.put("tokenizer", tokenizer.toMap());
        return checkpoints.save(step, model.stateDict(), adam.stateDict(), extra);
    }
}
