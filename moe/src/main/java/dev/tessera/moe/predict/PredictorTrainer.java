package dev.tessera.moe.predict;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.moe.trace.TraceInfo;
import dev.tessera.moe.trace.TraceReader;
import dev.tessera.moe.trace.TraceShard;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.train.MetricsSink;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Trains an {@link ExpertPredictor} on a routing trace: the inputs of one recorded layer (the
 * source) against the router choices of the same or a later layer (the target; rows are paired by
 * index, so a later layer's experts can be predicted ahead of time).
 *
 * <p>Rows are split once into training and validation by a seeded hash of the row index (the
 * fraction {@code valFraction} goes to validation). Training streams the trace: each epoch visits
 * the shards in a fresh random order and the training rows of each shard in a random order, so
 * memory holds one shard of each layer. Optimiser: AdamW at a constant learning rate. The model is
 * evaluated on the validation rows before training and {@code evalsPerEpoch} times per epoch; the
 * curve, the final {@link RoutingMetrics} and those of the frequency predictor (the experts ranked
 * by how often the router chose them in the training rows) are returned.
 *
 * <pre>{@code
 * var trainer = new PredictorTrainer(PredictorTrainer.Options.DEFAULT.withEpochs(5), sink, System.out);
 * PredictorTrainer.Result r = trainer.fit(TraceReader.open(dir), 0, 0);
 * r.predictor().topAccuracy()[0];           // top-1 accuracy on the validation rows
 * }</pre>
 */
public final class PredictorTrainer {

    /** The target distribution of the multi-label cross-entropy. */
    public enum Target {
        /** {@code 1/k} on each chosen expert. */
        UNIFORM,
        /** The router's gate weights on the chosen experts. */
        GATES
    }

    /**
     * Hyper-parameters.
     *
     * @param hidden        predictor hidden width
     * @param dropout       predictor dropout
     * @param lr            AdamW learning rate
     * @param weightDecay   AdamW decoupled weight decay
     * @param batch         rows per step
     * @param epochs        passes over the training rows
     * @param valFraction   fraction of rows held out for validation, in (0, 1)
     * @param seed          seed of the split, the initialisation, dropout and the data order
     * @param target        target distribution
     * @param evalsPerEpoch validation passes per epoch (curve points)
     * @param evalBatch     rows per validation forward
     * @param top           the m of the top-m accuracies
     * @param coverage      the N of coverage@N
     */
    public record Options(int hidden, double dropout, double lr, double weightDecay, int batch, int epochs, double valFraction, long seed,
                          Target target, int evalsPerEpoch, int evalBatch, List<Integer> top, List<Integer> coverage) {
        /** Hidden 256, dropout 0.1, AdamW lr 5e-5 and weight decay 0.01, batch 8, 10 epochs, 10 % validation, seed 0. */
        public static final Options DEFAULT = new Options(256, 0.1, 5e-5, 0.01, 8, 10, 0.1, 0, Target.UNIFORM, 8, 1024, RoutingMetrics.TOP,
                RoutingMetrics.COVERAGE);

        /** Validates the ranges. */
        public Options {
            Objects.requireNonNull(target, "PredictorTrainer: target is null");
            if (hidden <= 0 || batch <= 0 || epochs < 0 || evalsPerEpoch <= 0 || evalBatch <= 0) {
                throw new IllegalArgumentException("PredictorTrainer: hidden, batch, evalsPerEpoch and evalBatch must be positive and epochs >= 0, got hidden "
                        + hidden + ", batch " + batch + ", epochs " + epochs + ", evalsPerEpoch " + evalsPerEpoch + ", evalBatch " + evalBatch);
            }
            if (!(lr > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("PredictorTrainer: need lr > 0 and weightDecay >= 0, got lr " + lr + ", weightDecay " + weightDecay);
            }
            if (!(valFraction > 0 && valFraction < 1)) {
                throw new IllegalArgumentException("PredictorTrainer: valFraction must be in (0, 1), got " + valFraction);
            }
            top = List.copyOf(top);
            coverage = List.copyOf(coverage);
            if (top.isEmpty() || coverage.isEmpty()) throw new IllegalArgumentException("PredictorTrainer: top and coverage sizes must not be empty");
        }

        /** With {@code n} epochs. */
        public Options withEpochs(int n) {
            return new Options(hidden, dropout, lr, weightDecay, batch, n, valFraction, seed, target, evalsPerEpoch, evalBatch, top, coverage);
        }

        /** With learning rate {@code v}. */
        public Options withLr(double v) {
            return new Options(hidden, dropout, v, weightDecay, batch, epochs, valFraction, seed, target, evalsPerEpoch, evalBatch, top, coverage);
        }

        /** With batch size {@code n}. */
        public Options withBatch(int n) {
            return new Options(hidden, dropout, lr, weightDecay, n, epochs, valFraction, seed, target, evalsPerEpoch, evalBatch, top, coverage);
        }

        /** With target distribution {@code t}. */
        public Options withTarget(Target t) {
            return new Options(hidden, dropout, lr, weightDecay, batch, epochs, valFraction, seed, t, evalsPerEpoch, evalBatch, top, coverage);
        }

        /** With seed {@code s}. */
        public Options withSeed(long s) {
            return new Options(hidden, dropout, lr, weightDecay, batch, epochs, valFraction, s, target, evalsPerEpoch, evalBatch, top, coverage);
        }
    }

    /**
     * One point of the training curve.
     *
     * @param step        optimizer steps done
     * @param epoch       epochs done (fractional)
     * @param trainLoss   mean training loss since the previous point (NaN at step 0)
     * @param valLoss     validation loss
     * @param valTop1     validation accuracy of the first requested top-m
     * @param valCoverage validation coverage of the first requested N
     */
    public record Point(long step, double epoch, double trainLoss, double valLoss, double valTop1, double valCoverage) {
    }

    /**
     * The outcome for one (source, target) pair.
     *
     * @param sourceLayer the layer whose inputs the predictor reads
     * @param targetLayer the layer whose choices it predicts
     * @param model       the trained predictor (eval mode)
     * @param curve       validation curve, the first point before training
     * @param predictor   final validation metrics of the predictor
     * @param frequency   validation metrics of the frequency predictor
     * @param trainRows   training rows
     * @param valRows     validation rows
     * @param steps       optimizer steps
     * @param seconds     wall time of the fit
     */
    public record Result(int sourceLayer, int targetLayer, ExpertPredictor model, List<Point> curve, RoutingMetrics.Result predictor,
                         RoutingMetrics.Result frequency, long trainRows, long valRows, long steps, double seconds) {
    }

    private final Options opt;
    private final MetricsSink sink;
    private final PrintStream log;

    /** A trainer reporting curve points to {@code sink} and progress lines to {@code log} (both nullable). */
    public PredictorTrainer(Options options, MetricsSink sink, PrintStream log) {
        this.opt = Objects.requireNonNull(options, "PredictorTrainer: options is null");
        this.sink = sink;
        this.log = log;
    }

    /** The options. */
    public Options options() {
        return opt;
    }

    /** Whether layer row {@code row} belongs to the validation split (a SplitMix64 hash of seed and row). */
    public static boolean isValidation(long seed, long row, double fraction) {
        long z = seed * 0x9E3779B97F4A7C15L + row + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53 < fraction;
    }

    /** Trains a predictor of layer {@code targetLayer}'s choices from layer {@code sourceLayer}'s inputs. */
    public Result fit(TraceReader traces, int sourceLayer, int targetLayer) {
        long t0 = System.nanoTime();
        TraceInfo.LayerInfo src = traces.layer(sourceLayer), dst = traces.layer(targetLayer);
        checkPaired(src, dst);
        int d = src.dModel(), e = dst.experts(), k = dst.topK();
        int shards = dst.shards().size();
        String tag = "layer" + targetLayer + (sourceLayer == targetLayer ? "" : "_from" + sourceLayer);

        // one pass over the target's choices: split sizes and training-row expert frequencies
        long trainRows = 0, valRows = 0;
        long stepsPerEpoch = 0;
        long[] counts = new long[e];
        for (TraceShard s : traces.shards(targetLayer)) {
            int nt = 0;
            for (int r = 0; r < s.rows(); r++) {
                if (isValidation(opt.seed(), s.firstRow() + r, opt.valFraction())) {
                    valRows++;
                } else {
                    nt++;
                    for (int j = 0; j < k; j++) counts[s.experts()[r * k + j]]++;
                }
            }
            trainRows += nt;
            stepsPerEpoch += (nt + opt.batch() - 1) / opt.batch();
        }
        if (trainRows == 0 || valRows == 0) {
            throw new IllegalArgumentException("PredictorTrainer: layer " + targetLayer + " has " + trainRows + " training and " + valRows
                    + " validation rows; record more tokens or change valFraction (" + opt.valFraction() + ")");
        }
        float[] freq = new float[e];
        for (int i = 0; i < e; i++) freq[i] = counts[i];

        Rng rng = new Rng(opt.seed());
        ExpertPredictor model = new ExpertPredictor(new ExpertPredictor.Config(d, opt.hidden(), e, opt.dropout()), rng.split(1));
        AdamW adam = new AdamW(model.parameters(), opt.lr(), opt.weightDecay());
        long evalEvery = Math.max(1, stepsPerEpoch / opt.evalsPerEpoch());
        if (log != null) {
            log.printf("[%s] predictor %d -> %d -> %d, %,d training / %,d validation rows, %d epochs x %,d steps (batch %d, AdamW lr %.2g, wd %.2g)%n",
                    tag, d, opt.hidden(), e, trainRows, valRows, opt.epochs(), stepsPerEpoch, opt.batch(), opt.lr(), opt.weightDecay());
        }

        List<Point> curve = new ArrayList<>();
        Eval first = evaluate(traces, sourceLayer, targetLayer, model, freq, false);
        curve.add(point(tag, 0, 0, Double.NaN, first));
        long step = 0;
        double lossSum = 0;
        long lossCount = 0;
        float[] bx = new float[opt.batch() * d];
        float[] bw = new float[opt.batch() * k];
        int[] be = new int[opt.batch() * k];
        model.train();
        for (int epoch = 0; epoch < opt.epochs(); epoch++) {
            Rng order = rng.split(1000L + epoch);
            int[] shardOrder = order.permutation(shards);
            for (int si : shardOrder) {
                TraceShard xs = traces.readShard(sourceLayer, si);
                TraceShard ys = sourceLayer == targetLayer ? xs : traces.readShard(targetLayer, si);
                int[] rows = trainingRows(ys);
                order.shuffle(rows);
                for (int off = 0; off < rows.length; off += opt.batch()) {
                    int b = Math.min(opt.batch(), rows.length - off);
                    for (int i = 0; i < b; i++) {
                        int r = rows[off + i];
                        System.arraycopy(xs.x(), r * d, bx, i * d, d);
                        System.arraycopy(ys.experts(), r * k, be, i * k, k);
                        targetWeights(ys, r, bw, i * k);
                    }
                    float[] x = b == opt.batch() ? bx : java.util.Arrays.copyOf(bx, b * d);
                    int[] ex = b == opt.batch() ? be : java.util.Arrays.copyOf(be, b * k);
                    float[] w = b == opt.batch() ? bw : java.util.Arrays.copyOf(bw, b * k);
                    Variable logits = model.forward(Variable.constant(Tensor.of(x, b, d)));
                    Variable loss = ExpertPredictor.multiLabelCrossEntropy(logits, ex, w, k);
                    adam.zeroGrad();
                    loss.backward();
                    adam.step();
                    lossSum += loss.value().item();
                    lossCount++;
                    step++;
                    if (step % evalEvery == 0) {
                        Eval ev = evaluate(traces, sourceLayer, targetLayer, model, freq, false);
                        curve.add(point(tag, step, (double) step / stepsPerEpoch, lossSum / lossCount, ev));
                        lossSum = 0;
                        lossCount = 0;
                        model.train();
                    }
                }
            }
        }
        Eval last = evaluate(traces, sourceLayer, targetLayer, model, freq, true);
        if (curve.get(curve.size() - 1).step() != step) {
            curve.add(point(tag, step, (double) step / stepsPerEpoch, lossCount == 0 ? Double.NaN : lossSum / lossCount, last));
        }
        model.eval();
        return new Result(sourceLayer, targetLayer, model, List.copyOf(curve), last.metrics, last.frequency, trainRows, valRows, step,
                (System.nanoTime() - t0) / 1e9);
    }

    private static void checkPaired(TraceInfo.LayerInfo src, TraceInfo.LayerInfo dst) {
        if (src.index() == dst.index()) return;
        boolean same = src.shards().size() == dst.shards().size();
        for (int i = 0; same && i < src.shards().size(); i++) {
            var a = src.shards().get(i);
            var b = dst.shards().get(i);
            same = a.firstRow() == b.firstRow() && a.rows() == b.rows();
        }
        if (!same) {
            throw new IllegalArgumentException("PredictorTrainer: layers " + src.index() + " ('" + src.name() + "', " + src.tokens() + " rows) and "
                    + dst.index() + " ('" + dst.name() + "', " + dst.tokens() + " rows) do not have the same shard rows; "
                    + "pairing a source layer with another target layer needs layers that saw the same tokens");
        }
    }

    private int[] trainingRows(TraceShard s) {
        int[] tmp = new int[s.rows()];
        int n = 0;
        for (int r = 0; r < s.rows(); r++) if (!isValidation(opt.seed(), s.firstRow() + r, opt.valFraction())) tmp[n++] = r;
        return java.util.Arrays.copyOf(tmp, n);
    }

    private void targetWeights(TraceShard s, int r, float[] out, int off) {
        int k = s.topK();
        if (opt.target() == Target.UNIFORM) {
            for (int j = 0; j < k; j++) out[off + j] = 1f / k;
            return;
        }
        double sum = 0;
        for (int j = 0; j < k; j++) sum += s.gates()[r * k + j];
        for (int j = 0; j < k; j++) out[off + j] = sum > 0 ? (float) (s.gates()[r * k + j] / sum) : 1f / k;
    }

    private record Eval(double loss, RoutingMetrics.Result metrics, RoutingMetrics.Result frequency) {
    }

    /** Validation loss and metrics of {@code model} (and, when asked, of the frequency predictor). */
    private Eval evaluate(TraceReader traces, int sourceLayer, int targetLayer, ExpertPredictor model, float[] freq, boolean withFrequency) {
        TraceInfo.LayerInfo dst = traces.layer(targetLayer);
        int d = traces.layer(sourceLayer).dModel(), e = dst.experts(), k = dst.topK();
        RoutingMetrics m = new RoutingMetrics(e, k, opt.top(), opt.coverage());
        RoutingMetrics f = new RoutingMetrics(e, k, opt.top(), opt.coverage());
        double lossSum = 0;
        long n = 0;
        model.eval();
        try (var g = Grad.disabled()) {
            for (int si = 0; si < dst.shards().size(); si++) {
                TraceShard xs = traces.readShard(sourceLayer, si);
                TraceShard ys = sourceLayer == targetLayer ? xs : traces.readShard(targetLayer, si);
                int[] rows = new int[ys.rows()];
                int nv = 0;
                for (int r = 0; r < ys.rows(); r++) if (isValidation(opt.seed(), ys.firstRow() + r, opt.valFraction())) rows[nv++] = r;
                for (int off = 0; off < nv; off += opt.evalBatch()) {
                    int b = Math.min(opt.evalBatch(), nv - off);
                    float[] x = new float[b * d];
                    int[] ex = new int[b * k];
                    float[] w = new float[b * k];
                    for (int i = 0; i < b; i++) {
                        int r = rows[off + i];
                        System.arraycopy(xs.x(), r * d, x, i * d, d);
                        System.arraycopy(ys.experts(), r * k, ex, i * k, k);
                        targetWeights(ys, r, w, i * k);
                    }
                    Variable logits = model.forward(Variable.constant(Tensor.of(x, b, d)));
                    lossSum += ExpertPredictor.multiLabelCrossEntropy(logits, ex, w, k).value().item() * b;
                    n += b;
                    m.add(logits.value().toFloatArray(), ex, b);
                    if (withFrequency) f.addFixed(freq, ex, b);
                }
            }
        }
        return new Eval(lossSum / n, m.result(), withFrequency ? f.result() : null);
    }

    private Point point(String tag, long step, double epoch, double trainLoss, Eval ev) {
        Point p = new Point(step, epoch, trainLoss, ev.loss(), ev.metrics().topAccuracy()[0], ev.metrics().coverageRate()[0]);
        if (sink != null) {
            if (!Double.isNaN(trainLoss)) sink.scalar(tag + "/train_loss", step, trainLoss);
            sink.scalar(tag + "/val_loss", step, p.valLoss());
            sink.scalar(tag + "/val_top" + opt.top().get(0), step, p.valTop1());
            sink.scalar(tag + "/val_coverage@" + opt.coverage().get(0), step, p.valCoverage());
        }
        if (log != null) {
            log.printf("[%s] epoch %.2f step %,d train loss %s val loss %.4f top-%d %.3f coverage@%d %.3f%n", tag, p.epoch(), step,
                    Double.isNaN(trainLoss) ? "-" : String.format("%.4f", trainLoss), p.valLoss(), opt.top().get(0), p.valTop1(),
                    opt.coverage().get(0), p.valCoverage());
        }
        return p;
    }
}
