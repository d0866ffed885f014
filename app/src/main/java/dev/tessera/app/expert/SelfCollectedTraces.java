package dev.tessera.app.expert;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.moe.MoeStats;
import dev.tessera.moe.SparseMoE;
import dev.tessera.moe.trace.TraceInfo;
import dev.tessera.moe.trace.TraceRecorder;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.schedule.WarmupCosine;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Routing traces the expert-predictor recipe makes for itself: it trains a small sparse-MoE
 * language model ({@link MoeLanguageModel}) on the built-in {@link TopicLanguage}, saves it, then
 * runs it in inference mode on fresh sequences with a {@link TraceRecorder} attached.
 *
 * <pre>{@code
 * var s = SelfCollectedTraces.run(SelfCollectedTraces.Options.DEFAULT, Path.of("runs/ep"), System.out);
 * TraceReader.open(s.traceDir());
 * }</pre>
 */
public final class SelfCollectedTraces {
    private SelfCollectedTraces() {}

    /**
     * Settings.
     *
     * @param model       the language model's shape
     * @param steps       training steps
     * @param batch       sequences per step
     * @param seqLen      tokens per sequence
     * @param lr          peak AdamW learning rate (warmup 5 %, cosine to 5 %)
     * @param traceTokens tokens recorded per MoE layer
     * @param rowsPerShard trace rows per shard
     * @param seed        seed of the language, the model and the data
     */
    public record Options(MoeLanguageModel.Config model, int steps, int batch, int seqLen, double lr, long traceTokens, int rowsPerShard,
                          long seed) {
        /** {@link MoeLanguageModel.Config#SMALL}, 300 steps of 16 x 32 tokens at lr 3e-3, 65,536 traced tokens per layer. */
        public static final Options DEFAULT = new Options(MoeLanguageModel.Config.SMALL, 300, 16, 32, 3e-3, 65_536, 8192, 1);

        /** Validates the ranges. */
        public Options {
            if (steps < 1 || batch < 1 || seqLen < 2 || seqLen > model.maxContext() || traceTokens < 1 || rowsPerShard < 1 || !(lr > 0)) {
                throw new IllegalArgumentException("SelfCollectedTraces: need steps, batch, traceTokens, rowsPerShard >= 1, lr > 0 and 2 <= seqLen <= "
                        + model.maxContext() + ", got steps " + steps + ", batch " + batch + ", seqLen " + seqLen + ", lr " + lr + ", traceTokens "
                        + traceTokens + ", rowsPerShard " + rowsPerShard);
            }
        }

        /** With {@code n} training steps. */
        public Options withSteps(int n) {
            return new Options(model, n, batch, seqLen, lr, traceTokens, rowsPerShard, seed);
        }

        /** With {@code n} traced tokens per layer. */
        public Options withTraceTokens(long n) {
            return new Options(model, steps, batch, seqLen, lr, n, rowsPerShard, seed);
        }

        /** With another model shape. */
        public Options withModel(MoeLanguageModel.Config m) {
            return new Options(m, steps, batch, seqLen, lr, traceTokens, rowsPerShard, seed);
        }
    }

    /**
     * What was made.
     *
     * @param traceDir       the trace folder
     * @param checkpoint     the language model's checkpoint folder
     * @param firstLoss      training loss of the first step (nats per token)
     * @param finalLoss      mean training loss of the last 20 steps
     * @param heldOutLoss    loss on fresh sequences
     * @param trainSeconds   wall time of the training
     * @param captureSeconds wall time of the traced inference
     * @param info           the trace description
     */
    public record Summary(Path traceDir, Path checkpoint, double firstLoss, double finalLoss, double heldOutLoss, double trainSeconds,
                          double captureSeconds, TraceInfo info) {
    }

