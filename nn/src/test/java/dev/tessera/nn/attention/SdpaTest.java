package dev.tessera.nn.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class SdpaTest {
    private static Variable c(double[] data, int... shape) {
        return Variable.constant(Tensor.of(data, shape));
    }

    @Test
    void oneHeadTwoTokensByHand() {
        Variable q = c(new double[] {1, 0, 0, 1}, 1, 1, 2, 2);
        Variable k = c(new double[] {1, 0, 0, 1}, 1, 1, 2, 2);
        Variable v = c(new double[] {1, 2, 3, 4}, 1, 1, 2, 2);
        double a = 1 / Math.sqrt(2), p = Math.exp(a) / (Math.exp(a) + 1);
        double[] expect = {p * 1 + (1 - p) * 3, p * 2 + (1 - p) * 4, (1 - p) * 1 + p * 3, (1 - p) * 2 + p * 4};
        assertArrayEquals(expect, Sdpa.attention(q, k, v, null, false, 0, 0, null).value().toDoubleArray(), 1e-12);
        // causal: token 0 sees only itself, token 1 both
        double[] causal = {1, 2, (1 - p) * 1 + p * 3, (1 - p) * 2 + p * 4};
        assertArrayEquals(causal, Sdpa.attention(q, k, v, null, true, 0, 0, null).value().toDoubleArray(), 1e-12);
        // padding key 1: both tokens see only key 0
        Tensor pad = AttentionMask.keyPadding(new int[] {1}, 2);
        assertArrayEquals(new double[] {1, 2, 1, 2}, Sdpa.attention(q, k, v, pad, false, 0, 0, null).value().toDoubleArray(), 1e-12);
    }

    @Test
    void masksMatchNaiveReferenceWithGroupedHeads() {
        Rng rng = new Rng(3);
        int b = 3, h = 4, hkv = 2, tq = 5, tk = 6, d = 3, dv = 2;
        Tensor q = Tensor.randn(rng, DType.F64, b, h, tq, d), k = Tensor.randn(rng, DType.F64, b, hkv, tk, d);
        Tensor v = Tensor.randn(rng, DType.F64, b, hkv, tk, dv);
        Tensor pad = AttentionMask.keyPadding(new int[] {6, 3, 0}, tk);   // batch 2 fully masked: rows must be 0
        for (boolean causal : new boolean[] {false, true}) {
            for (Tensor p : new Tensor[] {null, pad}) {
                double[] got = Sdpa.attention(Variable.constant(q), Variable.constant(k), Variable.constant(v), p, causal, 1, 0, null)
                        .value().toDoubleArray();
                double[] want = NaiveAttention.sdpa(q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), b, h, hkv, tq, tk, d, dv,
                        p == null ? null : p.toBooleanArray(), causal, 1, 1 / Math.sqrt(d));
                assertArrayEquals(want, got, 1e-12, "causal " + causal + ", padding " + (p != null));
            }
        }
    }

    @Test
    void gradcheckMhaGqaMqaWithMasks() {
        Rng rng = new Rng(5);
        Tensor pad = AttentionMask.keyPadding(new int[] {4, 2}, 4);
        for (int hkv : new int[] {4, 2, 1}) {
            Tensor w = Tensor.randn(rng, DType.F64, 2, 4, 3, 2);
            GradCheck.assertGradients(x -> Sdpa.attention(x[0], x[1], x[2], pad, true, 0, 0, null).mul(Variable.constant(w)).sum(),
                    Tensor.randn(rng, DType.F64, 2, 4, 3, 2), Tensor.randn(rng, DType.F64, 2, hkv, 4, 2),
                    Tensor.randn(rng, DType.F64, 2, hkv, 4, 2));
        }
    }

    @Test
    void sharedKvHeadGradientIsSumOverItsQueryHeads() {
        Rng rng = new Rng(9);
        int b = 2, h = 4, t = 3, d = 2;
        Tensor q = Tensor.randn(rng, DType.F64, b, h, t, d), k = Tensor.randn(rng, DType.F64, b, 1, t, d);
        Tensor v = Tensor.randn(rng, DType.F64, b, 1, t, d), w = Tensor.randn(rng, DType.F64, b, h, t, d);
        Variable kq = Variable.leaf(k), vq = Variable.leaf(v);
        Sdpa.attention(Variable.constant(q), kq, vq, null, true, 0, 0, null).mul(Variable.constant(w)).sum().backward();
        // the same computation with the kv head materialized once per query head (test-only repeat)
        Variable kr = Variable.leaf(k.expand(b, h, t, d).contiguous()), vr = Variable.leaf(v.expand(b, h, t, d).contiguous());
        Variable full = Sdpa.attention(Variable.constant(q), kr, vr, null, true, 0, 0, null);
        assertArrayEquals(Sdpa.attention(Variable.constant(q), Variable.constant(k), Variable.constant(v), null, true, 0, 0, null)
                .value().toDoubleArray(), full.value().toDoubleArray(), 1e-12);
        full.mul(Variable.constant(w)).sum().backward();
        assertArrayEquals(kr.grad().sumKeepDims(1).toDoubleArray(), kq.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(vr.grad().sumKeepDims(1).toDoubleArray(), vq.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void dropoutNeedsRngAndChangesTheOutput() {
        Rng rng = new Rng(2);
        Variable q = Variable.constant(Tensor.randn(rng, DType.F64, 1, 2, 4, 3));
        Variable k = Variable.constant(Tensor.randn(rng, DType.F64, 1, 2, 4, 3));
        Variable v = Variable.constant(Tensor.randn(rng, DType.F64, 1, 2, 4, 3));
        assertThrows(IllegalArgumentException.class, () -> Sdpa.attention(q, k, v, null, false, 0, 0.5, null));
        double[] plain = Sdpa.attention(q, k, v, null, false, 0, 0, null).value().toDoubleArray();
        double[] dropped = Sdpa.attention(q, k, v, null, false, 0, 0.5, new Rng(4)).value().toDoubleArray();
        double diff = 0;
        for (int i = 0; i < plain.length; i++) diff += Math.abs(plain[i] - dropped[i]);
        assertEquals(true, diff > 1e-6, "dropout had no effect");
    }

    @Test
    void rejectsIncompatibleHeads() {
        Variable q = Variable.constant(Tensor.zeros(DType.F64, 1, 3, 2, 2));
        Variable k = Variable.constant(Tensor.zeros(DType.F64, 1, 2, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Sdpa.attention(q, k, k, null, false, 0, 0, null));
    }
}
