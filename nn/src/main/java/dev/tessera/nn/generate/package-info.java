/**
 * Autoregressive generation: language models ({@link dev.tessera.nn.generate.CausalLm},
 * {@link dev.tessera.nn.generate.DecoderLm}), samplers (greedy, temperature, top-k, top-p) and the
 * {@link dev.tessera.nn.generate.Generator} loop with or without the model's decoding cache (a KV cache per layer for
 * softmax attention, a {@link dev.tessera.nn.attention.LinearAttentionState} per layer for linear attention).
 */
package dev.tessera.nn.generate;
