/**
 * Optimizers (SGD, Adam, AdamW, RMSprop) with parameter groups and state dicts, gradient
 * clipping, gradient accumulation and an exponential moving average of the weights.
 */
package dev.tessera.nn.optim;
