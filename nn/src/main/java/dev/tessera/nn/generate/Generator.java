package dev.tessera.nn.generate;

import dev.tessera.tensor.Tensor;
import java.util.Arrays;

/**
 * Autoregressive generation. Expanding context feeds the whole history (with the model's cache, KV or
 * recurrent state: the prompt once, then one token per step; the tokens are identical to full
 * recompute). Sliding window keeps the last {@code window} tokens and recomputes them each step from
 * position 0, since cached keys were computed at positions that no longer exist in the shifted window.
 *
 * <pre>{@code
 * int[] out = Generator.expanding(lm, prompt, 20, Sampler.greedy(), true);
 * }</pre>
 */
public final class Generator {
    private Generator() {}

    /** Generates {@code maxNew} tokens after {@code prompt}, the whole history as context; returns only the new tokens. */
    public static <C> int[] expanding(CausalLm<C> lm, int[] prompt, int maxNew, Sampler sampler, boolean useCache) {
        check(prompt, maxNew);
        if (prompt.length + maxNew - 1 > lm.maxContext()) {
            throw new IllegalArgumentException("generate: prompt " + prompt.length + " + " + maxNew + " new tokens exceed the model context "
                    + lm.maxContext() + " (use a sliding window)");
        }
        int[] seq = Arrays.copyOf(prompt, prompt.length + maxNew);
        C cache = useCache ? lm.newCache() : null;
        int[] feed = prompt;
        for (int i = 0; i < maxNew; i++) {
            int len = prompt.length + i;
            Tensor logits = useCache ? lm.logits(feed, cache) : lm.logits(Arrays.copyOf(seq, len));
            seq[len] = sampler.next(logits.select(0, logits.dim(0) - 1).toDoubleArray());
            feed = new int[] {seq[len]};
        }
        return Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    /** Generates {@code maxNew} tokens, each from the last {@code window} tokens only; returns the new tokens. */
    public static int[] slidingWindow(CausalLm<?> lm, int[] prompt, int maxNew, int window, Sampler sampler) {
        check(prompt, maxNew);
        if (window <= 0 || window > lm.maxContext()) {
            throw new IllegalArgumentException("generate: window must be in [1, " + lm.maxContext() + "], got " + window);
        }
        int[] seq = Arrays.copyOf(prompt, prompt.length + maxNew);
        for (int i = 0; i < maxNew; i++) {
            int len = prompt.length + i, start = Math.max(0, len - window);
            Tensor logits = lm.logits(Arrays.copyOfRange(seq, start, len));
            seq[len] = sampler.next(logits.select(0, logits.dim(0) - 1).toDoubleArray());
        }
        return Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    private static void check(int[] prompt, int maxNew) {
        if (prompt.length == 0) throw new IllegalArgumentException("generate: the prompt is empty");
        if (maxNew < 0) throw new IllegalArgumentException("generate: maxNew must be >= 0, got " + maxNew);
    }
}
