package dev.tessera.app.lm;

import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The tokenized corpus split into a training part (the first {@code 1 - valFraction}) and a held-out
 * tail, and the batches drawn from it. A training batch is a function of (seed, step, micro-batch)
 * only: random windows of {@code seqLen + 1} tokens whose first {@code seqLen} are the inputs and last
 * {@code seqLen} the targets. So a resumed run sees exactly the batches the uninterrupted run would.
 */
public final class TokenData {
    private final int[] train, val;
    private final int vocab;

    /** Splits {@code tokens} (ids in {@code [0, vocab)}); the tail of {@code valFraction} is held out. */
    public TokenData(int[] tokens, int vocab, double valFraction) {
        if (!(valFraction >= 0 && valFraction < 1)) throw new IllegalArgumentException("TokenData: valFraction must be in [0, 1), got " + valFraction);
        int nVal = (int) Math.round(tokens.length * valFraction);
        this.train = Arrays.copyOf(tokens, tokens.length - nVal);
        this.val = Arrays.copyOfRange(tokens, tokens.length - nVal, tokens.length);
        this.vocab = vocab;
    }

    /** Training tokens. */
    public int trainTokens() {
        return train.length;
    }

    /** Held-out tokens. */
    public int valTokens() {
        return val.length;
    }

    /**
     * Entropy in bits per token of the training tokens' unigram distribution: the loss of the best
     * model that ignores context, the bar a language model has to go well below.
     */
    public double unigramEntropyBits() {
        long[] counts = new long[vocab];
        for (int t : train) counts[t]++;
        double h = 0;
        for (long c : counts) {
            if (c == 0) continue;
            double p = (double) c / train.length;
            h -= p * Math.log(p) / Math.log(2);
        }
        return h;
    }

    /**
     * Training batch {@code micro} of optimizer step {@code step}: {@code [0]} inputs I32 [batch, seqLen],
     * {@code [1]} targets I32 [batch * seqLen].
     */
    public Tensor[] batch(long seed, long step, int micro, int batch, int seqLen) {
        if (train.length < seqLen + 1) {
            throw new IllegalArgumentException("TokenData: the corpus has " + train.length + " training tokens, fewer than one window of "
                    + (seqLen + 1) + " (use a bigger corpus or a shorter --seq-len)");
        }
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + micro * 0x94D049BB133111EBL);
        int[] x = new int[batch * seqLen], y = new int[batch * seqLen];
        for (int b = 0; b < batch; b++) {
            int start = r.nextInt(train.length - seqLen);
            System.arraycopy(train, start, x, b * seqLen, seqLen);
            System.arraycopy(train, start + 1, y, b * seqLen, seqLen);
        }
        return new Tensor[] {Tensor.of(x, batch, seqLen), Tensor.of(y, batch * seqLen)};
    }

    /**
     * Up to {@code windows} consecutive non-overlapping held-out windows as one batch ({@code [0]} inputs
     * [n, seqLen], {@code [1]} targets [n * seqLen]), or null when the held-out part is shorter than one.
     */
    public Tensor[] validation(int windows, int seqLen) {
        int n = Math.min(windows, (val.length - 1) / seqLen);
        if (n <= 0) return null;
        int[] x = new int[n * seqLen], y = new int[n * seqLen];
        for (int b = 0; b < n; b++) {
            System.arraycopy(val, b * seqLen, x, b * seqLen, seqLen);
            System.arraycopy(val, b * seqLen + 1, y, b * seqLen, seqLen);
        }
        return new Tensor[] {Tensor.of(x, n, seqLen), Tensor.of(y, n * seqLen)};
    }
}
