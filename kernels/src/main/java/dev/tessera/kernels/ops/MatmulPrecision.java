package dev.tessera.kernels.ops;

import java.util.Locale;

/**
 * How float32 matmuls run on the GPU: {@code F32} (full float, cuBLAS COMPUTE_32F), {@code TF32}
 * (tensor cores with 10-bit mantissa inputs, float accumulation: ~5e-4 relative error), or
 * {@code BF16} (inputs rounded to bfloat16, float accumulation: ~1e-2). Chosen with
 * {@code -Dtessera.cuda.matmul=f32|tf32|bf16} or {@code CudaBackend.setMatmulPrecision}.
 */
public enum MatmulPrecision {
    /** Full float32 arithmetic (cuBLAS COMPUTE_32F). */
    F32,
    /** Tensor cores on TF32-rounded inputs with float accumulation. */
    TF32,
    /** Inputs rounded to bfloat16, float accumulation. */
    BF16;

    /** The precision from {@code -Dtessera.cuda.matmul} (default F32). */
    public static MatmulPrecision fromProperty() {
        String v = System.getProperty("tessera.cuda.matmul", "f32").trim().toUpperCase(Locale.ROOT);
        try {
            return valueOf(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tessera.cuda.matmul: expected f32, tf32 or bf16, got '" + v + "'");
        }
    }
}
