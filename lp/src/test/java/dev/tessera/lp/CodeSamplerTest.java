package dev.tessera.lp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CodeSamplerTest {
    @Test
    void sameSeedSameMatrices() {
        for (CodeSampler.Kind kind : CodeSampler.Kind.values()) {
            CodeSampler s = new CodeSampler(kind);
            SplittableRandom a = new SplittableRandom(42);
            SplittableRandom b = new SplittableRandom(42);
            double[] x = new double[20];
            double[] y = new double[20];
            for (int i = 0; i < 50; i++) {
                s.draw(a, 4, 5, x);
                s.draw(b, 4, 5, y);
                assertArrayEquals(x, y);
            }
        }
    }

    @Test
    void intscaleHasPerMatrixScalesAndNeverAZeroColumn() {
        CodeSampler s = new CodeSampler(CodeSampler.Kind.INTSCALE);
        SplittableRandom rng = new SplittableRandom(1);
        double[] p = new double[6 * 3];
        int small = 0;
        int large = 0;
        for (int i = 0; i < 20_000; i++) {
            s.draw(rng, 6, 3, p);
            assertFalse(CodeSampler.hasZeroColumn(p, 6, 3));
            double max = 0;
            for (double v : p) {
                assertEquals(Math.rint(v), v);
                max = Math.max(max, Math.abs(v));
            }
            assertTrue(max <= 100);
            if (max <= 3) small++;
            if (max >= 60) large++;
        }
        // a = round(10^U): P(a <= 3) ~ log10(3.5)/2 ~ 0.27, P(a >= 60) ~ (2 - log10(59.5))/2 ~ 0.11
        assertTrue(small > 4000 && small < 6500, "small scales " + small);
        assertTrue(large > 1500 && large < 3000, "large scales " + large);
    }

    @Test
    void int100AndReal100Ranges() {
        SplittableRandom rng = new SplittableRandom(3);
        double[] p = new double[30];
        double min = 0;
        double max = 0;
        for (int i = 0; i < 2000; i++) {
            new CodeSampler(CodeSampler.Kind.INT100).draw(rng, 6, 5, p);
            for (double v : p) {
                assertEquals(Math.rint(v), v);
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertEquals(-100, min);
        assertEquals(100, max);
        new CodeSampler(CodeSampler.Kind.REAL100).draw(rng, 6, 5, p);
        boolean nonInteger = false;
        for (double v : p) {
            assertTrue(Math.abs(v) < 100);
            nonInteger |= v != Math.rint(v);
        }
        assertTrue(nonInteger);
        assertEquals(CodeSampler.Kind.INT100, CodeSampler.Kind.parse("INT100"));
        assertThrows(IllegalArgumentException.class, () -> CodeSampler.Kind.parse("gauss"));
    }
}
