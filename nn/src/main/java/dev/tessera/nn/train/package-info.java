/**
 * Training utilities: atomic checkpoints with exact resume ({@link dev.tessera.nn.train.Checkpoints}),
 * metrics sinks (CSV, TensorBoard event files), a progress bar and early stopping.
 */
package dev.tessera.nn.train;
