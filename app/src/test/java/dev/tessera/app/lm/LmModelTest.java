package dev.tessera.app.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.nn.generate.Generator;
import dev.tessera.nn.generate.Sampler;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LmModelTest {
    /** Float64, width 12, 6 heads over 2 kv heads, 2 blocks of 4 experts (top-2, capacity 1.25 in training), 24 positions. */
    private final LmModel lm = (LmModel) new LmModel(new LmConfig(40, 12, 6, 2, 2, 16, 24, 4, 2, 1.25, 0.0, 1e-2, true, 3), DType.F64).eval();

    @Test
    void recurrentStateDecodingEqualsFullRecompute() {
        int[] seq = {5, 17, 3, 3, 39, 0, 12, 8, 21, 30, 1};
        Tensor full = lm.logits(seq);
        LmModel.State[] states = lm.newCache();
        Tensor a = lm.logits(Arrays.copyOfRange(seq, 0, 4), states);
        Tensor b = lm.logits(new int[] {seq[4]}, states);
        Tensor c = lm.logits(new int[] {seq[5]}, states);
        Tensor d = lm.logits(Arrays.copyOfRange(seq, 6, 11), states);
        assertEquals(11, states[1].length());
        assertArrayEquals(full.toDoubleArray(), Tensor.concat(0, a, b, c, d).toDoubleArray(), 1e-11);
    }

    @Test
    void cachedGenerationIsTokenForTokenTheRecomputedOne() {
        int[] prompt = {7, 1, 30};
        assertArrayEquals(Generator.expanding(lm, prompt, 20, Sampler.greedy(), false), Generator.expanding(lm, prompt, 20, Sampler.greedy(), true));
        int[] x = Generator.expanding(lm, prompt, 20, Sampler.sample(1.3, 10, 0.95, new Rng(4)), false);
        int[] y = Generator.expanding(lm, prompt, 20, Sampler.sample(1.3, 10, 0.95, new Rng(4)), true);
        assertArrayEquals(x, y);
        // the whole context can be used: 3 + 22 - 1 = 24 positions
        assertEquals(22, Generator.expanding(lm, prompt, 22, Sampler.greedy(), true).length);
    }

    @Test
    void batchForwardRowsEqualSingleSequences() {
        int[] s0 = {1, 2, 3, 4, 5, 6}, s1 = {9, 9, 8, 7, 0, 39};
        int[] both = new int[12];
        System.arraycopy(s0, 0, both, 0, 6);
        System.arraycopy(s1, 0, both, 6, 6);
        Tensor batch = lm.forward(Tensor.of(both, 2, 6)).value();
        assertArrayEquals(lm.logits(s0).toDoubleArray(), batch.select(0, 0).toDoubleArray(), 1e-11);
        assertArrayEquals(lm.logits(s1).toDoubleArray(), batch.select(0, 1).toDoubleArray(), 1e-11);
    }

    @Test
    void rejectsSequencesBeyondThePositionsAndBadTokens() {
        assertThrows(IllegalArgumentException.class, () -> lm.logits(new int[25]));
        LmModel.State[] states = lm.newCache();
        lm.logits(new int[20], states);
        assertThrows(IllegalArgumentException.class, () -> lm.logits(new int[5], states));
        assertThrows(IllegalArgumentException.class, () -> lm.logits(new int[] {40}));
    }

    @Test
    void configRoundTripsThroughItsMap() {
        assertEquals(lm.config(), LmConfig.fromMap(new java.util.HashMap<>(lm.config().toMap())));
        assertThrows(IllegalArgumentException.class, () -> new LmConfig(256, 100, 6, 2, 1, 8, 8, 8, 2, 1.25, 0, 0, true, 1));
    }
}
