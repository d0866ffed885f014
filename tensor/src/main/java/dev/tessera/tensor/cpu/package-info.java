/**
 * The CPU backend: Vector API kernels with a scalar twin, packed SGEMM/DGEMM, and one persistent
 * worker pool. <b>Internal</b>: reach it through {@link dev.tessera.tensor.Tensor}; only
 * {@link dev.tessera.tensor.cpu.CpuConfig} (thread count, SIMD switch) is meant for applications.
 * The remaining public types are public because {@code .simd} and the benchmarks use them, and may
 * change without notice.
 */
package dev.tessera.tensor.cpu;
