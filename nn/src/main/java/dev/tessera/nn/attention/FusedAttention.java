package dev.tessera.nn.attention;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.util.stream.IntStream;

/**
 * Fused scaled dot-product attention kernels on host arrays (FlashAttention-2 style): the forward
 * streams over key blocks with an online softmax (running max and sum), so at most one block of
 * {@link #KEY_BLOCK} scores per query row exists at a time, and returns the output with the row
 * log-sum-exp; the backward recomputes the probabilities from the log-sum-exp. Arithmetic is float64
 * whatever the input dtype; results come back in the input dtype and device.
 *
 * <p>Shapes and masks as in {@link Sdpa}; query head h reads kv head {@code h / (H / Hkv)} by index.
 * Rows with no visible key give output 0, log-sum-exp -infinity and zero gradients. Work is split over
 * (batch, kv head) so every dk/dv row has one writer.
 */
public final class FusedAttention {
    /** Keys scored at once per query row. */
    static final int KEY_BLOCK = 64;

    private FusedAttention() {}

    /** Output and row log-sum-exp of one attention call. */
    public record Result(Tensor out, Tensor lse) {}

    /** Gradients with respect to q, k and v. */
    public record Grads(Tensor dq, Tensor dk, Tensor dv) {}

    /** Forward: out [B, H, Tq, Dv] and lse [B, H, Tq]. */
    public static Result forward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, double scale, int causalOffset) {
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), hkv = k.dim(1), tk = k.dim(2), dv = v.dim(3), g = h / hkv;
        double[] qa = host(q), ka = host(k), va = host(v);
        boolean[] pad = keyPadding == null ? null : keyPadding.contiguous().toBooleanArray();
        double[] out = new double[b * h * tq * dv], lse = new double[b * h * tq];
        IntStream.range(0, b * h).parallel().forEach(bh -> {
            int bi = bh / h, kvBase = (bi * hkv + (bh % h) / g) * tk;
            double[] s = new double[KEY_BLOCK], acc = new double[dv];
            for (int i = 0; i < tq; i++) {
                int qRow = (bh * tq + i) * d;
                int limit = causal ? Math.min(tk, i + causalOffset + 1) : tk;
                double m = Double.NEGATIVE_INFINITY, l = 0;
                java.util.Arrays.fill(acc, 0);
                for (int j0 = 0; j0 < limit; j0 += KEY_BLOCK) {
                    int n = Math.min(KEY_BLOCK, limit - j0);
                    double blockMax = Double.NEGATIVE_INFINITY;
                    for (int jj = 0; jj < n; jj++) {
                        int j = j0 + jj;
                        if (pad != null && pad[bi * tk + j]) { s[jj] = Double.NEGATIVE_INFINITY; continue; }
                        double dot = 0;
                        int kRow = (kvBase + j) * d;
                        for (int c = 0; c < d; c++) dot += qa[qRow + c] * ka[kRow + c];
                        s[jj] = dot * scale;
                        blockMax = Math.max(blockMax, s[jj]);
                    }
                    if (blockMax == Double.NEGATIVE_INFINITY) continue;
                    double mNew = Math.max(m, blockMax), corr = Math.exp(m - mNew);   // exp(-inf) = 0 on the first block
                    l *= corr;
                    for (int c = 0; c < dv; c++) acc[c] *= corr;
                    for (int jj = 0; jj < n; jj++) {
                        if (s[jj] == Double.NEGATIVE_INFINITY) continue;
                        double p = Math.exp(s[jj] - mNew);
                        l += p;
                        int vRow = (kvBase + j0 + jj) * dv;
                        for (int c = 0; c < dv; c++) acc[c] += p * va[vRow + c];
                    }
                    m = mNew;
                }
                int oRow = (bh * tq + i) * dv;
                if (l == 0) {
                    lse[bh * tq + i] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                for (int c = 0; c < dv; c++) out[oRow + c] = acc[c] / l;
                lse[bh * tq + i] = m + Math.log(l);
            }
        });
        return new Result(back(out, q, b, h, tq, dv), back(lse, q, b, h, tq));
    }

    /** Backward from the forward's output and log-sum-exp and the output gradient. */
    public static Grads backward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor keyPadding, boolean causal,
                                 double scale, int causalOffset) {
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), hkv = k.dim(1), tk = k.dim(2), dv = v.dim(3), g = h / hkv;
        double[] qa = host(q), ka = host(k), va = host(v), oa = host(out), la = host(lse), go = host(gOut);
        boolean[] pad = keyPadding == null ? null : keyPadding.contiguous().toBooleanArray();
        double[] dq = new double[qa.length], dk = new double[ka.length], dvv = new double[va.length];
        IntStream.range(0, b * hkv).parallel().forEach(bk -> {
            int bi = bk / hkv, kvBase = bk * tk;
            for (int hh = 0; hh < g; hh++) {
                int bh = bi * h + (bk % hkv) * g + hh;
                for (int i = 0; i < tq; i++) {
                    double rowLse = la[bh * tq + i];
                    if (rowLse == Double.NEGATIVE_INFINITY) continue;
                    int qRow = (bh * tq + i) * d, oRow = (bh * tq + i) * dv;
                    double delta = 0;
                    for (int c = 0; c < dv; c++) delta += go[oRow + c] * oa[oRow + c];
                    int limit = causal ? Math.min(tk, i + causalOffset + 1) : tk;
                    for (int j = 0; j < limit; j++) {
                        if (pad != null && pad[bi * tk + j]) continue;
                        int kRow = (kvBase + j) * d, vRow = (kvBase + j) * dv;
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += qa[qRow + c] * ka[kRow + c];
                        double p = Math.exp(dot * scale - rowLse), dp = 0;
                        for (int c = 0; c < dv; c++) {
                            dvv[vRow + c] += p * go[oRow + c];
                            dp += go[oRow + c] * va[vRow + c];
                        }
                        double ds = p * (dp - delta) * scale;
                        for (int c = 0; c < d; c++) {
                            dq[qRow + c] += ds * ka[kRow + c];
                            dk[kRow + c] += ds * qa[qRow + c];
                        }
                    }
                }
            }
        });
        return new Grads(back(dq, q, q.shape()), back(dk, k, k.shape()), back(dvv, v, v.shape()));
    }

    private static double[] host(Tensor t) {
        return t.contiguous().toDoubleArray();
    }

    private static Tensor back(double[] data, Tensor like, int... shape) {
        Tensor t = Tensor.of(data, shape);
        if (like.dtype() != DType.F64) t = t.to(like.dtype());
        return t.to(like.device());
    }
}
