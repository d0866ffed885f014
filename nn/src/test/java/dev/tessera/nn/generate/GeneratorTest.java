package dev.tessera.nn.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.nn.attention.KvCache;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    private final DecoderLm lm = new DecoderLm(11, 8, 2, 1, 2, 16, 16, DType.F64, new Rng(1));
    private final int[] prompt = {3, 7, 1};

    @Test
    void cachedLogitsEqualFullRecompute() {
        int[] seq = {3, 7, 1, 4, 9, 0};
        Tensor full = lm.logits(seq);
        KvCache[] caches = lm.newCaches();
        Tensor a = lm.logits(Arrays.copyOf(seq, 3), caches);
        Tensor b = lm.logits(new int[] {4}, caches);
        Tensor c = lm.logits(new int[] {9, 0}, caches);
        assertArrayEquals(full.toDoubleArray(), Tensor.concat(0, a, b, c).toDoubleArray(), 1e-12);
    }

    @Test
    void cachedGenerationIsIdenticalToRecomputeGreedyAndSampled() {
        assertArrayEquals(Generator.expanding(lm, prompt, 10, Sampler.greedy(), false),
                Generator.expanding(lm, prompt, 10, Sampler.greedy(), true));
        int[] a = Generator.expanding(lm, prompt, 10, Sampler.sample(1.5, 5, 0.9, new Rng(7)), false);
        int[] b = Generator.expanding(lm, prompt, 10, Sampler.sample(1.5, 5, 0.9, new Rng(7)), true);
        assertArrayEquals(a, b);
        assertEquals(10, a.length);
    }

    @Test
    void greedyStepIsArgmaxOfTheModelsLastRow() {
        int[] out = Generator.expanding(lm, prompt, 1, Sampler.greedy(), true);
        double[] last = lm.logits(prompt).select(0, 2).toDoubleArray();
        int best = 0;
        for (int i = 1; i < last.length; i++) if (last[i] > last[best]) best = i;
        assertEquals(best, out[0]);
    }

    @Test
    void slidingWindowUsesOnlyTheLastTokens() {
        // a window at least as long as everything equals expanding context
        assertArrayEquals(Generator.expanding(lm, prompt, 8, Sampler.greedy(), false),
                Generator.slidingWindow(lm, prompt, 8, 16, Sampler.greedy()));
        // window 2: runs past the model context and only the last two tokens matter
        int[] w = Generator.slidingWindow(lm, prompt, 20, 2, Sampler.greedy());
        int[] seq = new int[prompt.length + 20];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(w, 0, seq, prompt.length, 20);
        for (int i = prompt.length; i < seq.length; i++) {
            int[] other = {seq[i - 2], seq[i - 1]};
            assertEquals(Sampler.greedy().next(lm.logits(other).select(0, 1).toDoubleArray()), seq[i]);
        }
        assertThrows(IllegalArgumentException.class, () -> Generator.expanding(lm, prompt, 20, Sampler.greedy(), true));
    }
}
