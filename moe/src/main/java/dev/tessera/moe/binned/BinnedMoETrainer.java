package dev.tessera.moe.binned;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.loss.Reduction;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.schedule.WarmupCosine;
import dev.tessera.nn.train.MetricsSink;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * Trains a {@link BinnedMoE}: first the gate classifier, then each expert on its own bin.
 *
 * <ul>
 *   <li><b>Gate</b>: cross-entropy against the true bin of each row, AdamW with warm-up and cosine
 *       decay. With {@code classBalancedLoss} a row of bin {@code c} is weighted
 *       {@code n / (B * n_c)}, so every bin counts equally. With {@code balancedSampling} each batch
 *       instead holds equally many rows of every bin (drawn with replacement) and the class weights
 *       are not applied (they would balance twice). {@code entropyCoef * mean H(softmax(logits))} is
 *       added to the loss: a negative coefficient rewards spread-out gates (softer mixing near bin
 *       edges), a positive one decisive gates.</li>
 *   <li><b>Experts</b>: expert {@code b} sees only the rows of bin {@code b} and fits their
 *       standardized target {@code (y - mean_b) / std_b} by squared error. With
 *       {@code balancedSampling} every expert takes as many steps per epoch as the largest bin
 *       needs, so small bins are not under-trained.</li>
 * </ul>
 * Losses are reported per epoch to the optional {@link MetricsSink} ({@code gate/loss},
 * {@code gate/val_accuracy}, {@code expert<b>/mse}, {@code expert<b>/val_mse}, {@code mixture/loss},
 * {@code mixture/val_rmse}; expert losses in squared score units) and returned in a {@link History}.
 */
public final class BinnedMoETrainer {
    /** Fine-tuning runs at this fraction of the peak learning rate: the parts are trained already. */
    static final double FINE_TUNE_LR = 0.3;

    private BinnedMoETrainer() {}

    /**
     * Training options.
     *
     * @param epochs            passes over the training rows (per part)
     * @param batchSize         rows per step
     * @param lr                peak AdamW learning rate
     * @param weightDecay       AdamW decoupled weight decay
     * @param entropyCoef       weight of the gate entropy term (0 disables it)
     * @param classBalancedLoss weight the gate loss by inverse bin frequency
     * @param balancedSampling  equal rows per bin in gate batches, equal steps per expert
     * @param fineTuneEpochs    epochs of joint fine-tuning of the whole mixture afterwards (0: none)
     * @param fineTuneGateCe    weight of the gate's cross-entropy kept during fine-tuning (0: pure mixture error)
     * @param seed              seed of the batch order and sampling
     */
    public record Options(int epochs, int batchSize, double lr, double weightDecay, double entropyCoef, boolean classBalancedLoss,
                          boolean balancedSampling, int fineTuneEpochs, double fineTuneGateCe, long seed) {
        /** Validates the ranges. */
        public Options {
            if (epochs < 1 || batchSize < 1) throw new IllegalArgumentException("BinnedMoETrainer: epochs and batchSize must be >= 1, got "
                    + epochs + ", " + batchSize);
            if (!(lr > 0) || !(weightDecay >= 0)) throw new IllegalArgumentException("BinnedMoETrainer: need lr > 0 and weightDecay >= 0, got "
                    + lr + ", " + weightDecay);
            if (!Double.isFinite(entropyCoef)) throw new IllegalArgumentException("BinnedMoETrainer: entropyCoef must be finite, got " + entropyCoef);
            if (fineTuneEpochs < 0 || !(fineTuneGateCe >= 0)) {
                throw new IllegalArgumentException("BinnedMoETrainer: need fineTuneEpochs >= 0 and fineTuneGateCe >= 0, got " + fineTuneEpochs
                        + ", " + fineTuneGateCe);
            }
        }

        /** 40 epochs, batch 128, lr 2e-3, weight decay 1e-4, no entropy term, class-balanced loss, no fine-tuning, seed 7. */
        public static Options defaults() {
            return new Options(40, 128, 2e-3, 1e-4, 0.0, true, false, 0, 0.3, 7);
        }

        /** These options with another number of epochs. */
        public Options withEpochs(int e) {
            return new Options(e, batchSize, lr, weightDecay, entropyCoef, classBalancedLoss, balancedSampling, fineTuneEpochs, fineTuneGateCe, seed);
        }

        /** These options with {@code e} epochs of joint fine-tuning. */
        public Options withFineTune(int e) {
            return new Options(epochs, batchSize, lr, weightDecay, entropyCoef, classBalancedLoss, balancedSampling, e, fineTuneGateCe, seed);
        }
    }