    /** Trains the model, saves it under {@code out/lm}, records its traces under {@code out/traces}. */
    public static Summary run(Options o, Path out, PrintStream log) {
        var c = o.model();
        TopicLanguage lang = new TopicLanguage(c.vocab(), 4, Math.max(4, c.vocab() * 5 / 16), o.seed());
        MoeLanguageModel lm = new MoeLanguageModel(c, new Rng(o.seed()));
        String what = String.format("sparse-MoE language model (%d layers, width %d, %d heads, %d experts top-%d of hidden %d, cf %.2f; %,d parameters)",
                c.layers(), c.dModel(), c.heads(), c.experts(), c.topK(), c.expertHidden(), c.capacityFactor(), lm.numParameters());
        log.printf("no --traces: training a %s%n  on the built-in TopicLanguage (vocab %d, %d topics, Markov successors 0.6/0.3/0.1; "
                + "next-token entropy given the topic %.3f nats, uniform %.3f), %d steps of %d x %d tokens, AdamW lr %.1e%n", what, lang.vocab(),
                lang.topics(), TopicLanguage.conditionalEntropy(), Math.log(lang.vocab()), o.steps(), o.batch(), o.seqLen(), o.lr());
        AdamW adam = new AdamW(lm.parameters(), o.lr(), 0.01);
        var sched = new WarmupCosine(o.lr(), o.lr() * 0.05, Math.max(1, o.steps() / 20), Math.max(2, o.steps()));
        SplittableRandom data = new SplittableRandom(o.seed() * 31 + 1);
        long t0 = System.nanoTime();
        double first = Double.NaN, recent = 0;
        int recentN = 0;
        lm.train();
        for (int s = 0; s < o.steps(); s++) {
            adam.setLr(sched.lr(s));
            Variable loss = lossOn(lm, lang.sample(data, o.batch(), o.seqLen() + 1), o.batch(), o.seqLen());
            Variable total = loss.add(lm.auxLoss());
            adam.zeroGrad();
            total.backward();
            adam.step();
            double l = loss.value().item();
            if (s == 0) first = l;
            if (s >= o.steps() - 20) {
                recent += l;
                recentN++;
            }
            if ((s + 1) % 50 == 0 || s == 0 || s == o.steps() - 1) {
                double secs = (System.nanoTime() - t0) / 1e9;
                double rate = (s + 1) / Math.max(secs, 1e-9);
                log.printf("  [lm] step %d/%d loss %.4f  max load violation %s  %.1f steps/s, ETA %.0f s%n", s + 1, o.steps(), l,
                        violations(lm.moeLayers()), rate, (o.steps() - s - 1) / rate);
            }
        }
        double trainSecs = (System.nanoTime() - t0) / 1e9;
        lm.eval();
        double heldOut;
        try (var g = Grad.disabled()) {
            heldOut = lossOn(lm, lang.sample(new SplittableRandom(o.seed() * 31 + 2), 64, o.seqLen() + 1), 64, o.seqLen()).value().item();
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("recipe", "expert-predictor/lm");
        meta.put("config", c.toMap());
        meta.put("language", Map.of("vocab", lang.vocab(), "topics", lang.topics(), "seed", o.seed()));
        Path ck = new Checkpoints(out.resolve("lm"), 1).save(o.steps(), lm.stateDict(), Map.of(), meta);
        log.printf("  [lm] trained in %.1f s: loss %.3f -> %.3f (last 20 steps), held-out %.3f nats/token; checkpoint %s%n", trainSecs, first,
                recent / recentN, heldOut, ck);

        // inference with the recorder attached: every MoE layer sees the same tokens, so rows pair up across layers
        Path traceDir = out.resolve("traces");
        long t1 = System.nanoTime();
        Map<String, String> notes = new LinkedHashMap<>();
        notes.put("source", "tessera train expert-predictor (self-collected)");
        notes.put("model", what);
        notes.put("data", "fresh TopicLanguage sequences of " + o.seqLen() + " tokens, seed " + o.seed());
        notes.put("phase", "inference (eval mode, no gradients)");
        TraceInfo info;
        SplittableRandom fresh = new SplittableRandom(o.seed() * 31 + 3);
        int perForward = 64;
        try (var rec = TraceRecorder.attach(lm, traceDir, new TraceRecorder.Options(o.rowsPerShard(), o.traceTokens(), notes));
             var g = Grad.disabled()) {
            while (rec.tokens(0) < o.traceTokens()) {
                int[] toks = lang.sample(fresh, perForward, o.seqLen());
                lm.forward(Tensor.of(toks, perForward, o.seqLen()));
            }
            info = rec.finish();
        }
        double capSecs = (System.nanoTime() - t1) / 1e9;
        log.printf("  [trace] %,d tokens per layer from %d MoE layers (%s) in %.1f s -> %s%n", info.layer(0).tokens(), info.layers().size(),
                String.join(", ", info.layers().stream().map(TraceInfo.LayerInfo::name).toList()), capSecs, traceDir);
        return new Summary(traceDir, ck, first, recent / recentN, heldOut, trainSecs, capSecs, info);
    }

    /** Next-token cross-entropy of {@code seqs [b * (t + 1)]}: inputs are the first t tokens, targets the last t. */
    private static Variable lossOn(MoeLanguageModel lm, int[] seqs, int b, int t) {
        int[] in = new int[b * t], tgt = new int[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(seqs, i * (t + 1), in, i * t, t);
            System.arraycopy(seqs, i * (t + 1) + 1, tgt, i * t, t);
        }
        Variable logits = lm.forward(Tensor.of(in, b, t));
        return Losses.crossEntropy(logits.reshape(b * t, lm.config().vocab()), Tensor.of(tgt, b * t));
    }

    private static String violations(List<SparseMoE> moes) {
        StringBuilder sb = new StringBuilder();
        for (SparseMoE m : moes) {
            MoeStats s = m.lastStats();
            if (sb.length() > 0) sb.append(' ');
            sb.append(String.format("%.2f", s.maxViolation()));
        }
        return sb.toString();
    }
}
