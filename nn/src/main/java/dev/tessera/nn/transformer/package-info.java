/**
 * Transformer stacks: encoder and decoder layers (pre-LN by default), encoder-decoder, feed-forward
 * blocks, positional encodings (sinusoidal, learned, rotary) and sequence pooling.
 */
package dev.tessera.nn.transformer;
