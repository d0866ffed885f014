/**
 * Losses (MSE, L1, Huber, cross-entropy, binary cross-entropy with logits) with reductions and
 * optional per-element weights.
 */
package dev.tessera.nn.loss;
