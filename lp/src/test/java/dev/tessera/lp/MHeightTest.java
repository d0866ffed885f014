package dev.tessera.lp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MHeightTest {
    private static final List<Vectors.Case> CASES = Vectors.load();

    private static void assertMatches(Vectors.Case c, double h, String method) {
        if (c.infinite()) {
            assertEquals(Double.POSITIVE_INFINITY, h, c.id() + " " + method + ": expected inf");
        } else {
            assertTrue(Double.isFinite(h), c.id() + " " + method + ": expected finite, got " + h);
            assertEquals(c.log2(), Vectors.log2(h), 1e-6, c.id() + " " + method);
        }
    }

    @Test
    void vertexPathMatchesEveryPublicVector() {
        assertEquals(64, CASES.size());
        for (var c : CASES) assertMatches(c, MHeight.vertex(c.n(), c.k(), c.m(), c.p()), "vertex");
    }

    @Test
    void lpPathMatchesEveryPublicVector() {
        for (var c : CASES) assertMatches(c, MHeight.lp(c.n(), c.k(), c.m(), c.p()), "lp");
    }

    @Test
    void modelApiLpMatchesTheCourseGroupVectors() {
        for (var c : CASES.subList(0, 42)) {
            double h = new SLpSolver(c.n(), c.k(), SLpSolver.Api.MODEL).mHeight(c.flat(), c.m());
            assertMatches(c, h, "lp-model");
        }
    }

    @Test
    void lpUnboundednessAloneFindsEveryInfinity() {
        for (var c : CASES) {
            for (SLpSolver.Api api : SLpSolver.Api.values()) {
                double h = new SLpSolver(c.n(), c.k(), api).mHeightLpOnly(c.flat(), c.m());
                assertMatches(c, h, "lp-only " + api);
            }
        }
    }

    @Test
    void minimumDistanceMatchesTheVectors() {
        for (var c : CASES) {
            if (c.dist().equals("real100")) continue; // d is exact only for integer P
            assertEquals(c.d(), MHeight.minimumDistance(c.n(), c.k(), c.p()), c.id());
        }
    }

    @Test
    void oneProfileGivesEveryM() {
        for (var c : CASES) {
            double[] prof = MHeight.profile(c.n(), c.k(), c.p());
            assertMatches(c, prof[c.m()], "profile");
            assertEquals(1.0, prof[0]);
            for (int m = 1; m < c.n(); m++) assertTrue(prof[m] >= prof[m - 1], c.id() + " monotone at m=" + m);
        }
    }

    /** Sorted-magnitude ratio of one codeword, straight from the definition. */
    private static double ratio(double[] c, int m) {
        double[] a = new double[c.length];
        for (int i = 0; i < c.length; i++) a[i] = -Math.abs(c[i]);
        java.util.Arrays.sort(a);
        return a[0] / a[m];
    }

    @Test
    void randomCodewordsNeverBeatTheHeightAndK2BruteForceReachesIt() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 20; trial++) {
            int k = 2 + trial % 3;
            int n = k + 2 + trial % 3;
            double[][] p = new double[k][n - k];
            for (double[] row : p) for (int t = 0; t < row.length; t++) row[t] = rnd.nextInt(-20, 21) + 0.5;
            double[] prof = MHeight.profile(n, k, p);
            for (int s = 0; s < 3000; s++) {
                double[] u = new double[k];
                for (int t = 0; t < k; t++) u[t] = rnd.nextGaussian();
                double[] c = new double[n];
                for (int j = 0; j < n; j++) {
                    double v = 0;
                    for (int t = 0; t < k; t++) v += u[t] * (j < k ? (t == j ? 1 : 0) : p[t][j - k]);
                    c[j] = v;
                }
                for (int m = 1; m < n; m++) {
                    if (Double.isFinite(prof[m])) assertTrue(ratio(c, m) <= prof[m] * (1 + 1e-9), "trial " + trial + " m=" + m);
                }
            }
            if (k == 2) {
                // dense sweep of the unit circle of messages: the sup is approached from below
                for (int m = 1; m <= n - k; m++) {
                    if (!Double.isFinite(prof[m])) continue;
                    double best = 0;
                    for (int s = 0; s < 200_000; s++) {
                        double th = Math.PI * s / 200_000;
                        double u0 = Math.cos(th);
                        double u1 = Math.sin(th);
                        double[] c = new double[n];
                        c[0] = u0;
                        c[1] = u1;
                        for (int t = 0; t < n - 2; t++) c[2 + t] = u0 * p[0][t] + u1 * p[1][t];
                        best = Math.max(best, ratio(c, m));
                    }
                    assertTrue(best <= prof[m] * (1 + 1e-9) && best >= prof[m] * 0.99, "k=2 brute force " + best + " vs " + prof[m]);
                }
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        var ex = assertThrows(IllegalArgumentException.class, () -> MHeight.vertex(9, 4, 2, new double[4][4]));
        assertTrue(ex.getMessage().contains("4x5"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MHeight.vertex(9, 4, 9, new double[4][5]));
        assertThrows(IllegalArgumentException.class, () -> MHeight.vertex(4, 4, 1, new double[4][0]));
        double[][] nan = new double[4][5];
        nan[1][2] = Double.NaN;
        assertThrows(IllegalArgumentException.class, () -> MHeight.lp(9, 4, 2, nan));
    }
}
