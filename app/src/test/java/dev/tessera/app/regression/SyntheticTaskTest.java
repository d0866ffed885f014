package dev.tessera.app.regression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.Rng;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SyntheticTaskTest {
    @Test
    void sumTargetsAreTheSumsOfTheInputs() {
        TaskData d = SyntheticTask.SUM.generate(50, 7, 1, 0.0, new Rng(3));
        assertArrayEquals(new int[] {50, 7}, d.inputs().shape());
        assertArrayEquals(new int[] {50}, d.targets().shape());
        float[] x = d.inputs().toFloatArray(), y = d.targets().toFloatArray();
        for (int i = 0; i < 50; i++) {
            double s = 0;
            for (int t = 0; t < 7; t++) {
                assertTrue(x[i * 7 + t] >= -1 && x[i * 7 + t] <= 1);
                s += x[i * 7 + t];
            }
            assertEquals(s, y[i], 1e-5);
        }
    }

    @Test
    void arithmeticSequencesContinueWithTheirStep() {
        TaskData d = SyntheticTask.ARITH.generate(20, 5, 3, 0.0, new Rng(4));
        assertArrayEquals(new int[] {20, 3}, d.targets().shape());
        float[] x = d.inputs().toFloatArray(), y = d.targets().toFloatArray();
        for (int i = 0; i < 20; i++) {
            double step = x[i * 5 + 1] - x[i * 5];
            assertTrue(Math.abs(step) <= 0.1 + 1e-6);
            for (int t = 2; t < 5; t++) assertEquals(step, x[i * 5 + t] - x[i * 5 + t - 1], 1e-5);
            assertEquals(x[i * 5 + 4] + step, y[i * 3], 1e-5);
            assertEquals(x[i * 5 + 4] + 3 * step, y[i * 3 + 2], 1e-5);
        }
    }

    @Test
    void sineValuesStayWithinTheAmplitudeAndNoiseAddsVariance() {
        TaskData clean = SyntheticTask.SINE.generate(200, 16, 1, 0.0, new Rng(5));
        for (float v : clean.inputs().toFloatArray()) assertTrue(Math.abs(v) <= 1.5 + 1e-6);
        // same seed, same signal: the difference is the noise alone (std 0.1)
        TaskData noisy = SyntheticTask.SINE.generate(200, 16, 1, 0.1, new Rng(5));
        float[] a = clean.inputs().toFloatArray(), b = noisy.inputs().toFloatArray();
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        double std = Math.sqrt(s / a.length);
        assertTrue(std > 0.08 && std < 0.12, "noise std " + std);
    }

    @Test
    void reverseAndSortTargets() {
        TaskData r = SyntheticTask.REVERSE.generate(10, 6, 1, 0.0, new Rng(6));
        TaskData s = SyntheticTask.SORT.generate(10, 6, 1, 0.0, new Rng(6));
        assertArrayEquals(r.inputs().toFloatArray(), s.inputs().toFloatArray());
        float[] x = r.inputs().toFloatArray(), yr = r.targets().toFloatArray(), ys = s.targets().toFloatArray();
        for (int i = 0; i < 10; i++) {
            float[] row = Arrays.copyOfRange(x, i * 6, i * 6 + 6);
            for (int t = 0; t < 6; t++) assertEquals(row[5 - t], yr[i * 6 + t]);
            Arrays.sort(row);
            assertArrayEquals(row, Arrays.copyOfRange(ys, i * 6, i * 6 + 6));
        }
    }

    @Test
    void sameSeedSameData() {
        for (SyntheticTask t : SyntheticTask.values()) {
            TaskData a = t.generate(8, 4, 2, 0.05, new Rng(9)), b = t.generate(8, 4, 2, 0.05, new Rng(9));
            assertArrayEquals(a.inputs().toFloatArray(), b.inputs().toFloatArray(), t.cliName());
            assertArrayEquals(a.targets().toFloatArray(), b.targets().toFloatArray(), t.cliName());
        }
    }

    @Test
    void badArgumentsAreNamed() {
        assertEquals("unknown task 'cube', expected one of [sum, sine, arith, reverse, sort]",
                assertThrows(IllegalArgumentException.class, () -> SyntheticTask.parse("cube")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyntheticTask.SINE.generate(4, 1, 1, 0, new Rng(1))).getMessage()
                .contains("seqLen must be >= 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyntheticTask.SUM.generate(4, 4, 1, -1, new Rng(1))).getMessage()
                .contains("noise"));
    }
}
