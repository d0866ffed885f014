package dev.tessera.tensor.cpu;

import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.UnaryOp;

/**
 * Contiguous float32 kernels of the CPU backend. All arrays are addressed by an offset and a
 * length; {@code out} may alias an input exactly. Implementations are single-threaded: callers
 * split the work. {@link #get()} chooses the Vector API implementation or the scalar one.
 */
public interface F32Kernels {

    /** The active implementation: SIMD when {@link CpuConfig#simd()} is true, else scalar. */
    static F32Kernels get() {
        return Holder.ACTIVE;
    }

    /** The scalar implementation. */
    static F32Kernels scalar() {
        return ScalarF32Kernels.INSTANCE;
    }

    /** out = a op b for ADD, SUB, MUL, DIV, MAX, MIN, POW. */
    void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int len);

    /** out = a op s. */
    void binaryScalar(BinaryOp op, float[] a, int ao, float s, float[] out, int oo, int len);

    /** out = s op b. */
    void scalarBinary(BinaryOp op, float s, float[] b, int bo, float[] out, int oo, int len);

    /** out = op(x). */
    void unary(UnaryOp op, float[] x, int xo, float[] out, int oo, int len);

    /** y += alpha * x. */
    void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len);

    /** Sum in float32 (fixed order). */
    float sum(float[] x, int xo, int len);

    /** Sum accumulated in float64. */
    double sumDouble(float[] x, int xo, int len);

    /** Maximum (NaN if any element is NaN; -inf for len 0). */
    float max(float[] x, int xo, int len);

    /** Minimum (NaN if any element is NaN; +inf for len 0). */
    float min(float[] x, int xo, int len);

    /** Dot product. */
    float dot(float[] a, int ao, float[] b, int bo, int len);

    /** Holds the active implementation, resolved once. */
    final class Holder {
        static final F32Kernels ACTIVE = ScalarF32Kernels.INSTANCE;

        private Holder() {}
    }
}
