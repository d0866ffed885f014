package dev.tessera.nn.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.ModuleGradCheck;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MultiHeadAttentionTest {
    private static MultiHeadAttention layer(int d, int h, int hkv, long seed) {
        return new MultiHeadAttention(d, h, hkv, true, 0.0, DType.F64, new Rng(seed));
    }

    @Test
    void selfAttentionMatchesNaiveForMhaGqaMqa() {
        int b = 2, t = 5, d = 8;
        Tensor x = Tensor.randn(new Rng(1), DType.F64, b, t, d);
        Tensor pad = AttentionMask.keyPadding(new int[] {5, 3}, t);
        for (int hkv : new int[] {4, 2, 1}) {
            MultiHeadAttention m = layer(d, 4, hkv, 10 + hkv);
            for (boolean causal : new boolean[] {false, true}) {
                double[] got = m.forward(Variable.constant(x), pad, causal).value().toDoubleArray();
                double[] want = NaiveAttention.mha(m, x.toDoubleArray(), x.toDoubleArray(), b, t, t, pad.toBooleanArray(), causal);
                assertArrayEquals(want, got, 1e-10, "kvHeads " + hkv + ", causal " + causal);
            }
        }
    }

    @Test
    void gqaWithRepeatedKvWeightsEqualsMha() {
        int d = 8, h = 4, hkv = 2, hd = 2, b = 2, t = 4;
        MultiHeadAttention gqa = layer(d, h, hkv, 3), mha = layer(d, h, h, 4);
        mha.q().weight().value().copyFrom(gqa.q().weight().value());
        mha.q().bias().value().copyFrom(gqa.q().bias().value());
        mha.out().weight().value().copyFrom(gqa.out().weight().value());
        mha.out().bias().value().copyFrom(gqa.out().bias().value());
        // MHA head j uses GQA kv head j / (h / hkv): repeat each kv head's rows h / hkv times
        for (var pair : new MultiHeadAttention[][] {{gqa, mha}}) {
            var src = new dev.tessera.nn.layers.Linear[] {pair[0].k(), pair[0].v()};
            var dst = new dev.tessera.nn.layers.Linear[] {pair[1].k(), pair[1].v()};
            for (int p = 0; p < 2; p++) {
                for (int j = 0; j < h; j++) {
                    int kv = j / (h / hkv);
                    dst[p].weight().value().narrow(0, j * hd, hd).copyFrom(src[p].weight().value().narrow(0, kv * hd, hd));
                    dst[p].bias().value().narrow(0, j * hd, hd).copyFrom(src[p].bias().value().narrow(0, kv * hd, hd));
                }
            }
        }
        Tensor x = Tensor.randn(new Rng(7), DType.F64, b, t, d);
        Tensor pad = AttentionMask.keyPadding(new int[] {2, 4}, t);
        assertArrayEquals(mha.forward(Variable.constant(x), pad, true).value().toDoubleArray(),
                gqa.forward(Variable.constant(x), pad, true).value().toDoubleArray(), 1e-12);
    }

    @Test
    void kvCacheDecodingEqualsFullRecompute() {
        int b = 2, t = 6, d = 8;
        for (int hkv : new int[] {4, 2, 1}) {
            MultiHeadAttention m = layer(d, 4, hkv, 20 + hkv);
            Tensor x = Tensor.randn(new Rng(8), DType.F64, b, t, d);
            double[] full = m.forward(Variable.constant(x), null, true).value().toDoubleArray();
            try (var g = Grad.disabled()) {
                KvCache cache = new KvCache();
                // a 2-token prompt, then one token at a time
                Tensor[] parts = {x.narrow(1, 0, 2), x.narrow(1, 2, 1), x.narrow(1, 3, 1), x.narrow(1, 4, 2)};
                Tensor[] outs = new Tensor[parts.length];
                for (int i = 0; i < parts.length; i++) outs[i] = m.forward(Variable.constant(parts[i]), null, cache).value();
                assertArrayEquals(full, Tensor.concat(1, outs).toDoubleArray(), 1e-12, "kvHeads " + hkv);
                assertArrayEquals(new int[] {b, hkv, t, 2}, cache.keys().shape());
            }
        }
    }

    @Test
    void crossAttentionMatchesNaiveWithMemoryPadding() {
        int b = 2, tq = 3, tk = 5, d = 8;
        MultiHeadAttention m = layer(d, 2, 1, 31);
        Tensor x = Tensor.randn(new Rng(11), DType.F64, b, tq, d), mem = Tensor.randn(new Rng(12), DType.F64, b, tk, d);
        Tensor pad = AttentionMask.keyPadding(new int[] {5, 2}, tk);
        double[] got = m.forward(Variable.constant(x), Variable.constant(mem), pad).value().toDoubleArray();
        double[] want = NaiveAttention.mha(m, x.toDoubleArray(), mem.toDoubleArray(), b, tq, tk, pad.toBooleanArray(), false);
        assertArrayEquals(want, got, 1e-10);
    }

    @Test
    void gradcheckParametersAndInputForMhaGqaMqa() {
        Tensor pad = AttentionMask.keyPadding(new int[] {3, 2}, 3);
        for (int hkv : new int[] {2, 1}) {
            MultiHeadAttention m = new MultiHeadAttention(4, 2, hkv, true, 0.0, new Rng(40 + hkv));
            ModuleGradCheck.check(m, x -> m.forward(x, pad, true), Tensor.randn(new Rng(41), DType.F64, 2, 3, 4), true);
        }
    }

    @Test
    void fusedKernelLayerMatchesNaiveAndCachedDecoding() {
        int b = 2, t = 5, d = 8;
        MultiHeadAttention m = layer(d, 4, 2, 50).withFusedKernel(true);
        Tensor x = Tensor.randn(new Rng(51), DType.F64, b, t, d);
        Tensor pad = AttentionMask.keyPadding(new int[] {5, 3}, t);
        double[] got = m.forward(Variable.constant(x), pad, true).value().toDoubleArray();
        assertArrayEquals(NaiveAttention.mha(m, x.toDoubleArray(), x.toDoubleArray(), b, t, t, pad.toBooleanArray(), true), got, 1e-10);
        try (var g = Grad.disabled()) {
            KvCache cache = new KvCache();
            Tensor a = m.forward(Variable.constant(x.narrow(1, 0, 3)), pad.narrow(1, 0, 3), cache).value();
            Tensor c = m.forward(Variable.constant(x.narrow(1, 3, 2)), pad, cache).value();
            assertArrayEquals(got, Tensor.concat(1, a, c).toDoubleArray(), 1e-12);
        }
    }

    @Test
    void rejectsBadConfiguration() {
        assertThrows(IllegalArgumentException.class, () -> layer(8, 3, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> layer(8, 4, 3, 1));
        MultiHeadAttention m = layer(8, 4, 2, 1);
        assertThrows(IllegalArgumentException.class, () -> m.forward(Variable.constant(Tensor.zeros(DType.F64, 1, 2, 6)), null, false));
    }
}
