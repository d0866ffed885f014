package dev.tessera.tensor.ops;

/** Reductions over a set of axes. */
public enum ReduceOp {
    /** Sum. */
    SUM,
    /** Arithmetic mean. */
    MEAN,
    /** Maximum (NaN propagates). */
    MAX,
    /** Minimum (NaN propagates). */
    MIN,
    /** Product. */
    PROD,
    /** {@code log(sum(exp(x)))}, computed with the maximum subtracted first. */
    LOGSUMEXP,
    /** Index (I32) of the first maximum along a single axis. */
    ARGMAX,
    /** Index (I32) of the first minimum along a single axis. */
    ARGMIN
}
