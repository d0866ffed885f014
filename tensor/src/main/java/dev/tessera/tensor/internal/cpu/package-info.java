/**
 * The CPU backend: Vector API kernels with a scalar twin, packed SGEMM/DGEMM, and one persistent
 * worker pool. <b>Internal</b>: reach it through {@link dev.tessera.tensor.Tensor}. Applications configure
 * it with {@code TESSERA_THREADS} (or {@code -Dtessera.threads}) and {@code -Dtessera.simd=false};
 * {@link dev.tessera.tensor.internal.cpu.CpuConfig} reports the active settings. Types here are public
 * only because {@code .simd}, the benchmarks and the tests use them, and may change without notice.
 */
package dev.tessera.tensor.internal.cpu;
