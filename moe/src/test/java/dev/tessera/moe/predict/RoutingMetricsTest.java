package dev.tessera.moe.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RoutingMetricsTest {

    @Test
    void handComputedTopAndCoverage() {
        // E = 6, k = 2; three tokens
        float[] scores = {
            // token 0: order 1, 2, 3, 0, 4, 5; chosen {2, 3} -> ranks 1, 2
            0.10f, 0.90f, 0.80f, 0.70f, 0.05f, 0.01f,
            // token 1: order 0, 1, 2, 3, 4, 5; chosen {0, 5} -> ranks 0, 5
            0.60f, 0.50f, 0.40f, 0.30f, 0.20f, 0.10f,
            // token 2: ties: 4 and 5 equal highest (4 first), then 0..3 all equal (by index); chosen {5, 0} -> ranks 1, 2
            0.00f, 0.00f, 0.00f, 0.00f, 0.30f, 0.30f};
        int[] chosen = {2, 3, 0, 5, 5, 0};
        var m = new RoutingMetrics(6, 2, List.of(1, 2, 5), List.of(2, 3, 10));
        m.add(scores, chosen, 3);
        var r = m.result();
        assertEquals(3, r.tokens());
        // top-1: predicted first in S? t0: 1 no; t1: 0 yes; t2: 4 no -> 1/3
        // top-2: |S ∩ P2| / 2: t0 {1,2} -> 1/2; t1 {0,1} -> 1/2; t2 {4,5} -> 1/2 -> 1/2
        // top-5 (clipped to... 5 < 6, kept): t0 ranks 1,2 -> 2/2; t1 ranks 0,5 -> 1/2; t2 ranks 1,2 -> 1 -> (1 + .5 + 1) / 3
        assertArrayEquals(new double[] {1.0 / 3, 0.5, 2.5 / 3}, r.topAccuracy(), 1e-12);
        // coverage@2: max rank < 2: t0 2 no, t1 5 no, t2 2 no -> 0; @3: t0 yes, t1 no, t2 yes -> 2/3; @10 (clipped to 6): all
        assertArrayEquals(new double[] {0.0, 2.0 / 3, 1.0}, r.coverageRate(), 1e-12);
        assertArrayEquals(new int[] {2, 3, 6}, r.coverageEffective());
        assertTrue(r.clipped());
        // baselines: top-1 k/E = 1/3; top-2 2/6; top-5 5/6; coverage C(N,2)/C(6,2) = 1/15, 3/15, 1
        assertArrayEquals(new double[] {2.0 / 6, 2.0 / 6, 5.0 / 6}, r.topRandom(), 1e-12);
        assertArrayEquals(new double[] {1.0 / 15, 3.0 / 15, 1.0}, r.coverageRandom(), 1e-12);
    }

    @Test
    void randomBaselinesMatchTheirFormulas() {
        assertEquals(2.0 / 32, RoutingMetrics.randomTop(1, 2, 32), 1e-15);      // k / E
        assertEquals(5.0 / 32, RoutingMetrics.randomTop(5, 2, 32), 1e-15);      // m / E for m >= k
        assertEquals(1.0 / 32, RoutingMetrics.randomTop(1, 1, 32), 1e-15);      // k = 1: 1 / E
        assertEquals(45.0 / 496, RoutingMetrics.randomCoverage(10, 2, 32), 1e-15);  // C(10,2)/C(32,2)
        assertEquals(105.0 / 496, RoutingMetrics.randomCoverage(15, 2, 32), 1e-15);
        assertEquals(190.0 / 496, RoutingMetrics.randomCoverage(20, 2, 32), 1e-15);
        assertEquals(120.0 / 4960, RoutingMetrics.randomCoverage(10, 3, 32), 1e-15); // C(10,3)/C(32,3)
        assertEquals(1.0, RoutingMetrics.randomCoverage(20, 2, 16), 1e-15);    // clipped to E
        assertEquals(0.0, RoutingMetrics.randomCoverage(1, 2, 16), 0.0);       // N < k
        assertEquals(1.0, RoutingMetrics.randomTop(20, 2, 16), 1e-15);
    }

    @Test
    void randomBaselineIsTheExpectationOverAllRankings() {
        // E = 5, k = 2, chosen {1, 3}: average the metrics over all 120 orderings of the experts
        int e = 5;
        var m = new RoutingMetrics(e, 2, List.of(1, 3), List.of(2, 4));
        int[] perm = {0, 1, 2, 3, 4};
        int count = 0;
        do {
            float[] s = new float[e];
            for (int i = 0; i < e; i++) s[perm[i]] = e - i;   // perm[0] ranked first
            m.add(s, new int[] {1, 3}, 1);
            count++;
        } while (nextPermutation(perm));
        assertEquals(120, count);
        var r = m.result();
        assertArrayEquals(r.topRandom(), r.topAccuracy(), 1e-12);
        assertArrayEquals(r.coverageRandom(), r.coverageRate(), 1e-12);
        assertFalse(r.clipped());
    }

    private static boolean nextPermutation(int[] a) {
        int i = a.length - 2;
        while (i >= 0 && a[i] >= a[i + 1]) i--;
        if (i < 0) return false;
        int j = a.length - 1;
        while (a[j] <= a[i]) j--;
        int t = a[i]; a[i] = a[j]; a[j] = t;
        for (int l = i + 1, h = a.length - 1; l < h; l++, h--) { t = a[l]; a[l] = a[h]; a[h] = t; }
        return true;
    }

    @Test
    void fixedRankingAndNaNScores() {
        var m = new RoutingMetrics(4, 1, List.of(1, 2), List.of(3));
        m.addFixed(new float[] {5, 7, 1, 3}, new int[] {1, 0, 2}, 3);   // order 1, 0, 3, 2
        var r = m.result();
        assertArrayEquals(new double[] {1.0 / 3, 2.0 / 3}, r.topAccuracy(), 1e-12);
        assertArrayEquals(new double[] {2.0 / 3}, r.coverageRate(), 1e-12);
        // NaN scores rank last
        assertEquals(3, RoutingMetrics.rank(new float[] {Float.NaN, 1, 2, 3}, 0, 4, 0));
        assertEquals(0, RoutingMetrics.rank(new float[] {Float.NaN, 1, 2, 3}, 0, 4, 3));
    }

    @Test
    void pooledIsTokenWeighted() {
        var a = new RoutingMetrics(4, 1, List.of(1), List.of(2));
        a.add(new float[] {1, 0, 0, 0}, new int[] {0}, 1);                      // hit
        var b = new RoutingMetrics(8, 1, List.of(1), List.of(2));
        b.add(new float[] {0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}, new int[] {1, 1, 1}, 3);   // hit, hit, miss
        var p = RoutingMetrics.Result.pooled(List.of(a.result(), b.result()));
        assertEquals(4, p.tokens());
        assertEquals((1 + 2) / 4.0, p.topAccuracy()[0], 1e-12);
        assertEquals((1 * 0.25 + 3 * 0.125) / 4, p.topRandom()[0], 1e-12);
        assertEquals(0, p.experts());
    }

    @Test
    void badInputsNameTheArgument() {
        var m = new RoutingMetrics(4, 2, List.of(1), List.of(2));
        var ex = assertThrows(IllegalArgumentException.class, () -> m.add(new float[8], new int[] {0, 4, 1, 2}, 2));
        assertTrue(ex.getMessage().contains("chosen expert 4"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RoutingMetrics(4, 5, List.of(1), List.of(2)));
        assertThrows(IllegalArgumentException.class, () -> new RoutingMetrics(4, 2, List.of(0), List.of(2)));
    }
}
