/**
 * Strided n-dimensional tensors without autograd: {@link dev.tessera.tensor.Tensor} (immutable
 * handle on storage + shape + strides + offset), {@link dev.tessera.tensor.Shape},
 * {@link dev.tessera.tensor.DType}, {@link dev.tessera.tensor.Device}, the counter-based
 * {@link dev.tessera.tensor.Rng}, and the {@link dev.tessera.tensor.Backend} service provider
 * interface that every device implements (the CPU backend is built in; the CUDA backend is found at
 * run time through {@link dev.tessera.tensor.BackendProvider}).
 *
 * <pre>{@code
 * Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
 * Tensor c = a.add(Tensor.of(new float[] {10, 20, 30}, 3)).matmul(a.mT());   // broadcast, then [2,2]
 * }</pre>
 */
package dev.tessera.tensor;
