/**
 * The CUDA backend, bound through the Foreign Function &amp; Memory API (no JNI, no native
 * artifact). Applications do not import it: {@link dev.tessera.tensor.Device#cuda(int)} and
 * {@link dev.tessera.tensor.Device#best()} load it through {@link java.util.ServiceLoader}. Its public
 * API is {@link dev.tessera.kernels.CudaBackend} (matmul precision),
 * {@link dev.tessera.kernels.CudaInfo} (what {@code tessera info} prints),
 * {@link dev.tessera.kernels.memory.Scope} and {@link dev.tessera.kernels.memory.MemoryStats} (device
 * memory ownership and statistics) and {@link dev.tessera.kernels.ops.MatmulPrecision}; the rest of the
 * sub-packages is internal.
 */
package dev.tessera.kernels;
