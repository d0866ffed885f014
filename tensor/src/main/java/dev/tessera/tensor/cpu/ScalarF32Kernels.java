package dev.tessera.tensor.cpu;

import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.UnaryOp;

/** Plain-loop float32 kernels: the reference twin of the Vector API kernels. */
public final class ScalarF32Kernels implements F32Kernels {
    /** The single instance. */
    public static final ScalarF32Kernels INSTANCE = new ScalarF32Kernels();

    private ScalarF32Kernels() {}

    @Override
    public void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int len) {
        switch (op) {
            case ADD -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] + b[bo + i]; }
            case SUB -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] - b[bo + i]; }
            case MUL -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] * b[bo + i]; }
            case DIV -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] / b[bo + i]; }
            default -> { for (int i = 0; i < len; i++) out[oo + i] = (float) op.apply(a[ao + i], b[bo + i]); }
        }
    }

    @Override
    public void binaryScalar(BinaryOp op, float[] a, int ao, float s, float[] out, int oo, int len) {
        switch (op) {
            case ADD -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] + s; }
            case SUB -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] - s; }
            case MUL -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] * s; }
            case DIV -> { for (int i = 0; i < len; i++) out[oo + i] = a[ao + i] / s; }
            default -> { for (int i = 0; i < len; i++) out[oo + i] = (float) op.apply(a[ao + i], s); }
        }
    }

    @Override
    public void scalarBinary(BinaryOp op, float s, float[] b, int bo, float[] out, int oo, int len) {
        for (int i = 0; i < len; i++) out[oo + i] = (float) op.apply(s, b[bo + i]);
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xo, float[] out, int oo, int len) {
        for (int i = 0; i < len; i++) out[oo + i] = (float) op.apply(x[xo + i]);
    }

    @Override
    public void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        for (int i = 0; i < len; i++) y[yo + i] += alpha * x[xo + i];
    }

    @Override
    public float sum(float[] x, int xo, int len) {
        float s = 0;
        for (int i = 0; i < len; i++) s += x[xo + i];
        return s;
    }

    @Override
    public double sumDouble(float[] x, int xo, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) s += x[xo + i];
        return s;
    }

    @Override
    public float max(float[] x, int xo, int len) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) {
            float v = x[xo + i];
            if (v != v) return v;
            if (v > m) m = v;
        }
        return m;
    }

    @Override
    public float min(float[] x, int xo, int len) {
        float m = Float.POSITIVE_INFINITY;
        for (int i = 0; i < len; i++) {
            float v = x[xo + i];
            if (v != v) return v;
            if (v < m) m = v;
        }
        return m;
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int len) {
        float s = 0;
        for (int i = 0; i < len; i++) s += a[ao + i] * b[bo + i];
        return s;
    }
}