    /**
     * Per-epoch losses.
     *
     * @param gateLoss      mean gate training loss per epoch (cross-entropy plus entropy term)
     * @param gateValAcc    gate accuracy on the validation rows per epoch (empty without validation rows)
     * @param expertMse     {@code expertMse[b][epoch]}: expert {@code b}'s mean training squared error in score units
     * @param expertValMse  {@code expertValMse[b][epoch]}: on the validation rows of bin {@code b} (NaN when there are none)
     * @param fineTuneLoss  joint fine-tuning loss per epoch (empty without fine-tuning)
     * @param fineTuneValRmse validation RMSE of the clipped mixture per fine-tuning epoch (empty without validation rows or fine-tuning)
     * @param binCounts     training rows per bin
     * @param classWeights  the gate's class weights (all 1 when not class-balanced)
     */
    public record History(double[] gateLoss, double[] gateValAcc, double[][] expertMse, double[][] expertValMse, double[] fineTuneLoss,
                          double[] fineTuneValRmse, int[] binCounts, double[] classWeights) {}

    /**
     * Trains {@code model} on {@code x [n, inputs]} (F32) and scores {@code y}; {@code xVal}/{@code yVal}
     * (both or neither) are only evaluated. {@code sink} and {@code log} may be null.
     *
     * @throws IllegalArgumentException when a bin has fewer than 2 training rows (name the thresholds to change)
     */
    public static History fit(BinnedMoE model, Tensor x, double[] y, Tensor xVal, double[] yVal, Options opt, MetricsSink sink,
                              PrintStream log) {
        ScoreBins bins = model.config().bins();
        int n = y.length, nb = bins.count();
        if (x.rank() != 2 || x.dim(0) != n) {
            throw new IllegalArgumentException("BinnedMoETrainer.fit: x must be [" + n + ", features] to match y, got " + Shape.str(x.shape()));
        }
        if ((xVal == null) != (yVal == null) || (xVal != null && (xVal.rank() != 2 || xVal.dim(0) != yVal.length))) {
            throw new IllegalArgumentException("BinnedMoETrainer.fit: xVal and yVal must both be given with matching rows, got "
                    + (xVal == null ? "null" : Shape.str(xVal.shape())) + " and " + (yVal == null ? "null" : yVal.length + " scores"));
        }
        for (int i = 0; i < n; i++) if (!Double.isFinite(y[i])) throw new IllegalArgumentException("BinnedMoETrainer.fit: y[" + i + "] is " + y[i]);
        int[] label = bins.bins(y);
        int[][] rows = rowsPerBin(label, nb);
        int[] counts = new int[nb];
        for (int b = 0; b < nb; b++) counts[b] = rows[b].length;
        for (int b = 0; b < nb; b++) {
            if (counts[b] < 2) {
                throw new IllegalArgumentException("BinnedMoETrainer.fit: bin " + bins.label(b) + " has " + counts[b]
                        + " training rows (need >= 2); rows per bin " + Arrays.toString(counts) + " for thresholds "
                        + Arrays.toString(bins.thresholds()));
            }
        }
        double[] center = new double[nb], scale = new double[nb];
        for (int b = 0; b < nb; b++) {
            double s = 0, s2 = 0;
            for (int i : rows[b]) s += y[i];
            center[b] = s / counts[b];
            for (int i : rows[b]) s2 += (y[i] - center[b]) * (y[i] - center[b]);
            // a floor keeps a nearly constant bin from blowing up its standardized targets
            scale[b] = Math.max(Math.sqrt(s2 / counts[b]), 0.02 * (bins.upper(b) - bins.lower(b)));
        }
        model.setTargetStats(center, scale);
        double[] classWeights = new double[nb];
        for (int b = 0; b < nb; b++) classWeights[b] = opt.classBalancedLoss() && !opt.balancedSampling() ? (double) n / (nb * counts[b]) : 1.0;
        if (log != null) {
            log.printf("binned MoE: bins %s, rows %s, class weights %s%n", bins, Arrays.toString(counts), fmt(classWeights));
        }

        Rng rng = new Rng(opt.seed());
        int[] valLabel = yVal == null ? null : bins.bins(yVal);
        int[][] valRows = yVal == null ? null : rowsPerBin(valLabel, nb);
        History h = new History(new double[opt.epochs()], yVal == null ? new double[0] : new double[opt.epochs()],
                new double[nb][opt.epochs()], new double[nb][opt.epochs()], new double[opt.fineTuneEpochs()],
                yVal == null ? new double[0] : new double[opt.fineTuneEpochs()], counts, classWeights);

        // ---------------- gate
        model.train();
        int gateSteps = ceilDiv(n, opt.batchSize());
        AdamW gateOpt = new AdamW(model.gate().parameters(), opt.lr(), opt.weightDecay());
        WarmupCosine gateLr = schedule(opt, (long) gateSteps * opt.epochs());
        Tensor cw = Tensor.of(classWeights, nb).to(DType.F32);
        long step = 0;
        for (int ep = 0; ep < opt.epochs(); ep++) {
            int[] perm = permutation(n, rng);
            double sum = 0;
            for (int s = 0; s < gateSteps; s++) {
                int[] idx = opt.balancedSampling() ? balancedBatch(rows, opt.batchSize(), rng)
                        : Arrays.copyOfRange(perm, s * opt.batchSize(), Math.min(n, (s + 1) * opt.batchSize()));
                int[] lab = new int[idx.length];
                for (int i = 0; i < idx.length; i++) lab[i] = label[idx[i]];
                Tensor target = Tensor.of(lab, lab.length);
                Variable logits = model.gateLogits(Variable.constant(select(x, idx)));
                Variable loss = Losses.crossEntropy(logits, target, Reduction.MEAN, Losses.IGNORE_INDEX, 0.0, cw.indexSelect(0, target));
                if (opt.entropyCoef() != 0) {
                    Variable entropy = logits.softmax(-1).mul(logits.logSoftmax(-1)).sum(-1).neg().mean();
                    loss = loss.add(entropy.mul(opt.entropyCoef()));
                }
                gateOpt.setLr(gateLr.lr(step++));
                gateOpt.zeroGrad();
                loss.backward();
                gateOpt.step();
                sum += loss.value().item();
            }
            h.gateLoss()[ep] = sum / gateSteps;
            if (sink != null) sink.scalar("gate/loss", ep, h.gateLoss()[ep]);
            if (yVal != null) {
                h.gateValAcc()[ep] = accuracy(model, xVal, valLabel);
                if (sink != null) sink.scalar("gate/val_accuracy", ep, h.gateValAcc()[ep]);
            }
            if (log != null && (ep == 0 || ep == opt.epochs() - 1 || (ep + 1) % Math.max(1, opt.epochs() / 5) == 0)) {
                log.printf("  gate   epoch %3d/%d  loss %.4f%s%n", ep + 1, opt.epochs(), h.gateLoss()[ep],
                        yVal == null ? "" : String.format("  val accuracy %.4f", h.gateValAcc()[ep]));
            }
        }

        // ---------------- experts
        int maxCount = Arrays.stream(counts).max().orElse(0);
        for (int b = 0; b < nb; b++) {
            int[] mine = rows[b];
            int steps = ceilDiv(opt.balancedSampling() ? maxCount : mine.length, opt.batchSize());
            AdamW expOpt = new AdamW(model.expert(b).parameters(), opt.lr(), opt.weightDecay());
            WarmupCosine expLr = schedule(opt, (long) steps * opt.epochs());
            step = 0;
            double s2 = scale[b] * scale[b];
            for (int ep = 0; ep < opt.epochs(); ep++) {
                int[] perm = permutation(mine.length, rng);
                double sum = 0;
                long seen = 0;
                for (int s = 0; s < steps; s++) {
                    int[] idx = new int[Math.min(opt.batchSize(), opt.balancedSampling() ? opt.batchSize() : mine.length - s * opt.batchSize())];
                    for (int i = 0; i < idx.length; i++) {
                        idx[i] = opt.balancedSampling() ? mine[rng.nextInt(mine.length)] : mine[perm[s * opt.batchSize() + i]];
                    }
                    float[] t = new float[idx.length];
                    for (int i = 0; i < idx.length; i++) t[i] = (float) ((y[idx[i]] - center[b]) / scale[b]);
                    Variable pred = model.expertRaw(b, Variable.constant(select(x, idx)));
                    Variable loss = Losses.mse(pred, Tensor.of(t, t.length));
                    expOpt.setLr(expLr.lr(step++));
                    expOpt.zeroGrad();
                    loss.backward();
                    expOpt.step();
                    sum += loss.value().item() * idx.length;
                    seen += idx.length;
                }
                h.expertMse()[b][ep] = sum / seen * s2;
                if (sink != null) sink.scalar("expert" + b + "/mse", ep, h.expertMse()[b][ep]);
                h.expertValMse()[b][ep] = Double.NaN;
                if (valRows != null && valRows[b].length > 0) {
                    h.expertValMse()[b][ep] = expertMse(model, b, xVal, yVal, valRows[b]);
                    if (sink != null) sink.scalar("expert" + b + "/val_mse", ep, h.expertValMse()[b][ep]);
                }
                if (log != null && (ep == 0 || ep == opt.epochs() - 1 || (ep + 1) % Math.max(1, opt.epochs() / 5) == 0)) {
                    log.printf("  expert %d %s epoch %3d/%d  mse %.4f%s%n", b, bins.label(b), ep + 1, opt.epochs(), h.expertMse()[b][ep],
                            Double.isNaN(h.expertValMse()[b][ep]) ? "" : String.format("  val mse %.4f", h.expertValMse()[b][ep]));
                }
            }
        }
        // ---------------- optional joint fine-tuning of the mixture
        if (opt.fineTuneEpochs() > 0) {
            double meanY = 0, varY = 0;
            for (double v : y) meanY += v / n;
            for (double v : y) varY += (v - meanY) * (v - meanY) / n;
            varY = Math.max(varY, 1e-12);
            AdamW all = new AdamW(model.parameters(), FINE_TUNE_LR * opt.lr(), opt.weightDecay());
            WarmupCosine ftLr = new WarmupCosine(FINE_TUNE_LR * opt.lr(), FINE_TUNE_LR * opt.lr() * 0.05, 1,
                    Math.max(2, (long) gateSteps * opt.fineTuneEpochs()));
            step = 0;
            for (int ep = 0; ep < opt.fineTuneEpochs(); ep++) {
                int[] perm = permutation(n, rng);
                double sum = 0;
                for (int s = 0; s < gateSteps; s++) {
                    int[] idx = Arrays.copyOfRange(perm, s * opt.batchSize(), Math.min(n, (s + 1) * opt.batchSize()));
                    float[] t = new float[idx.length];
                    int[] lab = new int[idx.length];
                    for (int i = 0; i < idx.length; i++) {
                        t[i] = (float) y[idx[i]];
                        lab[i] = label[idx[i]];
                    }
                    Variable xb = Variable.constant(select(x, idx));
                    Variable logits = model.gateLogits(xb);
                    Variable probs = (model.temperature() == 1.0 ? logits : logits.div(model.temperature())).softmax(-1);
                    Variable pred = probs.mul(model.expertOutputs(xb)).sum(-1);
                    // squared error relative to the score variance, so the anchor weight means the same on any score scale
                    Variable loss = Losses.mse(pred, Tensor.of(t, t.length)).div(varY);
                    if (opt.fineTuneGateCe() > 0) {
                        Tensor target = Tensor.of(lab, lab.length);
                        Variable ce = Losses.crossEntropy(logits, target, Reduction.MEAN, Losses.IGNORE_INDEX, 0.0, cw.indexSelect(0, target));
                        loss = loss.add(ce.mul(opt.fineTuneGateCe()));
                    }
                    if (opt.entropyCoef() != 0) {
                        Variable entropy = logits.softmax(-1).mul(logits.logSoftmax(-1)).sum(-1).neg().mean();
                        loss = loss.add(entropy.mul(opt.entropyCoef()));
                    }
                    all.setLr(ftLr.lr(step++));
                    all.zeroGrad();
                    loss.backward();
                    all.step();
                    sum += loss.value().item();
                }
                h.fineTuneLoss()[ep] = sum / gateSteps;
                if (sink != null) sink.scalar("mixture/loss", ep, h.fineTuneLoss()[ep]);
                if (yVal != null) {
                    double[] p = model.predict(xVal, 4096).score();
                    double se = 0;
                    for (int i = 0; i < p.length; i++) se += (bins.clip(p[i]) - yVal[i]) * (bins.clip(p[i]) - yVal[i]);
                    h.fineTuneValRmse()[ep] = Math.sqrt(se / p.length);
                    if (sink != null) sink.scalar("mixture/val_rmse", ep, h.fineTuneValRmse()[ep]);
                }
                if (log != null && (ep == 0 || ep == opt.fineTuneEpochs() - 1 || (ep + 1) % Math.max(1, opt.fineTuneEpochs() / 5) == 0)) {
                    log.printf("  mixture fine-tune epoch %3d/%d  loss %.4f%s%n", ep + 1, opt.fineTuneEpochs(), h.fineTuneLoss()[ep],
                            yVal == null ? "" : String.format("  val RMSE %.4f", h.fineTuneValRmse()[ep]));
                }
            }
        }
        model.eval();
        if (sink != null) sink.flush();
        return h;
    }

