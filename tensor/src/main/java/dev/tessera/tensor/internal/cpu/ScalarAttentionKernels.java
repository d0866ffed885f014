package dev.tessera.tensor.internal.cpu;

/**
 * Plain-loop twin of the Vector API attention kernels: the fallback when SIMD is disabled and the
 * reference the SIMD kernels are tested against. exp is the float64 function rounded to float; sums
 * run left to right in float.
 */
final class ScalarAttentionKernels implements AttentionKernels {
    static final ScalarAttentionKernels INSTANCE = new ScalarAttentionKernels();

    private ScalarAttentionKernels() {}

    @Override
    public int rowTile() {
        return 4;
    }

    @Override
    public int colTile() {
        return 8;
    }

    @Override
    public void gemmTN(int m, int n, int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc,
                       boolean accumulate) {
        for (int r = 0; r < m; r++) {
            int ci = co + r * ldc;
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < kc; p++) s += a[ao + p * as + r] * b[bo + p * bs + j];
                c[ci + j] = accumulate ? c[ci + j] + s : s;
            }
        }
    }

    @Override
    public void gemmNN(int m, int n, int kc, float[] a, int ao, int lda, float[] b, int bo, int bs, float[] c, int co, int ldc,
                       boolean accumulate) {
        for (int r = 0; r < m; r++) {
            int ci = co + r * ldc, ai = ao + r * lda;
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < kc; p++) s += a[ai + p] * b[bo + p * bs + j];
                c[ci + j] = accumulate ? c[ci + j] + s : s;
            }
        }
    }

    @Override
    public void maxRows(float[] s, int so, int lds, int rows, int n, float[] acc, int ao) {
        for (int r = 0; r < rows; r++) {
            int si = so + r * lds;
            for (int i = 0; i < n; i++) acc[ao + i] = Math.max(acc[ao + i], s[si + i]);
        }
    }

    @Override
    public void expSubRows(float[] s, int so, int lds, int rows, int n, float[] m, int mo, float[] sum, int sumo) {
        for (int r = 0; r < rows; r++) {
            int si = so + r * lds;
            for (int i = 0; i < n; i++) {
                float e = (float) Math.exp(s[si + i] - m[mo + i]);
                s[si + i] = e;
                if (sum != null) sum[sumo + i] += e;
            }
        }
    }

    @Override
    public void packTransposed(float[] src, int row, int rowStride, int n, int d, float s, float[] dst, int ld) {
        for (int i = 0; i < n; i++) {
            int si = row + i * rowStride;
            for (int c = 0, di = i; c < d; c++, di += ld) dst[di] = s * src[si + c];
        }
        if (n < ld) for (int c = 0; c < d; c++) java.util.Arrays.fill(dst, c * ld + n, (c + 1) * ld, 0f);
    }

    @Override
    public void softmaxGradRows(float[] p, int po, float[] d, int dOff, int ld, int rows, int n, float[] delta, int deltaOff) {
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n; i++) d[dOff + r * ld + i] = p[po + r * ld + i] * (d[dOff + r * ld + i] - delta[deltaOff + i]);
        }
    }

    @Override
    public void scale(float[] x, int o, int n, float s) {
        for (int i = 0; i < n; i++) x[o + i] *= s;
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    @Override
    public void featureMap(float[] x, int xo, int ldx, int rows, int n, float[] dst, int dOff, int ldd) {
        for (int r = 0; r < rows; r++) {
            int xi = xo + r * ldx, di = dOff + r * ldd;
            for (int i = 0; i < n; i++) {
                float v = x[xi + i];
                dst[di + i] = (v > 0 ? v : (float) Math.expm1(v)) + 1f;
            }
        }
    }

    @Override
    public void featureMapGrad(float[] g, int go, int ldg, float[] f, int fo, int ldf, int rows, int n, float[] dst, int dOff, int ldd) {
        for (int r = 0; r < rows; r++) {
            int gi = go + r * ldg, fi = fo + r * ldf, di = dOff + r * ldd;
            for (int i = 0; i < n; i++) dst[di + i] = g[gi + i] * Math.min(1f, f[fi + i]);
        }
    }
}
