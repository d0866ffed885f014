package dev.tessera.lp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lp.data.Augment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MinimumSupportBoundTest {
    private static final double INF = Double.POSITIVE_INFINITY;

    @Test
    void dimensionOneCodeHasItsOnlyCodewordsHeights() {
        // G = [1 | 3 -1 2]: the codewords are multiples of (1, 3, -1, 2); sorted magnitudes 3, 2, 1, 1
        assertArrayEquals(new double[] {1, 1.5, 3, 3}, MinimumSupportBound.profile(4, 1, new double[] {3, -1, 2}), 1e-15);
        // a zero entry: the codeword has 3 nonzeros, so h_3 is infinite
        assertArrayEquals(new double[] {1, 1.5, 3, INF}, MinimumSupportBound.profile(4, 1, new double[] {3, 0, 2}), 1e-15);
    }

    @Test
    void dimensionTwoHandCase() {
        // G = [[1, 0, 2], [0, 1, 3]]: the codewords vanishing on one position are (1, 0, 2), (0, 1, 3) and
        // (3, -2, 0); h_1 bound = max(2, 3, 1.5) = 3; each has a zero, so h_2 = inf
        assertArrayEquals(new double[] {1, 3, INF}, MinimumSupportBound.profile(3, 2, new double[] {2, 3}), 1e-12);
    }

    @Test
    void neverExceedsTheExactHeightAndIsInfiniteOnlyWhenItIs() {
        SplittableRandom rng = new SplittableRandom(11);
        int tight = 0, total = 0;
        for (CodeSampler.Kind kind : CodeSampler.Kind.values()) {
            CodeSampler sampler = new CodeSampler(kind);
            for (int k = 3; k <= 6; k++) {
                int n = 9, r = n - k;
                VertexEnumerator exact = new VertexEnumerator(n, k);
                double[] p = new double[k * r];
                double[] h = new double[n];
                for (int trial = 0; trial < 40; trial++) {
                    sampler.draw(rng, k, r, p);
                    exact.profile(p, h);
                    double[] lb = MinimumSupportBound.profile(n, k, p);
                    assertEquals(1.0, lb[0]);
                    for (int m = 1; m < n; m++) {
                        String where = kind + " k=" + k + " m=" + m + " P=" + Arrays.toString(p);
                        if (Double.isInfinite(lb[m])) {
                            assertEquals(INF, h[m], where + ": infinite bound for a finite height");
                        } else {
                            assertTrue(lb[m] <= h[m] * (1 + 1e-9), where + ": bound " + lb[m] + " above h_m " + h[m]);
                            if (Double.isFinite(h[m])) {
                                total++;
                                if (lb[m] >= h[m] * (1 - 1e-9)) tight++;
                            }
                        }
                    }
                    // every row of [I | P] vanishes on k - 1 systematic positions, so the bound covers it
                    for (int i = 0; i < k; i++) {
                        double[] row = new double[n];
                        row[i] = 1;
                        for (int t = 0; t < r; t++) row[k + t] = Math.abs(p[i * r + t]);
                        Arrays.sort(row);
                        for (int m = 1; m < n && row[n - 1 - m] > 0; m++) {
                            assertTrue(lb[m] >= row[n - 1] / row[n - 1 - m] * (1 - 1e-12), "row " + i + " m=" + m);
                        }
                    }
                }
            }
        }
        // not the m-height itself: it misses the exact value on a good share of finite cases
        assertTrue(tight > 0 && tight < total, "tight on " + tight + " of " + total);
    }

    @Test
    void invariantUnderRowAndColumnPermutationsAndSignFlips() {
        SplittableRandom rng = new SplittableRandom(5);
        CodeSampler sampler = new CodeSampler(CodeSampler.Kind.REAL100);
        for (int k = 4; k <= 6; k++) {
            int n = 9, r = n - k;
            double[] p = new double[k * r];
            double[] q = new double[k * r];
            for (int trial = 0; trial < 10; trial++) {
                sampler.draw(rng, k, r, p);
                Augment.random(p, k, r, rng, q);
                double[] a = MinimumSupportBound.profile(n, k, p), b = MinimumSupportBound.profile(n, k, q);
                for (int m = 0; m < n; m++) {
                    assertTrue(a[m] == b[m] || Math.abs(a[m] - b[m]) <= 1e-9 * a[m], "k=" + k + " m=" + m + ": " + a[m] + " vs " + b[m]);
                }
            }
        }
    }

    @Test
    void rejectsBadShapes() {
        var e = assertThrows(IllegalArgumentException.class, () -> MinimumSupportBound.profile(9, 4, new double[19]));
        assertTrue(e.getMessage().contains("20 entries, got 19"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MinimumSupportBound.profile(4, 4, new double[0]));
    }
}
