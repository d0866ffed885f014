package dev.tessera.moe.binned;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Pool-adjacent-violators against hand-computed fits. */
class IsotonicCalibratorTest {
    private static final double EPS = 1e-12;

    @Test
    void monotoneDataIsLeftUnchanged() {
        var cal = IsotonicCalibrator.fit(new double[] {4, 1, 3, 2}, new double[] {4.5, 1, 3.5, 2}, null, 0, 10);
        assertArrayEquals(new double[] {1, 2, 3, 4}, cal.knotsX(), EPS);
        assertArrayEquals(new double[] {1, 2, 3.5, 4.5}, cal.knotsY(), EPS);
        assertEquals(2.75, cal.apply(2.5), EPS);       // linear between the knots (2, 2) and (3, 3.5)
        assertEquals(3.5, cal.apply(3), EPS);
    }

    @Test
    void violatorsArePooledIntoTheirMean() {
        // y = 1, 3, 2, 4, 3.5: (3, 2) pool to 2.5, (4, 3.5) pool to 3.75
        var cal = IsotonicCalibrator.fit(new double[] {1, 2, 3, 4, 5}, new double[] {1, 3, 2, 4, 3.5}, null, 0, 10);
        assertArrayEquals(new double[] {1, 2, 3, 4, 5}, cal.knotsX(), EPS);
        assertArrayEquals(new double[] {1, 2.5, 2.5, 3.75, 3.75}, cal.knotsY(), EPS);
        assertEquals(3.125, cal.apply(3.5), EPS);
        assertEquals(2.5, cal.apply(2.2), EPS);         // inside a pooled (flat) block
        // a cascade: each new point pulls the whole pooled block down
        var all = IsotonicCalibrator.fit(new double[] {1, 2, 3, 4}, new double[] {5, 1, 1, 1}, null, 0, 10);
        assertArrayEquals(new double[] {1, 4}, all.knotsX(), EPS);   // one flat block: only its ends are kept
        assertArrayEquals(new double[] {2, 2}, all.knotsY(), EPS);
        assertEquals(2, all.apply(2.7), EPS);
    }

    @Test
    void tiedPredictionsArePooledFirstAndWeightsCount() {
        // x = 1 twice (y 0 and 2 -> 1, weight 2), then (2, 0.5) violates: (2 + 0.5) / 3
        var cal = IsotonicCalibrator.fit(new double[] {1, 2, 1, 3}, new double[] {0, 0.5, 2, 3}, null, 0, 10);
        assertArrayEquals(new double[] {1, 2, 3}, cal.knotsX(), EPS);
        assertArrayEquals(new double[] {2.5 / 3, 2.5 / 3, 3}, cal.knotsY(), EPS);
        var w = IsotonicCalibrator.fit(new double[] {1, 2}, new double[] {2, 0}, new double[] {3, 1}, 0, 10);
        assertArrayEquals(new double[] {1.5, 1.5}, w.knotsY(), EPS);
        var constant = IsotonicCalibrator.fit(new double[] {5, 5, 5}, new double[] {1, 2, 6}, null, 0, 10);
        assertEquals(3, constant.apply(-100), EPS);
        assertEquals(3, constant.apply(5), EPS);
        assertEquals(3, constant.apply(100), EPS);
    }

    @Test
    void outOfRangePredictionsTakeTheEndValuesAndOutputIsClipped() {
        var cal = IsotonicCalibrator.fit(new double[] {1, 2, 3}, new double[] {-1, 5, 12}, null, 0, 10);
        assertArrayEquals(new double[] {-1, 5, 12}, cal.knotsY(), EPS);   // the fit itself is not clipped
        assertEquals(0, cal.apply(-50), EPS);        // constant extrapolation to -1, clipped to lo = 0
        assertEquals(0, cal.apply(1), EPS);
        assertEquals(2, cal.apply(1.5), EPS);         // -1 + 0.5 * 6
        assertEquals(8.5, cal.apply(2.5), EPS);
        assertEquals(10, cal.apply(2.9), EPS);        // 11.3 clipped to hi = 10
        assertEquals(10, cal.apply(1e9), EPS);
        assertTrue(Double.isNaN(cal.apply(Double.NaN)));
        double[] t = cal.apply(Tensor.of(new double[] {0, 1.5, 99}, 3)).toDoubleArray();
        assertArrayEquals(new double[] {0, 2, 10}, t, EPS);
    }

    @Test
    void randomFitsAreMonotoneAndPreserveTheWeightedMean() {
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 20; trial++) {
            int n = 1 + r.nextInt(200);
            double[] x = new double[n], y = new double[n], w = new double[n];
            double sw = 0, swy = 0;
            for (int i = 0; i < n; i++) {
                x[i] = Math.floor(r.nextDouble() * 50) / 5;   // many ties
                y[i] = x[i] + 3 * r.nextGaussian();
                w[i] = 0.5 + r.nextDouble();
                sw += w[i];
                swy += w[i] * y[i];
            }
            var cal = IsotonicCalibrator.fit(x, y, w, -1e9, 1e9);
            double[] fx = cal.apply(x);
            double fit = 0;
            for (int i = 0; i < n; i++) fit += w[i] * fx[i];
            // the isotonic least-squares fit keeps the weighted mean (every block is a weighted mean)
            assertEquals(swy / sw, fit / sw, 1e-9);
            double[] grid = new double[100];
            for (int i = 0; i < 100; i++) grid[i] = -1 + i * 0.12;
            double[] g = cal.apply(grid);
            for (int i = 1; i < g.length; i++) assertTrue(g[i] >= g[i - 1] - EPS, "not monotone at " + grid[i]);
        }
    }

    @Test
    void badInputIsRejectedWithClearErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> IsotonicCalibrator.fit(new double[] {1, 2}, new double[] {1}, null, 0, 1));
        assertTrue(e.getMessage().contains("2 values but truth has 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> IsotonicCalibrator.fit(new double[] {1, Double.NaN}, new double[] {1, 2}, null, 0, 1));
        assertTrue(e.getMessage().contains("index 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> IsotonicCalibrator.fit(new double[0], new double[0], null, 0, 1));
        assertTrue(e.getMessage().contains("no points"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> IsotonicCalibrator.fit(new double[] {1}, new double[] {1}, new double[] {0}, 0, 1));
        assertTrue(e.getMessage().contains("weight"), e.getMessage());
        var cal = IsotonicCalibrator.fit(new double[] {1, 2, 3}, new double[] {3, 1, 2}, null, 0, 5);
        var back = IsotonicCalibrator.of(cal.knotsX(), cal.knotsY(), cal.lo(), cal.hi());
        assertEquals(cal.apply(1.7), back.apply(1.7), EPS);
        assertThrows(IllegalArgumentException.class, () -> IsotonicCalibrator.of(new double[] {1, 0}, new double[] {0, 1}, 0, 1));
    }
}