    /** The row indices of each bin, in row order. */
    static int[][] rowsPerBin(int[] label, int nb) {
        int[] c = new int[nb];
        for (int l : label) c[l]++;
        int[][] out = new int[nb][];
        for (int b = 0; b < nb; b++) out[b] = new int[c[b]];
        int[] fill = new int[nb];
        for (int i = 0; i < label.length; i++) out[label[i]][fill[label[i]]++] = i;
        return out;
    }

    /** A batch with (nearly) equally many rows of each bin, drawn with replacement: row {@code i} comes from bin {@code i mod B}. */
    static int[] balancedBatch(int[][] rows, int batch, Rng rng) {
        int[] idx = new int[batch];
        for (int i = 0; i < batch; i++) {
            int[] r = rows[i % rows.length];
            idx[i] = r[rng.nextInt(r.length)];
        }
        return idx;
    }

    private static int[] permutation(int n, Rng rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static Tensor select(Tensor x, int[] idx) {
        return x.indexSelect(0, Tensor.of(idx, idx.length));
    }

    private static WarmupCosine schedule(Options opt, long total) {
        long t = Math.max(2, total);
        return new WarmupCosine(opt.lr(), opt.lr() * 0.05, Math.min(t - 1, Math.max(1, t / 20)), t);
    }

    private static double accuracy(BinnedMoE model, Tensor x, int[] label) {
        double[][] g = model.predict(x, 4096).gates();
        int ok = 0;
        for (int i = 0; i < label.length; i++) {
            int best = 0;
            for (int b = 1; b < g.length; b++) if (g[b][i] > g[best][i]) best = b;
            if (best == label[i]) ok++;
        }
        return label.length == 0 ? Double.NaN : (double) ok / label.length;
    }

    private static double expertMse(BinnedMoE model, int b, Tensor x, double[] y, int[] rows) {
        double[] e = model.predict(select(x, rows), 4096).experts()[b];
        double s = 0;
        for (int i = 0; i < rows.length; i++) s += (e[i] - y[rows[i]]) * (e[i] - y[rows[i]]);
        return s / rows.length;
    }

    private static int ceilDiv(int a, int b) {
        return Math.max(1, (a + b - 1) / b);
    }

    private static String fmt(double[] v) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) s.append(i == 0 ? "" : ", ").append(String.format("%.3f", v[i]));
        return s.append(']').toString();
    }
}
