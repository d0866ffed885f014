/**
 * Attention: {@link dev.tessera.nn.attention.MultiHeadAttention} (multi-head, multi-query and
 * grouped-query; causal and padding masks; KV cache; cross-attention), scaled dot-product attention
 * with its fused kernel, and {@link dev.tessera.nn.attention.LinearAttention} (non-causal, chunked causal, and
 * recurrent decoding through {@link dev.tessera.nn.attention.LinearAttentionState}).
 */
package dev.tessera.nn.attention;
