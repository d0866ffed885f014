/**
 * Tensor files: {@link dev.tessera.tensor.io.SafeTensors} (the format itself, readable by Python's
 * safetensors and PyTorch) and {@link dev.tessera.tensor.io.TensorFiles} (named tensors to and from a
 * file, written to a temporary file and renamed).
 */
package dev.tessera.tensor.io;
