package dev.tessera.kernels.ops;

import java.util.Locale;

/**
 * How float32 work runs on the GPU, the backend-level {@code --precision f32|tf32|bf16}:
 * {@code F32} (full float, cuBLAS COMPUTE_32F, float attention kernels), {@code TF32} (matmuls on
 * tensor cores with 10-bit mantissa inputs and float accumulation: ~5e-4 relative error; attention
 * stays float), or {@code BF16} (mixed precision: matmul and attention inputs rounded to bfloat16
 * for the tensor cores, float accumulation, float softmax and reductions, F32 tensors and master
 * weights everywhere else: ~1e-2). Chosen with {@code -Dtessera.cuda.precision=f32|tf32|bf16}
 * (read when the CUDA backend is first used; {@code -Dtessera.cuda.matmul} is the older name) or
 * {@code CudaBackend.setMatmulPrecision}.
 */
public enum MatmulPrecision {
    /** Full float32 arithmetic (cuBLAS COMPUTE_32F). */
    F32,
    /** Tensor cores on TF32-rounded inputs with float accumulation. */
    TF32,
    /** Inputs rounded to bfloat16, float accumulation. */
    BF16;

    /** The precision from {@code -Dtessera.cuda.precision} (or {@code -Dtessera.cuda.matmul}); default F32. */
    public static MatmulPrecision fromProperty() {
        String key = System.getProperty("tessera.cuda.precision") != null ? "tessera.cuda.precision" : "tessera.cuda.matmul";
        return parse(key, System.getProperty(key, "f32"));
    }

    /** Parses f32, tf32 or bf16 (any case); {@code what} names the setting in the error. */
    public static MatmulPrecision parse(String what, String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        try {
            return valueOf(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": expected f32, tf32 or bf16, got '" + value + "'");
        }
    }
}
