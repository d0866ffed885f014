package dev.tessera.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.ModuleGradCheck;
import dev.tessera.nn.attention.AttentionMask;
import dev.tessera.nn.attention.KvCache;
import dev.tessera.nn.layers.Activation;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class DecoderTest {
    private static Decoder decoder(boolean cross, boolean preLn, long seed) {
        Rng rng = new Rng(seed);
        return new Decoder(2, i -> new DecoderLayer(8, 2, 1, new FeedForward(8, 12, Activation.GELU, 0.0, DType.F64, rng), 0.0, preLn,
                cross, DType.F64, rng));
    }

    @Test
    void causalOutputIgnoresFutureTokens() {
        Decoder dec = decoder(false, true, 1);
        Tensor x = Tensor.randn(new Rng(2), DType.F64, 2, 5, 8);
        Tensor x2 = x.copy();
        x2.narrow(1, 3, 2).copyFrom(Tensor.randn(new Rng(3), DType.F64, 2, 2, 8));
        Tensor a = dec.forward(Variable.constant(x), null, null, null).value(), b = dec.forward(Variable.constant(x2), null, null, null).value();
        assertArrayEquals(a.narrow(1, 0, 3).toDoubleArray(), b.narrow(1, 0, 3).toDoubleArray(), 1e-12);
        double diff = 0;
        double[] ra = a.narrow(1, 3, 2).toDoubleArray(), rb = b.narrow(1, 3, 2).toDoubleArray();
        for (int i = 0; i < ra.length; i++) diff += Math.abs(ra[i] - rb[i]);
        assertTrue(diff > 1e-6, "the changed positions themselves must change");
    }

    @Test
    void cachedDecodingEqualsFullForwardWithCrossAttention() {
        for (boolean preLn : new boolean[] {true, false}) {
            Decoder dec = decoder(true, preLn, 4);
            Tensor x = Tensor.randn(new Rng(5), DType.F64, 2, 4, 8), mem = Tensor.randn(new Rng(6), DType.F64, 2, 3, 8);
            Tensor memPad = AttentionMask.keyPadding(new int[] {3, 1}, 3);
            Variable m = Variable.constant(mem);
            double[] full = dec.forward(Variable.constant(x), null, m, memPad).value().toDoubleArray();
            try (var g = Grad.disabled()) {
                KvCache[] caches = dec.newCaches();
                Tensor[] outs = new Tensor[4];
                outs[0] = dec.forward(Variable.constant(x.narrow(1, 0, 2)), null, m, memPad, caches).value();
                outs[1] = dec.forward(Variable.constant(x.narrow(1, 2, 1)), null, m, memPad, caches).value();
                outs[2] = dec.forward(Variable.constant(x.narrow(1, 3, 1)), null, m, memPad, caches).value();
                assertArrayEquals(full, Tensor.concat(1, outs[0], outs[1], outs[2]).toDoubleArray(), 1e-12, "preLn " + preLn);
            }
        }
    }

    @Test
    void encoderDecoderIgnoresPaddedSourcePositions() {
        Rng rng = new Rng(7);
        Encoder enc = new Encoder(1, i -> new EncoderLayer(8, 2, 2, new FeedForward(8, 12, Activation.RELU, 0.0, DType.F64, rng), 0.0, true,
                DType.F64, rng));
        EncoderDecoder model = new EncoderDecoder(enc, decoder(true, true, 8));
        Tensor src = Tensor.randn(new Rng(9), DType.F64, 1, 4, 8), tgt = Tensor.randn(new Rng(10), DType.F64, 1, 3, 8);
        Tensor srcPad = AttentionMask.keyPadding(new int[] {2}, 4);
        Tensor src2 = src.copy();
        src2.narrow(1, 2, 2).copyFrom(Tensor.randn(new Rng(11), DType.F64, 1, 2, 8));
        assertArrayEquals(model.forward(Variable.constant(src), srcPad, Variable.constant(tgt), null).value().toDoubleArray(),
                model.forward(Variable.constant(src2), srcPad, Variable.constant(tgt), null).value().toDoubleArray(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new EncoderDecoder(enc, decoder(false, true, 12)));
    }

    @Test
    void gradcheckDecoderLayerWithCrossAttention() {
        Rng rng = new Rng(13);
        DecoderLayer l = new DecoderLayer(4, 2, 1, new FeedForward(4, 6, Activation.TANH, 0.0, DType.F32, rng), 0.0, true, true, DType.F32, rng);
        Tensor mem = Tensor.randn(new Rng(14), DType.F64, 2, 2, 4);
        Tensor pad = AttentionMask.keyPadding(new int[] {3, 2}, 3);
        ModuleGradCheck.check(l, x -> l.forward(x, pad, Variable.constant(mem), null), Tensor.randn(new Rng(15), DType.F64, 2, 3, 4), true);
    }
}
