package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.UnaryOp;

/**
 * Single-threaded float32 kernels over contiguous ranges ({@code array[offset .. offset+len)}).
 * The CPU backend parallelises by calling them on disjoint chunks.
 *
 * <p>Aliasing: an output may be the very same range as an input (same array and offset); partial
 * overlaps are not supported.
 *
 * <p>Determinism: each method's result is a fixed function of its inputs on a given machine (the
 * SIMD path's reductions depend on the vector width, documented below, never on timing). The SIMD
 * path computes vector tails with masks, so an element's value does not depend on where a chunk
 * boundary falls for the elementwise methods.
 *
 * <p>Reduction order ({@link #sum}, {@link #dot}, {@link #sumSquares}, the row kernels' sums): the
 * range is cut into blocks of {@link #BLOCK} elements; inside a block, element {@code i} is added to
 * accumulator lane {@code i mod K} (K = 4 x vector lanes on the SIMD path, 4 on the scalar path,
 * tails masked), the K lanes are combined by a fixed pairwise tree, and the block totals are summed
 * in float64 in order. Empty ranges give 0; {@link #max}/{@link #min} of an empty range give
 * -inf/+inf, and propagate NaN.
 *
 * <p>Example: {@code F32Kernels.get().binary(BinaryOp.ADD, a, 0, b, 0, out, 0, n);}
 */
public interface F32Kernels {
    /** Elements per reduction block (see the class comment). */
    int BLOCK = 4096;

    /** The kernels of the active CPU path: SIMD when {@link CpuConfig#simd()} is true, else scalar. */
    static F32Kernels get() {
        return CpuConfig.simd() ? simd() : scalar();
    }

    /** The plain-loop implementation (always available). */
    static F32Kernels scalar() {
        return ScalarF32Kernels.INSTANCE;
    }

    /** The Vector API implementation; throws if {@code jdk.incubator.vector} is not loaded. */
    static F32Kernels simd() {
        if (!VectorSupport.available())
            throw new UnsupportedOperationException("F32Kernels.simd: module jdk.incubator.vector is not loaded"
                    + " (start the JVM with --add-modules jdk.incubator.vector)");
        return SimdHolder.INSTANCE;
    }

    /** Short name of the implementation: {@code "scalar"} or {@code "simd-<bits>"}. */
    String name();

    // ------------------------------------------------------------------ elementwise

