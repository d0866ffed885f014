/**
 * <b>Internal</b>: the kernels behind each {@link dev.tessera.tensor.Backend} operation (launch
 * geometry, element-wise, reductions, indexing, sorting, fused ops, cuBLAS matmul), except
 * {@link dev.tessera.kernels.ops.MatmulPrecision}, which selects F32, TF32 or BF16 matmuls.
 */
package dev.tessera.kernels.ops;
