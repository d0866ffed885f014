package dev.tessera.tensor.ops;

/** Reductions over a set of axes. */
public enum ReduceOp {
    SUM, MEAN, MAX, MIN, PROD, LOGSUMEXP,
    /** Index (I32) of the first maximum along a single axis. */
    ARGMAX,
    /** Index (I32) of the first minimum along a single axis. */
    ARGMIN
}
