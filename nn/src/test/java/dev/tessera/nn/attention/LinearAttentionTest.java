package dev.tessera.nn.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.ModuleGradCheck;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LinearAttentionTest {
    private static double phi(double x) {
        return x > 0 ? x + 1 : Math.exp(x);
    }

    /** The explicit N x N form: A_ij = phi(q_i) . phi(k_j) over visible keys, out_i = sum_j A_ij v_j / sum_j A_ij. */
    static double[] oracle(double[] q, double[] k, double[] v, int b, int h, int hkv, int tq, int tk, int d, int dv,
                           boolean[] pad, boolean causal) {
        double[] out = new double[b * h * tq * dv];
        int g = h / hkv;
        for (int bi = 0; bi < b; bi++) for (int hi = 0; hi < h; hi++) for (int i = 0; i < tq; i++) {
            int kh = hi / g;
            double z = 0;
            double[] acc = new double[dv];
            for (int j = 0; j < tk; j++) {
                if ((pad != null && pad[bi * tk + j]) || (causal && j > i)) continue;
                double a = 0;
                for (int c = 0; c < d; c++) a += phi(q[((bi * h + hi) * tq + i) * d + c]) * phi(k[((bi * hkv + kh) * tk + j) * d + c]);
                z += a;
                for (int c = 0; c < dv; c++) acc[c] += a * v[((bi * hkv + kh) * tk + j) * dv + c];
            }
            for (int c = 0; c < dv; c++) out[((bi * h + hi) * tq + i) * dv + c] = z == 0 ? 0 : acc[c] / z;
        }
        return out;
    }

    @Test
    void equalsNxNOracleCausalAndNotWithKvHeadsAndPadding() {
        Rng rng = new Rng(1);
        int b = 3, h = 4, t = 5, d = 3, dv = 2;
        Tensor pad = AttentionMask.keyPadding(new int[] {5, 2, 0}, t);
        for (int hkv : new int[] {4, 2, 1}) {
            Tensor q = Tensor.randn(rng, DType.F64, b, h, t, d), k = Tensor.randn(rng, DType.F64, b, hkv, t, d);
            Tensor v = Tensor.randn(rng, DType.F64, b, hkv, t, dv);
            for (boolean causal : new boolean[] {false, true}) {
                for (Tensor p : new Tensor[] {null, pad}) {
                    double[] got = LinearAttention.attend(Variable.constant(q), Variable.constant(k), Variable.constant(v), p, causal)
                            .value().toDoubleArray();
                    double[] want = oracle(q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), b, h, hkv, t, t, d, dv,
                            p == null ? null : p.toBooleanArray(), causal);
                    assertArrayEquals(want, got, 1e-12, "kvHeads " + hkv + ", causal " + causal + ", padding " + (p != null));
                }
            }
        }
    }

    @Test
    void nonCausalCrossLengthsEqualOracle() {
        Rng rng = new Rng(2);
        Tensor q = Tensor.randn(rng, DType.F64, 2, 2, 3, 4), k = Tensor.randn(rng, DType.F64, 2, 1, 6, 4);
        Tensor v = Tensor.randn(rng, DType.F64, 2, 1, 6, 3);
        double[] got = LinearAttention.attend(Variable.constant(q), Variable.constant(k), Variable.constant(v), null, false)
                .value().toDoubleArray();
        assertArrayEquals(oracle(q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), 2, 2, 1, 3, 6, 4, 3, null, false), got, 1e-12);
    }

    @Test
    void gradcheckCausalAndNot() {
        Rng rng = new Rng(3);
        Tensor pad = AttentionMask.keyPadding(new int[] {4, 3}, 4);
        for (boolean causal : new boolean[] {false, true}) {
            Tensor w = Tensor.randn(rng, DType.F64, 2, 2, 4, 2);
            GradCheck.assertGradients(x -> LinearAttention.attend(x[0], x[1], x[2], pad, causal).mul(Variable.constant(w)).sum(),
                    Tensor.randn(rng, DType.F64, 2, 2, 4, 3), Tensor.randn(rng, DType.F64, 2, 1, 4, 3),
                    Tensor.randn(rng, DType.F64, 2, 1, 4, 2));
        }
    }

    @Test
    void moduleMatchesProjectionsPlusOracleAndPassesGradcheck() {
        int b = 2, t = 4, d = 8, h = 4, hkv = 2, hd = 2;
        LinearAttention m = new LinearAttention(d, h, hkv, true, DType.F64, new Rng(5));
        Tensor x = Tensor.randn(new Rng(6), DType.F64, b, t, d);
        Tensor pad = AttentionMask.keyPadding(new int[] {4, 3}, t);
        double[] xs = x.toDoubleArray();
        double[] q = NaiveAttention.toHeads(NaiveAttention.linear(xs, b * t, d, m.q().weight().value().toDoubleArray(),
                m.q().bias().value().toDoubleArray(), d), b, t, h, hd);
        double[] k = NaiveAttention.toHeads(NaiveAttention.linear(xs, b * t, d, m.k().weight().value().toDoubleArray(),
                m.k().bias().value().toDoubleArray(), hkv * hd), b, t, hkv, hd);
        double[] v = NaiveAttention.toHeads(NaiveAttention.linear(xs, b * t, d, m.v().weight().value().toDoubleArray(),
                m.v().bias().value().toDoubleArray(), hkv * hd), b, t, hkv, hd);
        double[] o = NaiveAttention.fromHeads(oracle(q, k, v, b, h, hkv, t, t, hd, hd, pad.toBooleanArray(), true), b, t, h, hd);
        double[] want = NaiveAttention.linear(o, b * t, d, m.out().weight().value().toDoubleArray(), m.out().bias().value().toDoubleArray(), d);
        assertArrayEquals(want, m.forward(Variable.constant(x), pad, true).value().toDoubleArray(), 1e-12);

        LinearAttention small = new LinearAttention(4, 2, 1, true, new Rng(7));
        ModuleGradCheck.check(small, xv -> small.forward(xv, null, true), Tensor.randn(new Rng(8), DType.F64, 2, 3, 4), true);
    }
}
