/**
 * The only package that uses {@code jdk.incubator.vector}: SIMD element-wise kernels, math
 * approximations and the GEMM micro-kernels. <b>Internal</b>; the CPU backend falls back to scalar
 * kernels when the module is absent or {@code -Dtessera.simd=false}.
 */
package dev.tessera.tensor.internal.cpu.simd;
