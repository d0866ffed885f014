package dev.tessera.nn.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LinearAttentionChunkedTest {

    @Test
    void everyChunkLengthEqualsTheNxNOracleWithKvHeadsAndPadding() {
        Rng rng = new Rng(21);
        int b = 2, h = 4, t = 7, d = 3, dv = 2;
        Tensor pad = AttentionMask.keyPadding(new int[] {7, 4}, t);
        for (int hkv : new int[] {4, 2, 1}) {
            Tensor q = Tensor.randn(rng, DType.F64, b, h, t, d), k = Tensor.randn(rng, DType.F64, b, hkv, t, d);
            Tensor v = Tensor.randn(rng, DType.F64, b, hkv, t, dv);
            for (Tensor p : new Tensor[] {null, pad}) {
                double[] want = LinearAttentionTest.oracle(q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), b, h, hkv, t, t, d, dv,
                        p == null ? null : p.toBooleanArray(), true);
                for (int chunk : new int[] {0, 1, 2, 3, 7, 64}) {
                    double[] got = LinearAttention.attend(Variable.constant(q), Variable.constant(k), Variable.constant(v), p, true, chunk)
                            .value().toDoubleArray();
                    assertArrayEquals(want, got, 1e-12, "kvHeads " + hkv + ", chunk " + chunk + ", padding " + (p != null));
                }
            }
        }
    }

    @Test
    void float32ChunkedEqualsPrefixForm() {
        Rng rng = new Rng(22);
        Tensor q = Tensor.randn(rng, DType.F32, 2, 6, 100, 16), k = Tensor.randn(rng, DType.F32, 2, 2, 100, 16);
        Tensor v = Tensor.randn(rng, DType.F32, 2, 2, 100, 16);
        double[] prefix = LinearAttention.attend(Variable.constant(q), Variable.constant(k), Variable.constant(v), null, true, 0).value().toDoubleArray();
        double[] chunked = LinearAttention.attend(Variable.constant(q), Variable.constant(k), Variable.constant(v), null, true, 32).value().toDoubleArray();
        assertArrayEquals(prefix, chunked, 1e-4);
    }

    @Test
    void gradcheckAcrossChunks() {
        Rng rng = new Rng(23);
        Tensor pad = AttentionMask.keyPadding(new int[] {5, 3}, 5);
        Tensor w = Tensor.randn(rng, DType.F64, 2, 2, 5, 2);
        GradCheck.assertGradients(x -> LinearAttention.attend(x[0], x[1], x[2], pad, true, 2).mul(Variable.constant(w)).sum(),
                Tensor.randn(rng, DType.F64, 2, 2, 5, 3), Tensor.randn(rng, DType.F64, 2, 1, 5, 3), Tensor.randn(rng, DType.F64, 2, 1, 5, 2));
    }
}
