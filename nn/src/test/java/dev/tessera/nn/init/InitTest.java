package dev.tessera.nn.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.nn.init.Init.FanMode;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class InitTest {
    /** {mean, std, max |x|} in float64. */
    private static double[] stats(Tensor t) {
        double[] v = t.toDoubleArray();
        double s = 0, ss = 0, max = 0;
        for (double x : v) {
            s += x;
            max = Math.max(max, Math.abs(x));
        }
        double mean = s / v.length;
        for (double x : v) ss += (x - mean) * (x - mean);
        return new double[] {mean, Math.sqrt(ss / v.length), max};
    }

    private static Tensor w() {
        return Tensor.empty(DType.F32, 200, 300);   // fanOut 200, fanIn 300
    }

    @Test
    void fansFollowPyTorch() {
        assertArrayEquals(new int[] {300, 200}, Init.fans("t", w()));
        assertArrayEquals(new int[] {36, 72}, Init.fans("t", Tensor.empty(DType.F32, 8, 4, 3, 3)));
        assertArrayEquals(new int[] {5, 5}, Init.fans("t", Tensor.empty(DType.F32, 5)));
        assertThrows(IllegalArgumentException.class, () -> Init.fans("t", Tensor.scalar(DType.F32, 1)));
    }

    @Test
    void xavierUniformBoundAndVariance() {
        double bound = Math.sqrt(6.0 / 500);
        double[] s = stats(Init.xavierUniform(w(), new Rng(1), 1.0));
        assertTrue(s[2] <= bound);
        assertEquals(0, s[0], 0.01 * bound);
        assertEquals(bound / Math.sqrt(3), s[1], 0.01 * bound);
        double[] g = stats(Init.xavierUniform(w(), new Rng(1), 2.0));
        assertTrue(g[2] <= 2 * bound && g[2] > 1.9 * bound);
    }

    @Test
    void xavierNormalStd() {
        double[] s = stats(Init.xavierNormal(w(), new Rng(2), 1.0));
        assertEquals(0, s[0], 0.002);
        assertEquals(Math.sqrt(2.0 / 500), s[1], 0.01 * Math.sqrt(2.0 / 500));
    }

    @Test
    void kaimingUniformAndNormal() {
        double bound = Math.sqrt(2.0) * Math.sqrt(3.0 / 300);
        double[] u = stats(Init.kaimingUniform(w(), new Rng(3), 0.0, FanMode.FAN_IN));
        assertTrue(u[2] <= bound && u[2] > 0.99 * bound);
        assertEquals(bound / Math.sqrt(3), u[1], 0.01 * bound);
        // PyTorch's Linear default: a = sqrt(5) gives bound 1 / sqrt(fanIn)
        double[] lin = stats(Init.kaimingUniform(w(), new Rng(3), Math.sqrt(5), FanMode.FAN_IN));
        assertTrue(lin[2] <= 1 / Math.sqrt(300) && lin[2] > 0.99 / Math.sqrt(300));
        double[] n = stats(Init.kaimingNormal(w(), new Rng(4), 0.0, FanMode.FAN_OUT));
        assertEquals(Math.sqrt(2.0 / 200), n[1], 0.01 * Math.sqrt(2.0 / 200));
    }

    @Test
    void normalUniformZerosConstant() {
        double[] n = stats(Init.normal(w(), new Rng(5), 0.5, 0.02));
        assertEquals(0.5, n[0], 0.001);
        assertEquals(0.02, n[1], 0.0005);
        double[] u = stats(Init.uniform(w(), new Rng(6), -0.1, 0.3));
        assertEquals(0.1, u[0], 0.003);
        assertTrue(u[2] <= 0.3);
        assertArrayEquals(new float[6], Init.zeros(Tensor.ones(DType.F32, 2, 3)).toFloatArray());
        assertArrayEquals(new float[] {7, 7}, Init.constant(Tensor.empty(DType.F32, 2), 7).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> Init.normal(w(), new Rng(1), 0, -1));
    }

    @Test
    void sameGeneratorStateGivesTheSameWeights() {
        Tensor a = Init.xavierUniform(w(), new Rng(9), 1.0), b = Init.xavierUniform(w(), new Rng(9), 1.0);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        Rng r = new Rng(9);
        Init.xavierUniform(w(), r, 1.0);
        assertTrue(!java.util.Arrays.equals(a.toFloatArray(), Init.xavierUniform(w(), r, 1.0).toFloatArray()), "the generator advances");
    }
}
