package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.internal.cpu.CpuAttention.View;
import java.util.Arrays;

/**
 * The float64 path of the fused attention (used by float64 models and the oracle tests): the same
 * algorithm as the float32 kernels written as plain loops. Forward: one task per (batch, query head);
 * each query row streams over blocks of {@link #KEY_BLOCK} keys with an online softmax, so at most one
 * block of scores per row exists. Backward: one task per (batch, kv head), recomputing each
 * probability from the saved log-sum-exp; dk and dv of a kv head have a single writer.
 */
final class CpuAttentionF64 {
    /** Keys scored at once per query row. */
    static final int KEY_BLOCK = 64;

    private CpuAttentionF64() {}

    private static boolean padded(byte[] pad, int padOff, int bi, int tk, int j) {
        return pad != null && pad[padOff + bi * tk + j] != 0;
    }

    static Tensor[] forward(Tensor q0, Tensor k0, Tensor v0, Tensor keyPadding, boolean causal, int off, double scale) {
        Tensor q = CpuAttention.unitLast(q0), k = CpuAttention.unitLast(k0), v = CpuAttention.unitLast(v0);
        Tensor pm = CpuAttention.padding(keyPadding);
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), hkv = k.dim(1), tk = k.dim(2), dv = v.dim(3), g = h / hkv;
        Tensor out = CpuAttention.allocLike(DType.F64, q, dv);
        Tensor lse = CpuBackend.alloc(DType.F64, new int[] {b, h, tq});
        double[] qa = CpuBackend.st(q).f64(), ka = CpuBackend.st(k).f64(), va = CpuBackend.st(v).f64();
        double[] oa = CpuBackend.st(out).f64(), la = CpuBackend.st(lse).f64();
        byte[] pad = pm == null ? null : CpuBackend.st(pm).bool();
        int padOff = pm == null ? 0 : pm.offset();
        View qv = View.of(q), kv = View.of(k), vv = View.of(v), ov = View.of(out);
        Parallel.forTasks(b * h, bh -> {
            int bi = bh / h, hi = bh % h, kvh = hi / g;
            double[] s = new double[KEY_BLOCK], acc = new double[dv];
            for (int i = 0; i < tq; i++) {
                int qRow = qv.row(bi, hi, i), oRow = ov.row(bi, hi, i);
                int limit = causal ? CpuAttention.causalEnd(tk, i, 1, off) : tk;
                double m = Double.NEGATIVE_INFINITY, l = 0;
                Arrays.fill(acc, 0);
                for (int j0 = 0; j0 < limit; j0 += KEY_BLOCK) {
                    int n = Math.min(KEY_BLOCK, limit - j0);
                    double blockMax = Double.NEGATIVE_INFINITY;
                    for (int jj = 0; jj < n; jj++) {
                        int j = j0 + jj;
                        if (padded(pad, padOff, bi, tk, j)) {
                            s[jj] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        int kRow = kv.row(bi, kvh, j);
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
                        int vRow = vv.row(bi, kvh, j0 + jj);
                        for (int c = 0; c < dv; c++) acc[c] += p * va[vRow + c];
                    }
                    m = mNew;
                }
                if (l == 0) {
                    la[bh * tq + i] = Double.NEGATIVE_INFINITY;   // the output row stays 0
                    continue;
                }
                for (int c = 0; c < dv; c++) oa[oRow + c] = acc[c] / l;
                la[bh * tq + i] = m + Math.log(l);
            }
        });
        return new Tensor[] {out, lse};
    }

    static Tensor[] backward(Tensor q0, Tensor k0, Tensor v0, Tensor out0, Tensor lse0, Tensor gOut0, Tensor keyPadding, boolean causal,
                             int off, double scale) {
        Tensor q = CpuAttention.unitLast(q0), k = CpuAttention.unitLast(k0), v = CpuAttention.unitLast(v0);
        Tensor out = CpuAttention.unitLast(out0), gOut = CpuAttention.unitLast(gOut0), lse = lse0.contiguous();
        Tensor pm = CpuAttention.padding(keyPadding);
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), hkv = k.dim(1), tk = k.dim(2), dv = v.dim(3), g = h / hkv;
        Tensor dq = CpuAttention.allocLike(DType.F64, q, d), dk = CpuAttention.allocLike(DType.F64, k, d);
        Tensor dvT = CpuAttention.allocLike(DType.F64, v, dv);
        double[] qa = CpuBackend.st(q).f64(), ka = CpuBackend.st(k).f64(), va = CpuBackend.st(v).f64(), oa = CpuBackend.st(out).f64();
        double[] go = CpuBackend.st(gOut).f64(), la = CpuBackend.st(lse).f64();
        double[] dqa = CpuBackend.st(dq).f64(), dka = CpuBackend.st(dk).f64(), dva = CpuBackend.st(dvT).f64();
        byte[] pad = pm == null ? null : CpuBackend.st(pm).bool();
        int padOff = pm == null ? 0 : pm.offset(), lOff = lse.offset();
        View qv = View.of(q), kv = View.of(k), vv = View.of(v), ov = View.of(out), gv = View.of(gOut);
        View dqv = View.of(dq), dkv = View.of(dk), dvv = View.of(dvT);
        Parallel.forTasks(b * hkv, bk -> {
            int bi = bk / hkv, kvh = bk % hkv;
            for (int hh = 0; hh < g; hh++) {
                int hi = kvh * g + hh;
                for (int i = 0; i < tq; i++) {
                    double rowLse = la[lOff + (bi * h + hi) * tq + i];
                    if (rowLse == Double.NEGATIVE_INFINITY) continue;
                    int qRow = qv.row(bi, hi, i), oRow = ov.row(bi, hi, i), gRow = gv.row(bi, hi, i), dqRow = dqv.row(bi, hi, i);
                    double delta = 0;
                    for (int c = 0; c < dv; c++) delta += go[gRow + c] * oa[oRow + c];
                    int limit = causal ? CpuAttention.causalEnd(tk, i, 1, off) : tk;
                    for (int j = 0; j < limit; j++) {
                        if (padded(pad, padOff, bi, tk, j)) continue;
                        int kRow = kv.row(bi, kvh, j), vRow = vv.row(bi, kvh, j);
                        int dkRow = dkv.row(bi, kvh, j), dvRow = dvv.row(bi, kvh, j);
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += qa[qRow + c] * ka[kRow + c];
                        double p = Math.exp(dot * scale - rowLse), dp = 0;
                        for (int c = 0; c < dv; c++) {
                            dva[dvRow + c] += p * go[gRow + c];
                            dp += go[gRow + c] * va[vRow + c];
                        }
                        double ds = p * (dp - delta) * scale;
                        for (int c = 0; c < d; c++) {
                            dqa[dqRow + c] += ds * ka[kRow + c];
                            dka[dkRow + c] += ds * qa[qRow + c];
                        }
                    }
                }
            }
        });
        return new Tensor[] {dq, dk, dvT};
    }
}
