package dev.tessera.nn.generate;

import dev.tessera.tensor.Tensor;

/**
 * A causal language model as generation sees it: next-token logits for a sequence, either from scratch
 * or continuing a cache of decoding state of type {@code C} (for example one {@code KvCache} per layer
 * for softmax attention, or one {@code LinearAttentionState} per layer for linear attention).
 *
 * @param <C> the decoding cache
 */
public interface CausalLm<C> {
    /** Logits [T, V] for a whole sequence of T tokens starting at position 0 (no cache). */
    Tensor logits(int[] tokens);

    /**
     * Logits [T, V] for {@code newTokens} continuing the sequence held in {@code cache} (which they
     * extend); must equal the last T rows of {@link #logits(int[])} over the whole sequence.
     */
    Tensor logits(int[] newTokens, C cache);

    /** A fresh, empty cache. */
    C newCache();

    /** Longest sequence the model accepts. */
    int maxContext();
}
