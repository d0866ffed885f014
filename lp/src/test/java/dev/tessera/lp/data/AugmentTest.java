package dev.tessera.lp.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.SLpSolver;
import dev.tessera.lp.VertexEnumerator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmentTest {
    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    @Test
    void permutationsAndSignFlipsKeepEveryLabel() {
        SplittableRandom rng = new SplittableRandom(11);
        int checked = 0;
        for (int k = 4; k <= 6; k++) {
            int n = 9;
            int r = n - k;
            VertexEnumerator v = new VertexEnumerator(n, k);
            double[] p = new double[k * r];
            double[] q = new double[k * r];
            double[] h = new double[n];
            double[] g = new double[n];
            for (int trial = 0; trial < 40; trial++) {
                new CodeSampler(trial % 2 == 0 ? CodeSampler.Kind.INTSCALE : CodeSampler.Kind.REAL100).draw(rng, k, r, p);
                v.profile(p, h);
                Augment.random(p, k, r, rng, q);
                v.profile(q, g);
                for (int m = 0; m < n; m++) {
                    if (Double.isInfinite(h[m])) {
                        assertEquals(Double.POSITIVE_INFINITY, g[m]);
                    } else {
                        assertEquals(log2(h[m]), log2(g[m]), 1e-9, "k=" + k + " m=" + m);
                        checked++;
                    }
                }
            }
            // and the independent LP path agrees on one augmented matrix
            double lp = new SLpSolver(n, k).mHeight(q, 2);
            assertEquals(log2(g[2]), log2(lp), 1e-6);
        }
        assertTrue(checked > 300);
    }

    @Test
    void scalingIsNotAnInvarianceSoTheCheckCanFail() {
        int n = 9;
        int k = 5;
        double[] p = {31, -17, 44, 12, 53, -90, 27, 66, 58, 39, -51, 83, 92, 71, -95, 35, 24, 37, 88, -46};
        double[] q = p.clone();
        for (int i = 0; i < q.length; i++) q[i] *= 3;
        VertexEnumerator v = new VertexEnumerator(n, k);
        double[] h = new double[n];
        double[] g = new double[n];
        v.profile(p, h);
        v.profile(q, g);
        double diff = 0;
        for (int m = 1; m <= n - k; m++) if (Double.isFinite(h[m]) && Double.isFinite(g[m])) diff = Math.max(diff, Math.abs(log2(h[m]) - log2(g[m])));
        assertTrue(diff > 0.1, "scaling P changed no label: " + diff);
    }
}
