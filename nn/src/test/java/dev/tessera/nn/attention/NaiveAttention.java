package dev.tessera.nn.attention;

/** Float64 loop references for attention tests: per query head, per query row, an explicit softmax. */
final class NaiveAttention {
    private NaiveAttention() {}

    /**
     * Attention on flat row-major arrays: q [B,H,Tq,D], k [B,Hkv,Tk,D], v [B,Hkv,Tk,Dv], pad [B,Tk]
     * (true = masked, nullable); query i sees key j when {@code !causal || j <= i + offset}. Fully masked rows give 0.
     */
    static double[] sdpa(double[] q, double[] k, double[] v, int b, int h, int hkv, int tq, int tk, int d, int dv,
                         boolean[] pad, boolean causal, int offset, double scale) {
        double[] out = new double[b * h * tq * dv];
        int g = h / hkv;
        for (int bi = 0; bi < b; bi++) for (int hi = 0; hi < h; hi++) {
            int kh = hi / g;
            for (int i = 0; i < tq; i++) {
                double[] s = new double[tk];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tk; j++) {
                    boolean masked = (pad != null && pad[bi * tk + j]) || (causal && j > i + offset);
                    if (masked) { s[j] = Double.NEGATIVE_INFINITY; continue; }
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q[((bi * h + hi) * tq + i) * d + c] * k[((bi * hkv + kh) * tk + j) * d + c];
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) continue;
                double z = 0;
                for (int j = 0; j < tk; j++) z += s[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max);
                for (int j = 0; j < tk; j++) {
                    if (s[j] == Double.NEGATIVE_INFINITY) continue;
                    double p = Math.exp(s[j] - max) / z;
                    for (int c = 0; c < dv; c++) out[((bi * h + hi) * tq + i) * dv + c] += p * v[((bi * hkv + kh) * tk + j) * dv + c];
                }
            }
        }
        return out;
    }

    /** y = x W^T + bias for x [n, in], W [out, in] (bias nullable). */
    static double[] linear(double[] x, int n, int in, double[] w, double[] bias, int out) {
        double[] y = new double[n * out];
        for (int r = 0; r < n; r++) for (int o = 0; o < out; o++) {
            double s = bias == null ? 0 : bias[o];
            for (int c = 0; c < in; c++) s += x[r * in + c] * w[o * in + c];
            y[r * out + o] = s;
        }
        return y;
    }

    /** [B, T, H, D] to [B, H, T, D]. */
    static double[] toHeads(double[] y, int b, int t, int h, int d) {
        double[] o = new double[y.length];
        for (int bi = 0; bi < b; bi++) for (int ti = 0; ti < t; ti++) for (int hi = 0; hi < h; hi++) for (int c = 0; c < d; c++)
            o[((bi * h + hi) * t + ti) * d + c] = y[((bi * t + ti) * h + hi) * d + c];
        return o;
    }

    /** [B, H, T, D] to [B, T, H, D]. */
    static double[] fromHeads(double[] y, int b, int t, int h, int d) {
        double[] o = new double[y.length];
        for (int bi = 0; bi < b; bi++) for (int ti = 0; ti < t; ti++) for (int hi = 0; hi < h; hi++) for (int c = 0; c < d; c++)
            o[((bi * t + ti) * h + hi) * d + c] = y[((bi * h + hi) * t + ti) * d + c];
        return o;
    }

    /** The whole multi-head attention layer in float64 loops, reading the layer's own weights. */
    static double[] mha(MultiHeadAttention m, double[] x, double[] mem, int b, int tq, int tk, boolean[] pad, boolean causal) {
        int dm = m.dModel(), h = m.heads(), hkv = m.kvHeads(), hd = m.headDim();
        double[] q = toHeads(linear(x, b * tq, dm, w(m.q().weight()), bias(m.q().bias()), dm), b, tq, h, hd);
        double[] k = toHeads(linear(mem, b * tk, dm, w(m.k().weight()), bias(m.k().bias()), hkv * hd), b, tk, hkv, hd);
        double[] v = toHeads(linear(mem, b * tk, dm, w(m.v().weight()), bias(m.v().bias()), hkv * hd), b, tk, hkv, hd);
        double[] o = fromHeads(sdpa(q, k, v, b, h, hkv, tq, tk, hd, hd, pad, causal, 0, 1 / Math.sqrt(hd)), b, tq, h, hd);
        return linear(o, b * tq, dm, w(m.out().weight()), bias(m.out().bias()), dm);
    }

    private static double[] w(dev.tessera.nn.Parameter p) {
        return p.value().toDoubleArray();
    }

    private static double[] bias(dev.tessera.nn.Parameter p) {
        return p == null ? null : p.value().toDoubleArray();
    }
}
