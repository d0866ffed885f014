/**
 * Device memory: the caching allocator, leak detection, and the scopes that own device tensors.
 * {@link dev.tessera.kernels.memory.Scope} and {@link dev.tessera.kernels.memory.MemoryStats} are API;
 * the other public types are internal.
 *
 * <pre>{@code
 * try (var step = Scope.open()) {
 *     Tensor y = x.matmul(w).relu();   // device tensors created here are freed at close,
 *     step.keep(y);                    // except those kept
 * }
 * }</pre>
 */
package dev.tessera.kernels.memory;
