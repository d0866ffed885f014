/**
 * Basic layers: Linear, Embedding, LayerNorm, RMSNorm, Dropout, activations and the MLP.
 */
package dev.tessera.nn.layers;
