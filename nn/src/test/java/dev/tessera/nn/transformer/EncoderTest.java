package dev.tessera.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.ModuleGradCheck;
import dev.tessera.nn.attention.AttentionMask;
import dev.tessera.nn.layers.Activation;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class EncoderTest {
    private static EncoderLayer layer(boolean preLn, long seed) {
        Rng rng = new Rng(seed);
        return new EncoderLayer(8, 2, 1, new FeedForward(8, 16, Activation.GELU, 0.0, DType.F64, rng), 0.0, preLn, DType.F64, rng);
    }

    @Test
    void preLnIsTheResidualCompositionOfItsParts() {
        EncoderLayer l = layer(true, 1);
        Tensor x = Tensor.randn(new Rng(2), DType.F64, 2, 4, 8);
        Tensor pad = AttentionMask.keyPadding(new int[] {4, 2}, 4);
        Variable xv = Variable.constant(x);
        // LayerNorm with gamma 1, beta 0 (fresh layer) in float64 loops
        Tensor h = x.add(l.attention().forward(Variable.constant(norm(x)), pad, false).value());
        Tensor want = h.add(l.ffn().forward(Variable.constant(norm(h))).value());
        assertArrayEquals(want.toDoubleArray(), l.forward(xv, pad).value().toDoubleArray(), 1e-10);
    }

    @Test
    void postLnOutputsAreNormalizedPerToken() {
        EncoderLayer l = layer(false, 3);
        double[] y = l.forward(Variable.constant(Tensor.randn(new Rng(4), DType.F64, 2, 3, 8).mul(5)), null).value().toDoubleArray();
        for (int r = 0; r < 6; r++) {
            double mean = 0, var = 0;
            for (int c = 0; c < 8; c++) mean += y[r * 8 + c] / 8;
            for (int c = 0; c < 8; c++) var += (y[r * 8 + c] - mean) * (y[r * 8 + c] - mean) / 8;
            assertEquals(0, mean, 1e-9);
            assertEquals(1, var, 1e-3);
        }
    }

    @Test
    void paddedPositionsDoNotAffectTheOthers() {
        Encoder enc = new Encoder(2, i -> layer(true, 10 + i));
        Tensor x = Tensor.randn(new Rng(5), DType.F64, 1, 5, 8);
        Tensor pad = AttentionMask.keyPadding(new int[] {3}, 5);
        Tensor x2 = x.copy();
        x2.narrow(1, 3, 2).copyFrom(Tensor.randn(new Rng(6), DType.F64, 1, 2, 8));
        double[] a = enc.forward(Variable.constant(x), pad).value().narrow(1, 0, 3).toDoubleArray();
        double[] b = enc.forward(Variable.constant(x2), pad).value().narrow(1, 0, 3).toDoubleArray();
        assertArrayEquals(a, b, 1e-12);
        double[] c = enc.forward(Variable.constant(x2), null).value().narrow(1, 0, 3).toDoubleArray();
        double diff = 0;
        for (int i = 0; i < a.length; i++) diff += Math.abs(a[i] - c[i]);
        assertTrue(diff > 1e-6, "without the mask the changed positions must matter");
    }

    @Test
    void stackAppliesLayersThenFinalNormOnlyForPreLn() {
        Encoder pre = new Encoder(2, i -> layer(true, 20 + i));
        Encoder post = new Encoder(2, i -> layer(false, 30 + i));
        assertNull(post.finalNorm());
        Tensor x = Tensor.randn(new Rng(7), DType.F64, 2, 3, 8);
        Variable h = Variable.constant(x);
        for (EncoderLayer l : pre.layers()) h = l.forward(h, null);
        assertArrayEquals(norm(h.value()).toDoubleArray(), pre.forward(Variable.constant(x), null).value().toDoubleArray(), 1e-10);
        Variable p = Variable.constant(x);
        for (EncoderLayer l : post.layers()) p = l.forward(p, null);
        assertArrayEquals(p.value().toDoubleArray(), post.forward(Variable.constant(x), null).value().toDoubleArray(), 0);
    }

    @Test
    void gradcheckPreAndPostLn() {
        Tensor pad = AttentionMask.keyPadding(new int[] {3, 2}, 3);
        for (boolean preLn : new boolean[] {true, false}) {
            Rng rng = new Rng(preLn ? 40 : 41);
            EncoderLayer l = new EncoderLayer(4, 2, 1, new FeedForward(4, 6, Activation.TANH, 0.0, DType.F32, rng), 0.0, preLn, DType.F32, rng);
            ModuleGradCheck.check(l, x -> l.forward(x, pad), Tensor.randn(new Rng(42), DType.F64, 2, 3, 4), true);
        }
    }

    /** Per-row layer norm over the last axis (eps 1e-5, no affine) in float64 loops. */
    static Tensor norm(Tensor x) {
        int d = x.dim(x.rank() - 1);
        double[] v = x.toDoubleArray();
        for (int r = 0; r < v.length / d; r++) {
            double mean = 0, var = 0;
            for (int c = 0; c < d; c++) mean += v[r * d + c] / d;
            for (int c = 0; c < d; c++) var += (v[r * d + c] - mean) * (v[r * d + c] - mean) / d;
            for (int c = 0; c < d; c++) v[r * d + c] = (v[r * d + c] - mean) / Math.sqrt(var + 1e-5);
        }
        return Tensor.of(v, x.shape());
    }
}
