/**
 * Autoregressive generation: language models ({@link dev.tessera.nn.generate.CausalLm},
 * {@link dev.tessera.nn.generate.DecoderLm}), samplers (greedy, temperature, top-k, top-p) and the
 * {@link dev.tessera.nn.generate.Generator} loop with or without a KV cache.
 */
package dev.tessera.nn.generate;
