package dev.tessera.nn.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class FusedAttentionTest {
    /** Compares fused and composite outputs and q/k/v gradients for one configuration. */
    private static void compare(DType dt, int b, int h, int hkv, int tq, int tk, int d, Tensor pad, boolean causal, int offset, double tol,
                                long seed) {
        Rng rng = new Rng(seed);
        Tensor q = Tensor.randn(rng, dt, b, h, tq, d), k = Tensor.randn(rng, dt, b, hkv, tk, d), v = Tensor.randn(rng, dt, b, hkv, tk, d);
        Tensor w = Tensor.randn(rng, dt, b, h, tq, d);
        double scale = 1 / Math.sqrt(d);
        Variable[] f = {Variable.leaf(q), Variable.leaf(k), Variable.leaf(v)}, c = {Variable.leaf(q), Variable.leaf(k), Variable.leaf(v)};
        Variable of = Sdpa.fused(f[0], f[1], f[2], pad, causal, offset, scale);
        Variable oc = Sdpa.composite(c[0], c[1], c[2], pad, causal, offset, scale, 0, null);
        String what = dt + " H " + h + " Hkv " + hkv + " Tq " + tq + " Tk " + tk + " causal " + causal + " pad " + (pad != null);
        double[] naive = NaiveAttention.sdpa(q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), b, h, hkv, tq, tk, d, d,
                pad == null ? null : pad.toBooleanArray(), causal, offset, scale);
        assertArrayEquals(naive, of.value().toDoubleArray(), tol, "forward vs float64 loops " + what);
        assertArrayEquals(oc.value().toDoubleArray(), of.value().toDoubleArray(), tol, "forward " + what);
        of.mul(Variable.constant(w)).sum().backward();
        oc.mul(Variable.constant(w)).sum().backward();
        for (int i = 0; i < 3; i++) assertArrayEquals(c[i].grad().toDoubleArray(), f[i].grad().toDoubleArray(), tol, "grad " + i + " " + what);
    }

    @Test
    void fusedEqualsCompositeForwardAndBackwardWithMasks() {
        Tensor pad = AttentionMask.keyPadding(new int[] {150, 70, 0}, 150);   // key length spans three key blocks
        for (int hkv : new int[] {4, 2, 1}) {
            for (boolean causal : new boolean[] {false, true}) {
                for (Tensor p : new Tensor[] {null, pad}) compare(DType.F64, 3, 4, hkv, 150, 150, 8, p, causal, 0, 1e-11, 10 + hkv);
            }
        }
    }

    @Test
    void fusedEqualsCompositeInFloat32AndWithCacheOffset() {
        compare(DType.F32, 2, 4, 2, 70, 70, 16, AttentionMask.keyPadding(new int[] {70, 33}, 70), true, 0, 2e-5, 1);
        // more keys than one key block and more queries than one query block, head dim of the benchmark
        Tensor pad = AttentionMask.keyPadding(new int[] {300, 190}, 300);
        compare(DType.F32, 2, 6, 6, 130, 300, 64, null, false, 0, 5e-5, 21);    // MHA
        compare(DType.F32, 2, 6, 2, 130, 300, 64, pad, true, 0, 5e-5, 22);     // GQA, causal and padding
        compare(DType.F32, 2, 6, 1, 130, 300, 64, pad, false, 0, 5e-5, 23);    // MQA, padding
        compare(DType.F32, 2, 6, 2, 130, 300, 64, null, true, 170, 5e-5, 24);  // causal with an offset (queries after a cache)
        compare(DType.F32, 3, 4, 4, 1, 37, 8, null, false, 0, 2e-5, 4);        // one query
        compare(DType.F32, 2, 2, 1, 1, 9, 5, AttentionMask.keyPadding(new int[] {9, 4}, 9), true, 8, 2e-5, 5);   // one decoding step
        // a decoding step: 3 new queries after 5 cached keys
        compare(DType.F64, 2, 2, 1, 3, 8, 4, AttentionMask.keyPadding(new int[] {8, 6}, 8), true, 5, 1e-12, 2);
    }

    @Test
    void gradcheckFusedAndComposite() {
        Rng rng = new Rng(3);
        Tensor pad = AttentionMask.keyPadding(new int[] {4, 1}, 4);
        Tensor w = Tensor.randn(rng, DType.F64, 2, 2, 4, 3);
        Tensor q = Tensor.randn(rng, DType.F64, 2, 2, 4, 3), k = Tensor.randn(rng, DType.F64, 2, 1, 4, 3), v = Tensor.randn(rng, DType.F64, 2, 1, 4, 3);
        GradCheck.assertGradients(x -> Sdpa.fused(x[0], x[1], x[2], pad, true, 0, 0.7).mul(Variable.constant(w)).sum(), q, k, v);
        GradCheck.assertGradients(x -> Sdpa.composite(x[0], x[1], x[2], pad, true, 0, 0.7, 0, null).mul(Variable.constant(w)).sum(), q, k, v);
    }

    @Test
    void logSumExpMatchesDirectComputationAndFullyMaskedRowsAreZero() {
        Tensor q = Tensor.of(new double[] {1, 0, 0, 1}, 1, 1, 2, 2), k = Tensor.of(new double[] {1, 0, 0, 1}, 1, 1, 2, 2);
        FusedAttention.Result r = FusedAttention.forward(q, k, k, null, true, 1.0, 0);
        assertEquals(1.0, r.lse().get(0, 0, 0), 1e-12);                       // only key 0, score 1
        assertEquals(Math.log(Math.exp(0) + Math.exp(1)), r.lse().get(0, 0, 1), 1e-12);
        FusedAttention.Result masked = FusedAttention.forward(q, k, k, AttentionMask.keyPadding(new int[] {0}, 2), false, 1.0, 0);
        assertArrayEquals(new double[4], masked.out().toDoubleArray(), 0);
    }
}
