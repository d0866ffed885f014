package dev.tessera.tensor.internal.cpu;

/**
 * Single-threaded float32 building blocks of the fused attention ({@link CpuAttention}): two
 * register-blocked block products and the row operations of the online softmax. Two
 * implementations: the Vector API one ({@code cpu.simd}) and a plain-loop twin, chosen like
 * {@link F32Kernels} ({@code -Dtessera.simd=false} selects the scalar one).
 *
 * <p>Both products either store ({@code C = ...}, for a fresh block of scores) or accumulate
 * ({@code C += ...}, for outputs and gradients). Any m and n work: whole {@link #rowTile()} x {@link #colTile()} tiles take the
 * register-blocked path, edge rows and a partial last column strip a masked one-row path, and no
 * element outside the operands (rows {@code < kc} of an operand stored by its reduction index, rows
 * {@code < m} and columns {@code < n}) is read. The sum for one C element runs over the reduction
 * index in order, so it does not depend on the tile or thread that computes it.
 */
public interface AttentionKernels {
    /** The kernels of the active CPU path: SIMD when {@link CpuConfig#simd()} is true, else scalar. */
    static AttentionKernels get() {
        return CpuConfig.simd() ? simd() : scalar();
    }

    /** The plain-loop implementation (always available). */
    static AttentionKernels scalar() {
        return ScalarAttentionKernels.INSTANCE;
    }

    /** The Vector API implementation; throws if {@code jdk.incubator.vector} is not loaded. */
    static AttentionKernels simd() {
        if (!VectorSupport.available())
            throw new UnsupportedOperationException("AttentionKernels.simd: module jdk.incubator.vector is not loaded"
                    + " (start the JVM with --add-modules jdk.incubator.vector)");
        return AttentionSimdHolder.INSTANCE;
    }

    /** Rows of the register tile (callers pad lanes and blocks to it where cheap). */
    int rowTile();

    /** Columns of the register tile (callers pad their own buffers to it). */
    int colTile();

    /**
     * {@code C[m x n] (+)= A^T B} with A stored by its reduction index: {@code A(p, r) = a[ao + p*as + r]},
     * {@code B(p, j) = b[bo + p*bs + j]}, {@code C(r, j) = c[co + r*ldc + j]}, p in [0, kc); {@code accumulate}
     * adds to C, otherwise C is overwritten (its old content, NaN included, is ignored).
     */
    void gemmTN(int m, int n, int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc,
                boolean accumulate);

    /**
     * {@code C[m x n] (+)= A B} with A stored by rows: {@code A(r, p) = a[ao + r*lda + p]},
     * {@code B(p, j) = b[bo + p*bs + j]}, {@code C(r, j) = c[co + r*ldc + j]}, p in [0, kc); accumulate as in
     * {@link #gemmTN}.
     */
    void gemmNN(int m, int n, int kc, float[] a, int ao, int lda, float[] b, int bo, int bs, float[] c, int co, int ldc,
                boolean accumulate);

    /**
     * Columnwise running maximum over a block stored by rows: {@code acc[ao+i] = max(acc[ao+i], s[so + r*lds + i])}
     * for {@code r < rows, i < n}.
     */
    void maxRows(float[] s, int so, int lds, int rows, int n, float[] acc, int ao);

    /**
     * In place {@code s[so + r*lds + i] = exp(s[so + r*lds + i] - m[mo+i])} for {@code r < rows, i < n} (-infinity gives 0);
     * when {@code sum} is not null, {@code sum[sumo+i]} is incremented by each new value, rows in order.
     */
    void expSubRows(float[] s, int so, int lds, int rows, int n, float[] m, int mo, float[] sum, int sumo);

    /**
     * Transposed, scaled copy of n rows of length d: {@code dst[c*ld + i] = s * src[row + i*rowStride + c]}
     * for {@code i < n, c < d}; lanes {@code n <= i < ld} are set to 0.
     */
    void packTransposed(float[] src, int row, int rowStride, int n, int d, float s, float[] dst, int ld);

    /**
     * The softmax backward on a block stored by rows (one lane per query):
     * {@code d[r][i] = p[r][i] * (d[r][i] - delta[deltaOff+i])} for {@code r < rows, i < n}, where
     * {@code x[r][i] = x[o + r*ld + i]} for both blocks.
     */
    void softmaxGradRows(float[] p, int po, float[] d, int dOff, int ld, int rows, int n, float[] delta, int deltaOff);

    /**
     * The linear-attention feature map {@code dst(r, i) = elu(x(r, i)) + 1} for {@code r < rows, i < n}, with
     * {@code x(r, i) = x[xo + r*ldx + i]} and {@code dst(r, i) = dst[dOff + r*ldd + i]}.
     */
    void featureMap(float[] x, int xo, int ldx, int rows, int n, float[] dst, int dOff, int ldd);

    /**
     * The feature map's backward from its output f: {@code dst(r, i) = g(r, i) * min(1, f(r, i))} (the derivative
     * of {@code elu + 1} is 1 above 0 and {@code exp(x) = f} below); layouts as in {@link #featureMap}.
     */
    void featureMapGrad(float[] g, int go, int ldg, float[] f, int fo, int ldf, int rows, int n, float[] dst, int dOff, int ldd);

    /** {@code x[i] *= s} over n elements. */
    void scale(float[] x, int o, int n, float s);

    /** Dot product of n elements (fixed order). */
    float dot(float[] a, int ao, float[] b, int bo, int n);
}

/** Loads the Vector API implementation lazily so the scalar path never links jdk.incubator.vector. */
final class AttentionSimdHolder {
    static final AttentionKernels INSTANCE = new dev.tessera.tensor.internal.cpu.simd.VectorAttentionKernels();

    private AttentionSimdHolder() {}
}
