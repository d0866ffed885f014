package dev.tessera.nn.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.tensor.Rng;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private final double[] logits = {1.0, 3.0, 2.0, 3.0, -1.0};

    @Test
    void greedyTakesArgmaxWithLowerIndexOnTies() {
        assertEquals(1, Sampler.greedy().next(logits));
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        Sampler k1 = Sampler.sample(1.0, 1, 1.0, new Rng(1)), p = Sampler.sample(1.0, 0, 1e-9, new Rng(2));
        for (int i = 0; i < 50; i++) {
            assertEquals(1, k1.next(logits));
            assertEquals(1, p.next(logits));
        }
    }

    @Test
    void temperatureSamplingFollowsSoftmax() {
        double[] l = {0.0, Math.log(2), Math.log(5)};   // probabilities 1/8, 2/8, 5/8 at temperature 1
        double[] counts = new double[3];
        Sampler s = Sampler.sample(1.0, 0, 1.0, new Rng(3));
        int n = 40000;
        for (int i = 0; i < n; i++) counts[s.next(l)]++;
        assertEquals(1 / 8.0, counts[0] / n, 0.01);
        assertEquals(2 / 8.0, counts[1] / n, 0.01);
        assertEquals(5 / 8.0, counts[2] / n, 0.01);
        // temperature 2 halves the logits: probabilities proportional to 1, sqrt 2, sqrt 5
        Sampler hot = Sampler.sample(2.0, 0, 1.0, new Rng(4));
        double[] c2 = new double[3];
        for (int i = 0; i < n; i++) c2[hot.next(l)]++;
        double z = 1 + Math.sqrt(2) + Math.sqrt(5);
        assertEquals(Math.sqrt(5) / z, c2[2] / n, 0.01);
    }

    @Test
    void topKAndTopPRestrictTheSupport() {
        double[] l = {0.0, Math.log(2), Math.log(5)};
        Sampler k2 = Sampler.sample(1.0, 2, 1.0, new Rng(5));
        double[] c = new double[3];
        for (int i = 0; i < 20000; i++) c[k2.next(l)]++;
        assertEquals(0, c[0]);
        assertEquals(5 / 7.0, c[2] / 20000, 0.015);
        // top-p 0.8: 5/8 < 0.8 so tokens 2 and 1 stay (mass 7/8), token 0 goes
        Sampler p = Sampler.sample(1.0, 0, 0.8, new Rng(6));
        double[] cp = new double[3];
        for (int i = 0; i < 20000; i++) cp[p.next(l)]++;
        assertEquals(0, cp[0]);
        assertEquals(2 / 7.0, cp[1] / 20000, 0.015);
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> Sampler.sample(0, 0, 1, new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> Sampler.sample(1, 0, 0, new Rng(1)));
    }
}
