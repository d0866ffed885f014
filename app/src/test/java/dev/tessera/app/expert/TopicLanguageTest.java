package dev.tessera.app.expert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Variable;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TopicLanguageTest {

    @Test
    void seededSequencesFollowTheTopicChains() {
        var lang = new TopicLanguage(64, 4, 20, 7);
        int[] a = lang.sample(new SplittableRandom(3), 200, 33);
        assertArrayEquals(a, new TopicLanguage(64, 4, 20, 7).sample(new SplittableRandom(3), 200, 33));
        // within a sequence every token has at most 3 distinct successors; over all topics at most 3 * 4
        @SuppressWarnings("unchecked")
        Set<Integer>[] next = new Set[64];
        for (int i = 0; i < 64; i++) next[i] = new HashSet<>();
        for (int s = 0; s < 200; s++) {
            Set<Integer> vocabOfSeq = new HashSet<>();
            for (int i = 0; i < 33; i++) {
                int tok = a[s * 33 + i];
                assertTrue(tok >= 0 && tok < 64);
                vocabOfSeq.add(tok);
                if (i < 32) next[tok].add(a[s * 33 + i + 1]);
            }
            assertTrue(vocabOfSeq.size() <= 20, "a sequence stays in its topic's 20 tokens");
        }
        for (Set<Integer> n : next) assertTrue(n.size() <= 12, "successors " + n);
        assertEquals(-(0.6 * Math.log(0.6) + 0.3 * Math.log(0.3) + 0.1 * Math.log(0.1)), TopicLanguage.conditionalEntropy(), 1e-12);
    }

    @Test
    void moeLanguageModelShapes() {
        var c = new MoeLanguageModel.Config(16, 8, 2, 2, 8, 4, 2, 0.0, 0.01, 8);
        var lm = new MoeLanguageModel(c, new Rng(1));
        assertEquals(2, lm.moeLayers().size());
        Variable logits = lm.forward(Tensor.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3));
        assertArrayEquals(new int[] {2, 3, 16}, logits.shape());
        assertEquals(0, lm.auxLoss().rank());
    }
}
