package dev.tessera.app.regression;

import dev.tessera.app.plot.Plots;
import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.moe.MoeStats;
import dev.tessera.moe.SparseMoE;
import dev.tessera.nn.data.Batch;
import dev.tessera.nn.data.DataLoader;
import dev.tessera.nn.data.TensorDataset;
import dev.tessera.nn.optim.GradClip;
import dev.tessera.nn.optim.Optimizer;
import dev.tessera.nn.schedule.LrSchedule;
import dev.tessera.nn.data.LoaderState;
import dev.tessera.nn.train.Checkpoint;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.nn.train.CsvMetrics;
import dev.tessera.nn.train.MetricsSink;
import dev.tessera.nn.train.MultiSink;
import dev.tessera.nn.train.Progress;
import dev.tessera.nn.train.TensorBoardWriter;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs one regression experiment: draws the task's training and validation sets, builds the model, trains it
 * for the configured epochs (loss = task MSE, plus the MoE balance losses when the model has MoE layers),
 * validates after every epoch, and writes into the run folder:
 * <ul>
 *   <li>{@code metrics.csv} (long format) and {@code tb/} (TensorBoard): {@code train/loss}, {@code train/lr},
 *       {@code train/aux_loss} every {@code logEvery} steps, {@code epoch/train_loss}, {@code val/loss},
 *       {@code val/objective} every epoch, the MoE statistics of every MoE layer ({@code moe/<layer>/...});</li>
 *   <li>{@code loss.png} (loss curves), {@code predictions.png} (validation predictions against targets),
 *       {@code continuation.png} (autoregressive tasks: free-running continuations);</li>
 *   <li>a checkpoint {@code ckpt-<step>/} after every epoch, the newest kept (model, optimizer, dropout generators, configurations,
 *       epoch and results; see {@link ModelBuilder#load}).</li>
 * </ul>
 *
 * <p>{@link #resumeFrom} continues a run from its checkpoint: model (MoE balancing biases included), optimizer
 * state and step, the learning-rate schedule (over the new total of epochs), the epoch, and the exact state of the
 * random generators dropout draws its masks from (checkpoint value {@code dropoutRng}, see {@link DropoutStreams});
 * the metrics are appended to the run's {@code metrics.csv}. The batch order depends only on (seed, epoch), so with a
 * constant schedule a run resumed to E epochs is bit for bit the run trained for E epochs straight, dropout included.
 * With a cosine schedule the curve is stretched over the new total (the first part ran under the old one). A
 * checkpoint saved before the generator state was part of it still resumes, as PyTorch resumes a checkpoint without
 * RNG state: with dropout the log then warns in one line that the masks restart from the run's initial stream (the
 * masks of epoch 1 are drawn again), so the run is no longer the straight run.
 *
 * <p>The validation loss is the task metric: the MSE of {@link TaskModel#predict} against the targets (for
 * autoregressive tasks the one-step-ahead error after a full window, for sequence-to-sequence tasks the error of
 * free decoding). {@code val/objective} is the training objective on the validation set (teacher-forced for
 * sequence to sequence, all window positions for a causal transformer). The final training loss is the mean
 * task loss over the last epoch.
 *
 * <pre>{@code
 * var result = new RegressionTrainer(task, model, train, Path.of("runs/r1"), System.out, Progress.Mode.AUTO).run();
 * }</pre>
 */
public final class RegressionTrainer {
    /** Examples of the autoregressive roll-out evaluation. */
    private static final int ROLLOUT_EXAMPLES = 256;
    /** Validation examples evaluated per forward. */
    private static final int EVAL_BATCH = 256;
    /** At most this many points go into the predictions scatter plot. */
    private static final int SCATTER_POINTS = 4000;

    /**
     * The outcome of a run.
     *
     * @param parameters  trainable parameters of the model
     * @param trainLoss   mean training task loss over the last epoch
     * @param valLoss     validation loss (task metric) after the last epoch
     * @param bestValLoss lowest validation loss after any epoch
     * @param initialValLoss validation loss of the untrained model
     * @param steps       optimizer steps taken
     * @param seconds     wall time of the whole run (data, training, evaluation, files)
     * @param metrics     further final metrics ({@code val/objective}, {@code val/rollout_mse}, MoE averages)
     * @param out         the run folder
     * @param checkpoint  the checkpoint folder
     */
    public record Result(long parameters, double trainLoss, double valLoss, double bestValLoss, double initialValLoss, long steps, double seconds,
                         Map<String, Double> metrics, Path out, Path checkpoint) {}

    private final TaskConfig taskCfg;
    private final ModelConfig modelCfg;
    private final TrainConfig trainCfg;
    private final Path out;
    private final PrintStream log;
    private final Progress.Mode progressMode;
    private Checkpoint resume;
    private Device device = Device.cpu();

    /**
     * A run writing into {@code out} (created; it must not already hold a run) and logging to {@code log}.
     *
     * @param progressMode how the step progress is shown (on standard error)
     */
    public RegressionTrainer(TaskConfig task, ModelConfig model, TrainConfig train, Path out, PrintStream log, Progress.Mode progressMode) {
        if (task.seqLen() != model.seqLen() || task.task().kind() != model.kind()) {
            throw new IllegalArgumentException("RegressionTrainer: the model (kind " + model.kind() + ", T " + model.seqLen() + ") does not fit task "
                    + task.task().cliName() + " (kind " + task.task().kind() + ", T " + task.seqLen() + ")");
        }
        if (train.batch() > task.trainSize()) {
            throw new IllegalArgumentException("RegressionTrainer: batch " + train.batch() + " exceeds the " + task.trainSize() + " training examples");
        }
        this.taskCfg = task;
        this.modelCfg = model;
        this.trainCfg = train;
        this.out = out;
        this.log = log;
        this.progressMode = progressMode;
    }

    /**
     * Trains on {@code device} (the CPU by default): the model's parameters and buffers and each batch move there;
     * predictions come back to the host for the metrics and plots.
     *
     * @return this trainer
     */
    public RegressionTrainer onDevice(Device device) {
        this.device = java.util.Objects.requireNonNull(device, "device");
        return this;
    }

    /**
     * Makes {@link #run} continue from {@code checkpoint} (of this run folder) instead of starting fresh. The
     * checkpoint's task and model must equal this trainer's, its training settings too except the epochs, which must
     * exceed the epochs it has done.
     *
     * @return this trainer
     */
    public RegressionTrainer resumeFrom(Checkpoint checkpoint) {
        if (!"regression".equals(checkpoint.extra().get("recipe"))) {
            throw new IllegalArgumentException("--resume: " + checkpoint.path() + " is not a regression checkpoint (recipe "
                    + checkpoint.extra().get("recipe") + ")");
        }
        List<String> diff = new ArrayList<>();
        differences("task", checkpoint.get("task"), taskCfg.toMap(), diff);
        differences("model", checkpoint.get("model"), modelCfg.toMap(), diff);
        Map<String, Object> train = new LinkedHashMap<>(trainCfg.toMap());
        Object saved = checkpoint.get("train");
        if (saved instanceof Map<?, ?> m) {
            Map<String, Object> savedTrain = new LinkedHashMap<>();
            m.forEach((k, v) -> savedTrain.put(String.valueOf(k), v));
            savedTrain.remove("epochs");
            train.remove("epochs");
            differences("train", savedTrain, train, diff);
        } else {
            diff.add("train: missing in the checkpoint");
        }
        if (!diff.isEmpty()) {
            throw new IllegalArgumentException("--resume: the flags describe another run than checkpoint " + checkpoint.path() + " (checkpoint vs flags: "
                    + String.join("; ", diff) + "); repeat the original run's flags, changing only --epochs");
        }
        this.resume = checkpoint;
        return this;
    }

    /** Appends to {@code diff} where {@code saved} (read back from JSON) and {@code now} differ; numbers compare by value. */
    private static void differences(String path, Object saved, Object now, List<String> diff) {
        if (saved instanceof Number a && now instanceof Number b) {
            if (a.doubleValue() != b.doubleValue()) diff.add(path + " " + a + " vs " + b);
        } else if (saved instanceof Map<?, ?> a && now instanceof Map<?, ?> b) {
            java.util.Set<Object> keys = new java.util.LinkedHashSet<>(b.keySet());
            keys.addAll(a.keySet());
            for (Object k : keys) differences(path + "." + k, a.get(k), b.get(k), diff);
        } else if (saved instanceof List<?> a && now instanceof List<?> b && a.size() == b.size()) {
            for (int i = 0; i < a.size(); i++) differences(path + "[" + i + "]", a.get(i), b.get(i), diff);
        } else if (!java.util.Objects.equals(saved, now)) {
            diff.add(path + " " + saved + " vs " + now);
        }
    }

    /** Trains, validates, writes the metrics, plots and checkpoints, and returns the result. */
    public Result run() {
        long t0 = System.nanoTime();
        Checkpoint ck = resume;
        if (ck == null && (Files.exists(out.resolve("metrics.csv")) || Checkpoints.latest(out).isPresent())) {
            throw new IllegalArgumentException("the run folder " + out + " already holds a run; choose another --out, or continue it with --resume latest");
        }
        Rng root = new Rng(trainCfg.seed());
        SyntheticTask task = taskCfg.task();
        TaskData train = task.generate(taskCfg.trainSize(), taskCfg.seqLen(), 1, taskCfg.noise(), root.split(1));
        TaskData val = task.generate(taskCfg.valSize(), taskCfg.seqLen(), 1, taskCfg.noise(), root.split(2));
        TaskModel model = ModelBuilder.build(modelCfg, root.split(3));
        if (ck != null) {
            model.loadStateDict(ck.model());
            restoreDropoutStreams(ck, model);
        }
        model.to(device);   // before the optimizer exists, so its state is created on the device
        Optimizer opt = trainCfg.createOptimizer(model.parameters());
        if (ck != null) opt.loadStateDict(ck.optimizer());   // copies the saved state onto the parameters' device
        Map<String, SparseMoE> moe = model.moeLayers();

        try (var loader = DataLoader.builder(new TensorDataset(train.inputs(), train.targets())).batchSize(trainCfg.batch()).shuffle(true)
                .seed(trainCfg.seed()).dropLast(true).build();
             MetricsSink sink = new MultiSink(CsvMetrics.longFormat(out.resolve("metrics.csv")), new TensorBoardWriter(out.resolve("tb")))) {
            long perEpoch = loader.batchesPerEpoch(), total = perEpoch * trainCfg.epochs();
            LrSchedule schedule = trainCfg.createSchedule(total);
            int startEpoch = 0;
            if (ck != null) {
                if (ck.step() % perEpoch != 0 || opt.stepCount() != ck.step()) {
                    throw new IllegalArgumentException("--resume: checkpoint " + ck.path() + " is at step " + ck.step() + " (optimizer step "
                            + opt.stepCount() + "), not at the end of an epoch of " + perEpoch + " steps");
                }
                startEpoch = Math.toIntExact(ck.step() / perEpoch);
                if (startEpoch >= trainCfg.epochs()) {
                    throw new IllegalArgumentException("--epochs " + trainCfg.epochs() + ": checkpoint " + ck.path() + " has already trained " + startEpoch
                            + " epochs; pass a larger --epochs to continue");
                }
                loader.resume(new LoaderState(startEpoch, 0));
            }
            log.printf(Locale.ROOT, "train regression: %s%n  model: %s, %,d parameters%n  training: %s lr %.3g (%s), %d epochs x %d steps, batch %d%s, on %s%n",
                    describeTask(), describeModel(), model.numParameters(), trainCfg.optimizer().cliName(), trainCfg.lr(), trainCfg.schedule().cliName(),
                    trainCfg.epochs(), perEpoch, trainCfg.batch(), trainCfg.clip() > 0 ? String.format(Locale.ROOT, ", clip %.3g", trainCfg.clip()) : "", device);
            List<double[]> stepLoss = new ArrayList<>();   // {step, loss}
            List<double[]> epochLoss = new ArrayList<>();  // {step, train, val}
            double trainLoss = Double.NaN, best = Double.POSITIVE_INFINITY, initialMetric;
            Eval last = null;
            if (ck == null) {
                Eval initial = evaluate(model, val, device);
                initialMetric = initial.metric();
                last = initial;
                log.printf(Locale.ROOT, "  val loss untrained %.5f; predicting the training mean %.5f%n", initial.metric(), meanBaseline(train, val));
                sink.scalar("val/loss", 0, initial.metric());
                sink.scalar("val/objective", 0, initial.objective());
                epochLoss.add(new double[] {0, Double.NaN, initial.metric()});
            } else {
                Map<String, Object> res = ck.map("results");
                initialMetric = ((Number) res.get("initialValLoss")).doubleValue();
                best = ((Number) res.get("bestValLoss")).doubleValue();
                history(ck.step(), stepLoss, epochLoss);
                log.printf(Locale.ROOT, "  resumed from %s: epoch %d of %d done (step %d), val loss %.5f%s%n", ck.path(), startEpoch, trainCfg.epochs(), ck.step(),
                        ((Number) res.get("valLoss")).doubleValue(), trainCfg.schedule() == TrainConfig.ScheduleKind.CONSTANT ? ""
                                : "; the " + trainCfg.schedule().cliName() + " schedule now spans " + total + " steps");
            }
            MoeTotals moeTotals = null;
            long step = ck == null ? 0 : ck.step();
            try (Progress progress = new Progress("regression", total, step, progressMode, System.err, 30_000, System::nanoTime)) {
                for (int epoch = startEpoch + 1; epoch <= trainCfg.epochs(); epoch++) {
                    long te = System.nanoTime();
                    model.train();
                    double sum = 0;
                    moeTotals = new MoeTotals(moe);
                    for (Batch b : loader.epoch()) {
                        Variable loss = model.loss(b.get(0).to(device), b.get(1).to(device));
                        Variable aux = model.auxLoss();
                        Variable objective = aux == null ? loss : loss.add(aux);
                        opt.zeroGrad();
                        objective.backward();
                        if (trainCfg.clip() > 0) GradClip.clipGradNorm(model.parameters(), trainCfg.clip());
                        opt.step(schedule);
                        // auxiliary-loss-free balancing: one control step per optimizer step, from this step's loads
                        for (SparseMoE m : moe.values()) m.updateBalancer();
                        step++;
                        double l = loss.value().item();
                        if (!Double.isFinite(l)) {
                            throw new IllegalStateException("training diverged: the loss is " + l + " at step " + step + " (epoch " + epoch
                                    + "); try a lower --lr or --clip");
                        }
                        sum += l;
                        stepLoss.add(new double[] {step, l});
                        moeTotals.add(moe);
                        if (step % trainCfg.logEvery() == 0 || step == total) {
                            sink.scalar("train/loss", step, l);
                            sink.scalar("train/lr", step, opt.lr());
                            if (aux != null) sink.scalar("train/aux_loss", step, aux.value().item());
                            for (var e : moe.entrySet()) {
                                e.getValue().lastStats().report(sink, "moe/" + e.getKey(), step);
                                if (e.getValue().balancer() != null) {
                                    double[] bias = e.getValue().balancer().bias();
                                    for (int i = 0; i < bias.length; i++) sink.scalar("moe/" + e.getKey() + "/bias/" + i, step, bias[i]);
                                }
                            }
                        }
                        progress.step(step, l);
                    }
                    trainLoss = sum / perEpoch;
                    last = evaluate(model, val, device);
                    best = Math.min(best, last.metric());
                    epochLoss.add(new double[] {step, trainLoss, last.metric()});
                    sink.scalar("epoch/train_loss", step, trainLoss);
                    sink.scalar("val/loss", step, last.metric());
                    sink.scalar("val/objective", step, last.objective());
                    moeTotals.report(sink, step);
                    log.printf(Locale.ROOT, "epoch %d/%d: train %.5f  val %.5f%s  lr %.3g  %.1f s%s%n", epoch, trainCfg.epochs(), trainLoss, last.metric(),
                            !objectiveDiffers() ? "" : String.format(Locale.ROOT, " (objective %.5f)", last.objective()), opt.lr(),
                            (System.nanoTime() - te) / 1e9, moeTotals.summary());
                    sink.flush();
                    if (epoch < trainCfg.epochs()) {
                        saveCheckpoint(step, epoch, model, opt, Map.<String, Object>of("trainLoss", trainLoss, "valLoss", last.metric(), "bestValLoss", best,
                                "initialValLoss", initialMetric));
                    }
                }
            }

            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("val/objective", last.objective());
            if (!moe.isEmpty()) {
                log.print(moeTotals.table(moe));
                metrics.putAll(moeTotals.means());
            }
            Plots.lines(out.resolve("loss.png"), "Loss (" + task.cliName() + ", " + modelCfg.type().cliName() + ")", "step", "MSE",
                    lossSeries(stepLoss, epochLoss), true);
            scatter(out.resolve("predictions.png"), last, val);
            if (task.kind() == SyntheticTask.Kind.AUTOREGRESSIVE) {
                TaskData roll = task.generate(ROLLOUT_EXAMPLES, taskCfg.seqLen(), taskCfg.horizon(), taskCfg.noise(), root.split(4));
                model.eval();
                Tensor cont = model.continueSequence(roll.inputs().to(device), taskCfg.horizon()).to(Device.cpu());
                double rollMse = mse(cont.toDoubleArray(), roll.targets().toDoubleArray());
                metrics.put("val/rollout_mse", rollMse);
                sink.scalar("val/rollout_mse", step, rollMse);
                log.printf(Locale.ROOT, "roll-out of %d values fed back (%d sequences): MSE %.5f%n", taskCfg.horizon(), ROLLOUT_EXAMPLES, rollMse);
                continuationPlot(out.resolve("continuation.png"), roll, cont);
            }

            Map<String, Object> results = new LinkedHashMap<>();
            results.put("trainLoss", trainLoss);
            results.put("valLoss", last.metric());
            results.put("bestValLoss", best);
            results.put("initialValLoss", initialMetric);
            results.putAll(metrics);
            Path saved = saveCheckpoint(step, trainCfg.epochs(), model, opt, results);
            double secs = (System.nanoTime() - t0) / 1e9;
            log.printf(Locale.ROOT, "done: train %.5f  val %.5f (best %.5f, untrained %.5f), %d steps, %.1f s%n  run folder %s (metrics.csv, tb/, loss.png, "
                    + "predictions.png%s), checkpoint %s%n", trainLoss, last.metric(), best, initialMetric, step, secs, out,
                    task.kind() == SyntheticTask.Kind.AUTOREGRESSIVE ? ", continuation.png" : "", saved.getFileName());
            return new Result(model.numParameters(), trainLoss, last.metric(), best, initialMetric, step, secs, metrics, out, saved);
        }
    }

    /**
     * Moves the freshly built model's dropout generators to the checkpoint's state; a checkpoint without that state
     * (saved before it was recorded) resumes with the initial generators, with a warning when dropout is on.
     */
    private void restoreDropoutStreams(Checkpoint ck, TaskModel model) {
        DropoutStreams streams = DropoutStreams.of(model);
        if (ck.extra().containsKey(DropoutStreams.KEY)) {
            streams.restore(ck);
        } else if (modelCfg.dropout() > 0) {
            log.printf(Locale.ROOT, "warning: checkpoint %s holds no dropout generator state (saved by an older version): dropout masks restart "
                    + "from the run's initial stream, so this run will not equal a straight run%n", ck.path());
        }
    }

    /**
     * Saves the end-of-epoch checkpoint (the newest only is kept): model, optimizer, configurations, epoch, results and
     * the dropout generators' state.
     */
    private Path saveCheckpoint(long step, int epoch, TaskModel model, Optimizer opt, Map<String, Object> results) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("recipe", "regression");
        extra.put("task", taskCfg.toMap());
        extra.put("model", modelCfg.toMap());
        extra.put("train", trainCfg.toMap());
        extra.put("epoch", epoch);
        extra.put("results", new LinkedHashMap<>(results));
        extra.put(DropoutStreams.KEY, DropoutStreams.of(model).save());
        return new Checkpoints(out, 1).save(step, model.stateDict(), opt.stateDict(), extra);
    }

    /** The loss curves of the run so far, up to {@code upTo}, read back from its {@code metrics.csv} (for the plots of a resumed run). */
    private void history(long upTo, List<double[]> stepLoss, List<double[]> epochLoss) {
        Path csv = out.resolve("metrics.csv");
        if (!Files.exists(csv)) return;
        Map<Long, double[]> epochs = new java.util.TreeMap<>();
        try (var lines = Files.lines(csv)) {
            lines.skip(1).forEach(line -> {
                String[] f = line.split(",");
                if (f.length != 3) return;
                long st = Long.parseLong(f[0]);
                if (st > upTo) return;
                double v = Double.parseDouble(f[2]);
                switch (f[1]) {
                    case "train/loss" -> stepLoss.add(new double[] {st, v});
                    case "epoch/train_loss" -> epochs.computeIfAbsent(st, k -> new double[] {k, Double.NaN, Double.NaN})[1] = v;
                    case "val/loss" -> epochs.computeIfAbsent(st, k -> new double[] {k, Double.NaN, Double.NaN})[2] = v;
                    default -> { }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("--resume: cannot read " + csv + ": " + e.getMessage(), e);
        }
        epochLoss.addAll(epochs.values());
    }

    /** Whether the training objective is defined differently from the validation metric (so both are worth printing). */
    private boolean objectiveDiffers() {
        return modelCfg.type() == ModelType.TRANSFORMER && modelCfg.kind() != SyntheticTask.Kind.REGRESSION;
    }

    /** Validation predictions (flattened like the targets), the metric and the objective. */
    private record Eval(double[] predictions, double metric, double objective) {}

    private static Eval evaluate(TaskModel model, TaskData val, Device device) {
        model.eval();
        int n = val.size();
        List<Tensor> preds = new ArrayList<>();
        double objective = 0;
        try (var g = Grad.disabled()) {
            for (int s = 0; s < n; s += EVAL_BATCH) {
                int len = Math.min(EVAL_BATCH, n - s);
                Tensor x = val.inputs().narrow(0, s, len).contiguous().to(device), y = val.targets().narrow(0, s, len).contiguous().to(device);
                preds.add(model.predict(x).to(Device.cpu()));
                objective += model.loss(x, y).value().item() * len;
            }
        }
        double[] p = Tensor.concat(0, preds.toArray(Tensor[]::new)).toDoubleArray();
        return new Eval(p, mse(p, val.targets().toDoubleArray()), objective / n);
    }

    private static double mse(double[] p, double[] y) {
        if (p.length != y.length) throw new IllegalStateException("mse: " + p.length + " predictions for " + y.length + " targets");
        double s = 0;
        for (int i = 0; i < p.length; i++) s += (p[i] - y[i]) * (p[i] - y[i]);
        return s / p.length;
    }

    /** MSE on the validation set of a constant prediction: the mean training target. */
    private static double meanBaseline(TaskData train, TaskData val) {
        double[] t = train.targets().toDoubleArray();
        double m = 0;
        for (double v : t) m += v;
        m /= t.length;
        double[] y = val.targets().toDoubleArray();
        double s = 0;
        for (double v : y) s += (v - m) * (v - m);
        return s / y.length;
    }

    private Map<String, Plots.Series> lossSeries(List<double[]> stepLoss, List<double[]> epochLoss) {
        Map<String, Plots.Series> s = new LinkedHashMap<>();
        s.put("train (step)", new Plots.Series(column(stepLoss, 0), column(stepLoss, 1)));
        s.put("train (epoch mean)", new Plots.Series(column(epochLoss, 0), column(epochLoss, 1)));
        s.put("validation", new Plots.Series(column(epochLoss, 0), column(epochLoss, 2)));
        return s;
    }

    private static double[] column(List<double[]> rows, int c) {
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) v[i] = rows.get(i)[c];
        return v;
    }

    private void scatter(Path file, Eval e, TaskData val) {
        double[] y = val.targets().toDoubleArray(), p = e.predictions();
        int n = Math.min(SCATTER_POINTS, y.length);
        double[] ys = new double[n], ps = new double[n];
        for (int i = 0; i < n; i++) {
            int j = (int) ((long) i * y.length / n);   // evenly spaced over the set
            ys[i] = y[j];
            ps[i] = p[j];
        }
        String what = switch (taskCfg.task().kind()) {
            case REGRESSION -> "";
            case AUTOREGRESSIVE -> ", next value";
            case SEQ2SEQ -> ", every position";
        };
        Plots.scatter(file, String.format(Locale.ROOT, "Validation predictions (%s%s), MSE %.4g", taskCfg.task().cliName(), what, e.metric()), "target",
                "prediction", ys, ps, true);
    }

    private void continuationPlot(Path file, TaskData roll, Tensor cont) {
        int t = taskCfg.seqLen(), h = taskCfg.horizon();
        double[] x = roll.inputs().toDoubleArray(), y = roll.targets().toDoubleArray(), p = cont.toDoubleArray();
        Map<String, Plots.Series> s = new LinkedHashMap<>();
        for (int ex = 0; ex < Math.min(2, roll.size()); ex++) {
            double[] tx = new double[t], tv = new double[t], fx = new double[h + 1], fy = new double[h + 1], fp = new double[h + 1];
            for (int i = 0; i < t; i++) {
                tx[i] = i;
                tv[i] = x[ex * t + i];
            }
            fx[0] = t - 1;
            fy[0] = fp[0] = tv[t - 1];
            for (int i = 0; i < h; i++) {
                fx[i + 1] = t + i;
                fy[i + 1] = y[ex * h + i];
                fp[i + 1] = p[ex * h + i];
            }
            s.put("context " + ex, new Plots.Series(tx, tv));
            s.put("true " + ex, new Plots.Series(fx, fy));
            s.put("predicted " + ex, new Plots.Series(fx, fp));
        }
        Plots.lines(file, "Continuation (" + taskCfg.task().cliName() + "): " + h + " values fed back", "t", "x", s, false);
    }

    private String describeTask() {
        String s = String.format(Locale.ROOT, "task %s (%s), T %d, %d train / %d val examples", taskCfg.task().cliName(),
                taskCfg.task().kind().name().toLowerCase(Locale.ROOT).replace("seq2seq", "sequence to sequence"), taskCfg.seqLen(), taskCfg.trainSize(),
                taskCfg.valSize());
        if (taskCfg.task().hasNoise()) s += String.format(Locale.ROOT, ", noise %.3g, roll-out horizon %d", taskCfg.noise(), taskCfg.horizon());
        return s;
    }

    private String describeModel() {
        ModelConfig c = modelCfg;
        return switch (c.type()) {
            case LINEAR -> "linear";
            case MLP -> "mlp " + c.latentDims() + " " + c.activation().name().toLowerCase(Locale.ROOT)
                    + (c.dropout() > 0 ? ", dropout " + c.dropout() : "");
            case TRANSFORMER -> {
                String shape = switch (c.kind()) {
                    case REGRESSION -> "encoder + mean pooling";
                    case AUTOREGRESSIVE -> "causal decoder";
                    case SEQ2SEQ -> "encoder-decoder";
                };
                String ffn = c.moe() == null ? "FFN " + c.ffnHidden() + " " + c.activation().name().toLowerCase(Locale.ROOT)
                        : String.format(Locale.ROOT, "sparse MoE FFN (%d experts x %d, top-%d, capacity factor %.3g, alpha %.3g%s%s)", c.moe().experts(),
                                c.ffnHidden(), c.moe().topK(), c.moe().capacityFactor(), c.moe().alpha(),
                                c.moe().zLossCoef() > 0 ? String.format(Locale.ROOT, ", z-loss %.3g", c.moe().zLossCoef()) : "",
                                c.moe().biasGamma() > 0 ? String.format(Locale.ROOT, ", aux-free bias rate %.3g", c.moe().biasGamma()) : "");
                yield String.format(Locale.ROOT, "transformer %s, d %d, %d layers, %s %d heads / %d kv heads, %s, head %s%s", shape, c.dModel(), c.layers(),
                        c.attention(), c.heads(), c.kvHeads(), ffn, c.latentDims().isEmpty() ? "linear" : c.latentDims().toString(),
                        c.dropout() > 0 ? ", dropout " + c.dropout() : "");
            }
        };
    }

    /** Per-layer MoE statistics accumulated over one epoch. */
    private static final class MoeTotals {
        private final Map<String, double[]> sums = new LinkedHashMap<>();   // maxViolation, dropped, realized cf
        private final Map<String, long[]> loads = new LinkedHashMap<>();
        private int steps;

        MoeTotals(Map<String, SparseMoE> moe) {
            for (var e : moe.entrySet()) {
                sums.put(e.getKey(), new double[3]);
                loads.put(e.getKey(), new long[e.getValue().options().experts()]);
            }
        }

        void add(Map<String, SparseMoE> moe) {
            if (moe.isEmpty()) return;
            steps++;
            for (var e : moe.entrySet()) {
                MoeStats s = e.getValue().lastStats();
                double[] a = sums.get(e.getKey());
                a[0] += s.maxViolation();
                a[1] += s.droppedFraction();
                a[2] += s.realizedCapacityFactor();
                long[] l = loads.get(e.getKey());
                for (int i = 0; i < l.length; i++) l[i] += s.load()[i];
            }
        }

        /** Epoch means per layer to the sink ({@code moe_epoch/<layer>/...}). */
        void report(MetricsSink sink, long step) {
            if (steps == 0) return;
            for (var e : sums.entrySet()) {
                double[] a = e.getValue();
                sink.scalar("moe_epoch/" + e.getKey() + "/max_violation", step, a[0] / steps);
                sink.scalar("moe_epoch/" + e.getKey() + "/dropped_fraction", step, a[1] / steps);
                sink.scalar("moe_epoch/" + e.getKey() + "/realized_capacity_factor", step, a[2] / steps);
            }
        }

        /** The epoch means over all layers, for the epoch line (empty without MoE). */
        String summary() {
            if (steps == 0) return "";
            Map<String, Double> m = means();
            return String.format(Locale.ROOT, "  moe: max violation %.3f, dropped %.2f%%, realized cf %.3f", m.get("moe/max_violation"),
                    100 * m.get("moe/dropped_fraction"), m.get("moe/realized_capacity_factor"));
        }

        /** Means over layers and steps of the last epoch. */
        Map<String, Double> means() {
            double[] t = new double[3];
            for (double[] a : sums.values()) for (int i = 0; i < 3; i++) t[i] += a[i] / steps / sums.size();
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("moe/max_violation", t[0]);
            m.put("moe/dropped_fraction", t[1]);
            m.put("moe/realized_capacity_factor", t[2]);
            return m;
        }

        /**
         * Per-layer table of the last epoch: load share per expert, max violation, dropped fraction, realized cf,
         * and the final auxiliary-loss-free bias of layers that have one.
         */
        String table(Map<String, SparseMoE> moe) {
            StringBuilder b = new StringBuilder("MoE layers, last epoch (load share per expert; means over its steps):\n");
            for (var e : sums.entrySet()) {
                long[] l = loads.get(e.getKey());
                long tot = 0;
                for (long v : l) tot += v;
                StringBuilder shares = new StringBuilder();
                for (long v : l) shares.append(String.format(Locale.ROOT, " %.3f", tot == 0 ? 0.0 : (double) v / tot));
                double[] a = e.getValue();
                b.append(String.format(Locale.ROOT, "  %-28s load%s | max violation %.3f, dropped %.2f%%, realized cf %.3f%n", e.getKey(), shares,
                        a[0] / steps, 100 * a[1] / steps, a[2] / steps));
                SparseMoE layer = moe.get(e.getKey());
                if (layer != null && layer.balancer() != null) {
                    StringBuilder bias = new StringBuilder();
                    for (double v : layer.balancer().bias()) bias.append(String.format(Locale.ROOT, " %+.4f", v));
                    b.append(String.format(Locale.ROOT, "  %-28s aux-free bias%s%n", "", bias));
                }
            }
            return b.toString();
        }
    }
}
