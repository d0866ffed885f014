package dev.tessera.nn.generate;

import dev.tessera.nn.attention.KvCache;
import dev.tessera.tensor.Tensor;

/**
 * A causal language model as generation sees it: next-token logits for a sequence, either from scratch
 * or continuing cached state.
 */
public interface CausalLm {
    /** Logits [T, V] for a whole sequence of T tokens starting at position 0 (no cache). */
    Tensor logits(int[] tokens);

    /**
     * Logits [T, V] for {@code newTokens} continuing the sequence held in {@code caches} (which they
     * extend); must equal the last T rows of {@link #logits(int[])} over the whole sequence.
     */
    Tensor logits(int[] newTokens, KvCache[] caches);

    /** Fresh, empty caches. */
    KvCache[] newCaches();

    /** Longest sequence the model accepts. */
    int maxContext();
}
