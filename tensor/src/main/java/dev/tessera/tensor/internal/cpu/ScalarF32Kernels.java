package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.UnaryOp;

/**
 * Plain-loop float32 kernels: the fallback when the Vector API is disabled and the twin the SIMD
 * kernels are tested against. Transcendental functions are the float64 definitions of
 * {@link UnaryOp} rounded once to float, so they are within half an ulp of the exact result.
 * Reductions use 4 float accumulators per {@link F32Kernels#BLOCK}-element block, combined
 * {@code (a0 + a1) + (a2 + a3)}, with block totals summed in float64.
 */
public final class ScalarF32Kernels implements F32Kernels {
    /** The single instance. */
    public static final ScalarF32Kernels INSTANCE = new ScalarF32Kernels();

    private ScalarF32Kernels() {}

    @Override
    public String name() {
        return "scalar";
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int len) {
        switch (op) {
            case ADD -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] + b[bo + i]; }
            case SUB -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] - b[bo + i]; }
            case MUL -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] * b[bo + i]; }
            case DIV -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] / b[bo + i]; }
            case MAX -> { for (int i = 0; i < len; i++) out[oo + i] = Math.max(a[ao + i], b[bo + i]); }
            case MIN -> { for (int i = 0; i < len; i++) out[oo + i] = Math.min(a[ao + i], b[bo + i]); }
            case POW -> { for (int i = 0; i < len; i++) out[oo + i] = (float) Math.pow(a[ao + i], b[bo + i]); }
            default -> throw unsupported("binary", op);
        }
    }

    @Override
    public void binaryScalar(BinaryOp op, float[] a, int ao, float s, float[] out, int oo, int len) {
        switch (op) {
            case ADD -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] + s; }
            case SUB -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] - s; }
            case MUL -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] * s; }
            case DIV -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] / s; }
            case MAX -> { for (int i = 0; i < len; i++) out[oo + i] = Math.max(a[ao + i], s); }
            case MIN -> { for (int i = 0; i < len; i++) out[oo + i] = Math.min(a[ao + i], s); }
            case POW -> { for (int i = 0; i < len; i++) out[oo + i] = (float) Math.pow(a[ao + i], s); }
            default -> throw unsupported("binaryScalar", op);
        }
    }

    @Override
    public void scalarBinary(BinaryOp op, float s, float[] b, int bo, float[] out, int oo, int len) {
        switch (op) {
            case ADD -> { for (int i = 0; i < len; i++) out[oo + i] = s + b[bo + i]; }
            case SUB -> { for (int i = 0; i < len; i++) out[oo + i] = s - b[bo + i]; }
            case MUL -> { for (int i = 0; i < len; i++) out[oo + i] = s * b[bo + i]; }
            case DIV -> { for (int i = 0; i < len; i++) out[oo + i] = s / b[bo + i]; }
            case MAX -> { for (int i = 0; i < len; i++) out[oo + i] = Math.max(s, b[bo + i]); }
            case MIN -> { for (int i = 0; i < len; i++) out[oo + i] = Math.min(s, b[bo + i]); }
            case POW -> { for (int i = 0; i < len; i++) out[oo + i] = (float) Math.pow(s, b[bo + i]); }
            default -> throw unsupported("scalarBinary", op);
        }
    }

    static UnsupportedOperationException unsupported(String method, BinaryOp op) {
        return new UnsupportedOperationException("F32Kernels." + method + ": op " + op
                + " is not an arithmetic op (comparisons and logic ops are computed by the backend)");
    }

    @Override
    public void geluBackward(float[] x, int xo, float[] g, int go, float[] out, int oo, int len) {
        for (int i = 0; i < len; i++) {
            double v = x[xo + i];
            double cdf = 0.5 * (1.0 + UnaryOp.ERF.apply(v * INV_SQRT2));
            double pdf = Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
            out[oo + i] = (float) (g[go + i] * (cdf + v * pdf));
        }
    }

    private static final double INV_SQRT2 = 1 / Math.sqrt(2), INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    @Override
    public void unary(UnaryOp op, float[] x, int xo, float[] out, int oo, int len) {
        // Hot functions get their own loop so the call inlines; the rest go through the definition.
        switch (op) {
            case NEG -> { for (int i = 0; i < len; i++) out[oo + i] = -x[xo + i]; }
            case ABS -> { for (int i = 0; i < len; i++) out[oo + i] = Math.abs(x[xo + i]); }
            case SQUARE -> { for (int i = 0; i < len; i++) { float v = x[xo + i]; out[oo + i] = v * v; } }
            case RECIPROCAL -> { for (int i = 0; i < len; i++) out[oo + i] = 1f / x[xo + i]; }
            case SQRT -> { for (int i = 0; i < len; i++) out[oo + i] = (float) Math.sqrt(x[xo + i]); }
            case EXP -> { for (int i = 0; i < len; i++) out[oo + i] = (float) Math.exp(x[xo + i]); }
            case LOG -> { for (int i = 0; i < len; i++) out[oo + i] = (float) Math.log(x[xo + i]); }
            case TANH -> { for (int i = 0; i < len; i++) out[oo + i] = (float) Math.tanh(x[xo + i]); }
            case RELU -> { for (int i = 0; i < len; i++) { float v = x[xo + i]; out[oo + i] = v > 0 ? v : (v == v ? 0f : v); } }
            default -> { for (int i = 0; i < len; i++) out[oo + i] = (float) op.apply(x[xo + i]); }
        }
    }

    @Override
    public void adamW(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int len,
                      float b1, float c1, float b2, float c2, float step, float bc2, float eps, float decay) {
        for (int i = 0; i < len; i++) {
            float gi = g[go + i];
            float mi = b1 * m[mo + i] + c1 * gi;
            float vi = b2 * v[vo + i] + c2 * gi * gi;
            m[mo + i] = mi;
            v[vo + i] = vi;
            float denom = (float) Math.sqrt(vi) / bc2 + eps;
            p[po + i] = p[po + i] * decay - step * mi / denom;
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        for (int i = 0; i < len; i++) y[yo + i] += alpha * x[xo + i];
    }

    @Override
    public void scale(float alpha, float[] x, int xo, int len) {
        for (int i = 0; i < len; i++) x[xo + i] *= alpha;
    }

    @Override
    public void fill(float[] out, int oo, int len, float v) {
        java.util.Arrays.fill(out, oo, oo + len, v);
    }

    // ------------------------------------------------------------------ reductions

    @Override
    public float sum(float[] x, int xo, int len) {
        double total = 0;
        for (int s = 0; s < len; s += BLOCK) {
            int n = Math.min(BLOCK, len - s), base = xo + s;
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                a0 += x[base + i];
                a1 += x[base + i + 1];
                a2 += x[base + i + 2];
                a3 += x[base + i + 3];
            }
            if (i < n) a0 += x[base + i];
            if (i + 1 < n) a1 += x[base + i + 1];
            if (i + 2 < n) a2 += x[base + i + 2];
            total += (a0 + a1) + (a2 + a3);
        }
        return (float) total;
    }

    @Override
    public double sumDouble(float[] x, int xo, int len) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            a0 += x[xo + i];
            a1 += x[xo + i + 1];
            a2 += x[xo + i + 2];
            a3 += x[xo + i + 3];
        }
        for (; i < len; i++) a0 += x[xo + i];
        return (a0 + a1) + (a2 + a3);
    }

    @Override
    public float max(float[] x, int xo, int len) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    @Override
    public float min(float[] x, int xo, int len) {
        float m = Float.POSITIVE_INFINITY;
        for (int i = 0; i < len; i++) m = Math.min(m, x[xo + i]);
        return m;
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int len) {
        double total = 0;
        for (int s = 0; s < len; s += BLOCK) {
            int n = Math.min(BLOCK, len - s), pa = ao + s, pb = bo + s;
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                a0 += a[pa + i] * b[pb + i];
                a1 += a[pa + i + 1] * b[pb + i + 1];
                a2 += a[pa + i + 2] * b[pb + i + 2];
                a3 += a[pa + i + 3] * b[pb + i + 3];
            }
            if (i < n) a0 += a[pa + i] * b[pb + i];
            if (i + 1 < n) a1 += a[pa + i + 1] * b[pb + i + 1];
            if (i + 2 < n) a2 += a[pa + i + 2] * b[pb + i + 2];
            total += (a0 + a1) + (a2 + a3);
        }
        return (float) total;
    }

    @Override
    public float sumSquares(float[] x, int xo, int len) {
        return dot(x, xo, x, xo, len);
    }

    // ------------------------------------------------------------------ row kernels

    @Override
    public void softmaxRows(float[] x, int xo, float[] out, int oo, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, or = oo + r * cols;
            float m = max(x, xr, cols);
            for (int j = 0; j < cols; j++) out[or + j] = (float) Math.exp(x[xr + j] - m);
            float inv = 1f / sum(out, or, cols);
            for (int j = 0; j < cols; j++) out[or + j] *= inv;
        }
    }

    @Override
    public void logSoftmaxRows(float[] x, int xo, float[] out, int oo, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, or = oo + r * cols;
            float m = max(x, xr, cols);
            double s = 0;
            for (int j = 0; j < cols; j++) s += (float) Math.exp(x[xr + j] - m);
            float logSum = (float) Math.log(s);
            for (int j = 0; j < cols; j++) out[or + j] = (x[xr + j] - m) - logSum;
        }
    }

    @Override
    public void softmaxBackwardRows(float[] y, int yo, float[] gy, int gyo, float[] gx, int gxo, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int yr = yo + r * cols, gr = gyo + r * cols, xr = gxo + r * cols;
            float d = dot(gy, gr, y, yr, cols);
            for (int j = 0; j < cols; j++) gx[xr + j] = y[yr + j] * (gy[gr + j] - d);
        }
    }

    @Override
    public void logSoftmaxBackwardRows(float[] y, int yo, float[] gy, int gyo, float[] gx, int gxo, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int yr = yo + r * cols, gr = gyo + r * cols, xr = gxo + r * cols;
            float s = sum(gy, gr, cols);
            for (int j = 0; j < cols; j++) gx[xr + j] = gy[gr + j] - (float) Math.exp(y[yr + j]) * s;
        }
    }

    @Override
    public void layerNormRows(float[] x, int xo, float[] gamma, float[] beta, float eps, float[] out, int oo,
            float[] mean, float[] rstd, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, or = oo + r * cols;
            float mu = sum(x, xr, cols) / cols;
            float ss = 0;
            for (int j = 0; j < cols; j++) {
                float d = x[xr + j] - mu;
                ss += d * d;
            }
            float rs = (float) (1.0 / Math.sqrt(ss / cols + eps));
            if (mean != null) mean[r] = mu;
            if (rstd != null) rstd[r] = rs;
            for (int j = 0; j < cols; j++) {
                float v = (x[xr + j] - mu) * rs;
                if (gamma != null) v *= gamma[j];
                if (beta != null) v += beta[j];
                out[or + j] = v;
            }
        }
    }

    @Override
    public void layerNormBackwardRows(float[] x, int xo, float[] gamma, float[] mean, float[] rstd,
            float[] gy, int gyo, float[] gx, int gxo, float[] gGamma, float[] gBeta, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, gr = gyo + r * cols, dr = gxo + r * cols;
            float mu = mean[r], rs = rstd[r];
            float sg = 0, sgx = 0;
            for (int j = 0; j < cols; j++) {
                float xh = (x[xr + j] - mu) * rs;
                float g = gamma == null ? gy[gr + j] : gy[gr + j] * gamma[j];
                sg += g;
                sgx += g * xh;
                if (gGamma != null) gGamma[j] += gy[gr + j] * xh;
                if (gBeta != null) gBeta[j] += gy[gr + j];
            }
            float mg = sg / cols, mgx = sgx / cols;
            for (int j = 0; j < cols; j++) {
                float xh = (x[xr + j] - mu) * rs;
                float g = gamma == null ? gy[gr + j] : gy[gr + j] * gamma[j];
                gx[dr + j] = rs * (g - mg - xh * mgx);
            }
        }
    }

    @Override
    public void rmsNormRows(float[] x, int xo, float[] gamma, float eps, float[] out, int oo, float[] rstd,
            int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, or = oo + r * cols;
            float rs = (float) (1.0 / Math.sqrt(sumSquares(x, xr, cols) / cols + eps));
            if (rstd != null) rstd[r] = rs;
            for (int j = 0; j < cols; j++) {
                float v = x[xr + j] * rs;
                out[or + j] = gamma == null ? v : v * gamma[j];
            }
        }
    }

    @Override
    public void rmsNormBackwardRows(float[] x, int xo, float[] gamma, float[] rstd, float[] gy, int gyo,
            float[] gx, int gxo, float[] gGamma, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, gr = gyo + r * cols, dr = gxo + r * cols;
            float rs = rstd[r];
            float sgx = 0;
            for (int j = 0; j < cols; j++) {
                float xh = x[xr + j] * rs;
                float g = gamma == null ? gy[gr + j] : gy[gr + j] * gamma[j];
                sgx += g * xh;
                if (gGamma != null) gGamma[j] += gy[gr + j] * xh;
            }
            float mgx = sgx / cols;
            for (int j = 0; j < cols; j++) {
                float xh = x[xr + j] * rs;
                float g = gamma == null ? gy[gr + j] : gy[gr + j] * gamma[j];
                gx[dr + j] = rs * (g - xh * mgx);
            }
        }
    }
}