    /**
     * {@code out[i] = a[i] op b[i]} for ADD, SUB, MUL, DIV, MAX, MIN (NaN-propagating), POW;
     * other ops throw {@link UnsupportedOperationException}.
     */
    void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int len);

    /** {@code out[i] = a[i] op s}, same ops as {@link #binary}. */
    void binaryScalar(BinaryOp op, float[] a, int ao, float s, float[] out, int oo, int len);

    /** {@code out[i] = s op b[i]}, same ops as {@link #binary}. */
    void scalarBinary(BinaryOp op, float s, float[] b, int bo, float[] out, int oo, int len);

    /** {@code out[i] = op(x[i])} for every {@link UnaryOp}. */
    void unary(UnaryOp op, float[] x, int xo, float[] out, int oo, int len);

    /** Exact-GELU backward: {@code out[i] = g[i] (Phi(x[i]) + x[i] phi(x[i]))}. */
    void geluBackward(float[] x, int xo, float[] g, int go, float[] out, int oo, int len);

    /** {@code y[i] += alpha * x[i]} (the SIMD path uses a fused multiply-add). */
    void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len);

    /**
     * One AdamW update of {@code len} parameters in place: {@code m = b1 m + c1 g}, {@code v = b2 v + (c2 g) g},
     * {@code p = p decay - step m / (sqrt(v) / bc2 + eps)}, each product and quotient rounded to float32 in that
     * order (no fused multiply-add), so both paths give identical bits.
     */
    void adamW(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int len,
               float b1, float c1, float b2, float c2, float step, float bc2, float eps, float decay);

    /** {@code x[i] *= alpha} in place (BLAS sscal); out-of-place scaling is {@code binaryScalar(MUL)}. */
    void scale(float alpha, float[] x, int xo, int len);

    /** {@code out[i] = v}. */
    void fill(float[] out, int oo, int len, float v);

    // ------------------------------------------------------------------ reductions

    /** Sum in the documented block order (float lanes, float64 across blocks). */
    float sum(float[] x, int xo, int len);

    /** Sum with every addition in float64. */
    double sumDouble(float[] x, int xo, int len);

    /** Maximum; NaN if any element is NaN; -inf for an empty range. */
    float max(float[] x, int xo, int len);

    /** Minimum; NaN if any element is NaN; +inf for an empty range. */
    float min(float[] x, int xo, int len);

    /** Dot product in the documented block order. */
    float dot(float[] a, int ao, float[] b, int bo, int len);

    /** Sum of squares in the documented block order. */
    float sumSquares(float[] x, int xo, int len);

    // ------------------------------------------------------------------ row kernels
    // Row r of an operand with offset o starts at o + r * cols; gamma/beta/gGamma/gBeta start at 0
    // and hold cols values; mean/rstd hold one value per row, starting at 0.

    /**
     * Softmax of each row, max-subtracted. {@code -inf} entries get probability 0; a row whose
     * maximum is {@code -inf} (all masked) or {@code +inf}, or that holds a NaN, becomes NaN, as in
     * PyTorch.
     */
    void softmaxRows(float[] x, int xo, float[] out, int oo, int rows, int cols);

    /** Log-softmax of each row: {@code x - max - log(sum(exp(x - max)))}; NaN cases as softmax. */
    void logSoftmaxRows(float[] x, int xo, float[] out, int oo, int rows, int cols);

    /** Softmax backward from its output {@code y}: {@code gx = y * (gy - sum(gy * y))}. */
    void softmaxBackwardRows(float[] y, int yo, float[] gy, int gyo, float[] gx, int gxo, int rows, int cols);

    /** Log-softmax backward from its output {@code y}: {@code gx = gy - exp(y) * sum(gy)}. */
    void logSoftmaxBackwardRows(float[] y, int yo, float[] gy, int gyo, float[] gx, int gxo, int rows, int cols);

    /**
     * Layer norm of each row with biased variance (two passes: mean, then mean of squared
     * deviations): {@code out = (x - mean) * rstd * gamma + beta}, {@code rstd = 1/sqrt(var + eps)}.
     * {@code gamma}, {@code beta}, {@code mean} and {@code rstd} may be null; the last two, when
     * given, receive the row statistics.
     */
    void layerNormRows(float[] x, int xo, float[] gamma, float[] beta, float eps, float[] out, int oo,
            float[] mean, float[] rstd, int rows, int cols);

    /**
     * Layer norm backward with {@code xhat = (x - mean) * rstd}, {@code g = gy * gamma}:
     * {@code gx = rstd * (g - mean(g) - xhat * mean(g * xhat))}; {@code gGamma += sum_rows(gy * xhat)},
     * {@code gBeta += sum_rows(gy)} when not null. {@code gamma} null means all ones.
     */
    void layerNormBackwardRows(float[] x, int xo, float[] gamma, float[] mean, float[] rstd,
            float[] gy, int gyo, float[] gx, int gxo, float[] gGamma, float[] gBeta, int rows, int cols);

    /** RMS norm of each row: {@code out = x * rstd * gamma}, {@code rstd = 1/sqrt(mean(x^2) + eps)}. */
    void rmsNormRows(float[] x, int xo, float[] gamma, float eps, float[] out, int oo, float[] rstd,
            int rows, int cols);

    /**
     * RMS norm backward with {@code xhat = x * rstd}, {@code g = gy * gamma}:
     * {@code gx = rstd * (g - xhat * mean(g * xhat))}; {@code gGamma += sum_rows(gy * xhat)}.
     */
    void rmsNormBackwardRows(float[] x, int xo, float[] gamma, float[] rstd, float[] gy, int gyo,
            float[] gx, int gxo, float[] gGamma, int rows, int cols);
}

/** Loads the Vector API implementation lazily so the scalar path never links jdk.incubator.vector. */
final class SimdHolder {
    static final F32Kernels INSTANCE = new dev.tessera.tensor.internal.cpu.simd.VectorF32Kernels();

    private SimdHolder() {}
}
