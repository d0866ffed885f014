package dev.tessera.nn.loss;

/** How a loss reduces its per-element values. */
public enum Reduction {
    /** The (weighted) mean: {@code sum(w * l) / sum(w)} over the counted elements. */
    MEAN,
    /** The (weighted) sum {@code sum(w * l)}. */
    SUM,
    /** No reduction: the per-element losses (times the weights). */
    NONE
}
