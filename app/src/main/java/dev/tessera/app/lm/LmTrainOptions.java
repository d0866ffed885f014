package dev.tessera.app.lm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Training hyper-parameters of the language model.
 *
 * @param steps           optimizer steps in all
 * @param warmup          linear warm-up steps (then cosine to {@code minLr})
 * @param lr              peak learning rate (AdamW)
 * @param minLr           final learning rate
 * @param weightDecay     AdamW decoupled weight decay
 * @param batch           sequences per micro-batch
 * @param accumulation    micro-batches per optimizer step (gradient accumulation)
 * @param seqLen          tokens per training sequence (at most the model's positions)
 * @param clip            global gradient-norm clip
 * @param checkpointEvery steps between checkpoints (and one at the end)
 * @param keepCheckpoints newest checkpoints kept
 * @param sampleEvery     steps between samples of the five fixed prompts (0: only at the end)
 * @param logEvery        steps between metric lines (loss, lr, grad norm, tokens/s, MoE balance)
 * @param sampleTokens    tokens generated per prompt sample
 * @param dataSeed        seed of the batch order and of the sampling
 * @param valWindows      held-out windows for the validation loss at each log step
 */
public record LmTrainOptions(long steps, long warmup, double lr, double minLr, double weightDecay, int batch, int accumulation, int seqLen,
                             double clip, long checkpointEvery, int keepCheckpoints, long sampleEvery, long logEvery, int sampleTokens,
                             long dataSeed, int valWindows) {

    /** Validates the ranges. */
    public LmTrainOptions {
        if (steps <= 0) throw new IllegalArgumentException("--steps must be positive, got " + steps);
        if (warmup < 0 || warmup >= steps) throw new IllegalArgumentException("--warmup must be in [0, steps), got " + warmup + " for " + steps + " steps");
        if (!(lr > 0) || !(minLr >= 0) || minLr > lr) throw new IllegalArgumentException("--lr must be > 0 and >= the final rate, got " + lr + ", " + minLr);
        if (weightDecay < 0) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        if (batch <= 0 || accumulation <= 0 || seqLen <= 0) {
            throw new IllegalArgumentException("--batch, --accumulation and --seq-len must be positive, got " + batch + ", " + accumulation + ", " + seqLen);
        }
        if (!(clip > 0)) throw new IllegalArgumentException("--clip must be > 0, got " + clip);
        if (checkpointEvery <= 0 || logEvery <= 0 || sampleEvery < 0) {
            throw new IllegalArgumentException("--checkpoint-every and --log-every must be positive and --sample-every >= 0, got " + checkpointEvery
                    + ", " + logEvery + ", " + sampleEvery);
        }
        if (keepCheckpoints <= 0 || sampleTokens <= 0 || valWindows < 0) {
            throw new IllegalArgumentException("keepCheckpoints and sampleTokens must be positive and valWindows >= 0");
        }
    }

    /** The reference run: 10,000 steps, warm-up 500, lr 1e-4, weight decay 0.01, batch 16 x 4 accumulated, 512 tokens. */
    public static LmTrainOptions reference() {
        return new LmTrainOptions(10_000, 500, 1e-4, 1e-5, 0.01, 16, 4, 512, 1.0, 500, 3, 500, 100, 120, 1234, 16);
    }

    /** The small default run: 1,000 steps, warm-up 100, lr 2e-3, batch 16 of 128 tokens; samples every 250 steps. */
    public static LmTrainOptions small() {
        return new LmTrainOptions(1_000, 100, 2e-3, 2e-4, 0.01, 16, 1, 128, 1.0, 500, 3, 250, 100, 100, 1234, 16);
    }

    /** Tokens per optimizer step. */
    public long tokensPerStep() {
        return (long) batch * accumulation * seqLen;
    }

    /** A copy with another step count (and the warm-up clipped below it). */
    public LmTrainOptions withSteps(long s) {
        return new LmTrainOptions(s, Math.min(warmup, Math.max(0, s - 1)), lr, minLr, weightDecay, batch, accumulation, seqLen, clip,
                checkpointEvery, keepCheckpoints, sampleEvery, logEvery, sampleTokens, dataSeed, valWindows);
    }

    /** As checkpoint metadata. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", steps);
        m.put("warmup", warmup);
        m.put("lr", lr);
        m.put("minLr", minLr);
        m.put("weightDecay", weightDecay);
        m.put("batch", batch);
        m.put("accumulation", accumulation);
        m.put("seqLen", seqLen);
        m.put("clip", clip);
        m.put("checkpointEvery", checkpointEvery);
        m.put("keepCheckpoints", keepCheckpoints);
        m.put("sampleEvery", sampleEvery);
        m.put("logEvery", logEvery);
        m.put("sampleTokens", sampleTokens);
        m.put("dataSeed", dataSeed);
        m.put("valWindows", valWindows);
        return m;
    }

    /** Reads {@link #toMap()}. */
    public static LmTrainOptions fromMap(Map<String, Object> m) {
        return new LmTrainOptions(l(m, "steps"), l(m, "warmup"), d(m, "lr"), d(m, "minLr"), d(m, "weightDecay"), (int) l(m, "batch"),
                (int) l(m, "accumulation"), (int) l(m, "seqLen"), d(m, "clip"), l(m, "checkpointEvery"), (int) l(m, "keepCheckpoints"),
                l(m, "sampleEvery"), l(m, "logEvery"), (int) l(m, "sampleTokens"), l(m, "dataSeed"), (int) l(m, "valWindows"));
    }

    private static Number num(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof Number n)) throw new IllegalArgumentException("lm checkpoint: training option '" + k + "' is missing or not a number");
        return n;
    }

    private static long l(Map<String, Object> m, String k) {
        return num(m, k).longValue();
    }

    private static double d(Map<String, Object> m, String k) {
        return num(m, k).doubleValue();
    }
}
