package dev.tessera.tensor.internal.cpu;

import static dev.tessera.tensor.internal.cpu.Fixtures.assertClose;
import static dev.tessera.tensor.internal.cpu.Fixtures.assertError;
import static dev.tessera.tensor.internal.cpu.Fixtures.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.Backend;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.OpReference;
import dev.tessera.tensor.ReferenceOps;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random kernels of the CPU backend: element-indexed fills and dropout. */
class RandomOpsTest {
    private static final Backend CPU = CpuBackend.INSTANCE;

    @Test
    @OpReference({"fillUniformInPlace", "fillNormalInPlace"})
    void fillsEqualRngFillsInRowMajorOrder() {
        for (int n : new int[] {0, 1, 7, 100_003}) {
            for (boolean normal : new boolean[] {false, true}) {
                float[] wf = new float[n];
                double[] wd = new double[n];
                if (normal) {
                    new Rng(9).fillNormal(wf, 0, n, 0.5f, 2f);
                    new Rng(9).fillNormal(wd, 0, n, 0.5, 2);
                } else {
                    new Rng(9).fillUniform(wf, 0, n, -1f, 3f);
                    new Rng(9).fillUniform(wd, 0, n, -1, 3);
                }
                double[] wantF = new double[n];
                for (int i = 0; i < n; i++) wantF[i] = wf[i];
                String what = (normal ? "normal" : "uniform") + " n " + n;
                Rng rf = new Rng(9), rd = new Rng(9);
                Tensor tf = normal ? Tensor.normal(rf, DType.F32, 0.5, 2, n) : Tensor.uniform(rf, DType.F32, -1, 3, n);
                Tensor td = normal ? Tensor.normal(rd, DType.F64, 0.5, 2, n) : Tensor.uniform(rd, DType.F64, -1, 3, n);
                assertClose(what + " F32", wantF, new int[] {n}, DType.F32, tf, 0, 0);
                assertClose(what + " F64", wd, new int[] {n}, DType.F64, td, 0, 0);
                assertEquals(Rng.blocksForFloats(n), rf.counter(), what + ": float fill advances ceil(n/4) blocks");
                assertEquals(Rng.blocksForDoubles(n), rd.counter(), what + ": double fill advances ceil(n/2) blocks");
                // one thread gives the same bits
                Tensor seq = Fixtures.singleThreaded(() -> normal ? Tensor.normal(new Rng(9), DType.F32, 0.5, 2, n)
                        : Tensor.uniform(new Rng(9), DType.F32, -1, 3, n));
                assertSameBits(what + " threads", seq, tf);
            }
        }
    }

    @Test
    @OpReference({"fillUniformInPlace", "fillNormalInPlace"})
    void fillsOfViewsAndBf16FollowRowMajorOrder() {
        float[] w = new float[12];
        new Rng(5).fillUniform(w, 0, 12, 0f, 1f);
        // a transposed view gets element i of its own row-major order, wherever it lies in memory
        Tensor base = Tensor.zeros(DType.F32, 4, 3);
        Tensor view = base.mT();
        CPU.fillUniformInPlace(view, new Rng(5), 0, 1);
        double[] want = new double[12];
        for (int i = 0; i < 12; i++) want[i] = w[i];
        assertClose("transposed fill", want, new int[] {3, 4}, DType.F32, view, 0, 0);
        // a strided slice leaves the gaps untouched
        Tensor row = Tensor.full(DType.F32, -5, 10);
        CPU.fillUniformInPlace(row.slice(0, 1, 10, 2), new Rng(5), 0, 1);
        double[] got = ReferenceOps.values(row);
        for (int i = 0; i < 10; i++) assertEquals(i % 2 == 0 ? -5 : w[i / 2], got[i], 0, "slice element " + i);
        // BF16 is the float fill rounded to bf16
        Tensor b = Tensor.uniform(new Rng(5), DType.BF16, 0, 1, 12);
        double[] wb = new double[12];
        for (int i = 0; i < 12; i++) wb[i] = DType.fromBf16(DType.toBf16(w[i]));
        assertClose("bf16 fill", wb, new int[] {12}, DType.BF16, b, 0, 0);
        assertError(() -> CPU.fillNormalInPlace(Tensor.zeros(DType.I32, 3), new Rng(1), 0, 1), "fillNormal", "floating");
    }

    @Test
    @OpReference({"fillNormalInPlace", "fillUniformInPlace"})
    void fillStatistics() {
        int n = 200_000;
        double[] z = Tensor.randn(new Rng(11), DType.F32, n).toDoubleArray();
        double[] u = Tensor.uniform(new Rng(12), DType.F64, 2, 4, n).toDoubleArray();
        double mz = 0, vz = 0, mu = 0, lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (double x : z) mz += x / n;
        for (double x : z) vz += (x - mz) * (x - mz) / n;
        for (double x : u) {
            mu += x / n;
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        assertEquals(0, mz, 0.01, "normal mean");
        assertEquals(1, vz, 0.02, "normal variance");
        assertEquals(3, mu, 0.01, "uniform mean");
        assertTrue(lo >= 2 && hi < 4, "uniform range [" + lo + ", " + hi + "]");
    }

    @Test
    @OpReference({"dropout"})
    void dropoutFollowsTheElementIndexedRule() {
        Random r = new Random(3);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int[] shape : new int[][] {{0}, {1}, {7}, {5, 3}, {301, 997}}) {
                for (double p : new double[] {0.1, 0.5, 0.9}) {
                    int n = ReferenceOps.numel(shape);
                    double[] xv = Fixtures.values(r, dt, -2, 2, n);
                    Tensor x = Fixtures.make(dt, xv, Fixtures.Layout.PERMUTED, shape);
                    Rng rng = new Rng(77);
                    Tensor[] got = CPU.dropout(x, p, rng);
                    assertEquals(Rng.blocksForFloats(n), rng.counter(), "dropout advances ceil(n/4) blocks");
                    Rng ref = new Rng(77);
                    double[] mask = new double[n], out = new double[n];
                    double scale = 1 / (1 - p);
                    for (int i = 0; i < n; i++) {
                        boolean keep = ref.uniformAt(0, i) >= p;
                        mask[i] = keep ? (dt == DType.F32 ? (float) scale : scale) : 0;
                        out[i] = dt == DType.F32 ? (float) xv[i] * (float) mask[i] : xv[i] * mask[i];
                    }
                    String what = "dropout " + dt + " n " + n + " p " + p;
                    assertClose(what + " mask", mask, shape, dt, got[1], 0, 0);
                    assertClose(what + " out", out, shape, dt, got[0], 0, 0);
                    Tensor[] seq = Fixtures.singleThreaded(() -> CPU.dropout(x, p, new Rng(77)));
                    assertSameBits(what + " threads", seq[1], got[1]);
                    assertSameBits(what + " same seed", CPU.dropout(x, p, new Rng(77))[1], got[1]);
                }
            }
        }
    }

    @Test
    @OpReference({"dropout"})
    void dropoutStatisticsAndReproducibility() {
        int n = 400_000;
        double p = 0.3;
        Tensor x = Tensor.ones(DType.F32, n);
        Tensor[] a = CPU.dropout(x, p, new Rng(1));
        double[] m = a[1].toDoubleArray();
        int kept = 0;
        float scale = (float) (1 / (1 - p));
        for (double v : m) {
            assertTrue(v == 0 || v == scale, "mask value " + v);
            if (v != 0) kept++;
        }
        assertEquals(1 - p, (double) kept / n, 0.005, "kept fraction");
        double mean = 0;
        for (double v : a[0].toDoubleArray()) mean += v / n;
        assertEquals(1, mean, 0.01, "inverted dropout keeps the mean");
        assertNotEquals(0, differences(m, CPU.dropout(x, p, new Rng(2))[1].toDoubleArray()), "another seed differs");
        // a generator that is advanced draws a fresh mask; F64 uses the same mask pattern as F32
        Rng rng = new Rng(1);
        Tensor first = CPU.dropout(x, p, rng)[1], second = CPU.dropout(x, p, rng)[1];
        assertSameBits("same seed", a[1], first);
        assertNotEquals(0, differences(first.toDoubleArray(), second.toDoubleArray()), "advanced generator differs");
        double[] m64 = CPU.dropout(Tensor.ones(DType.F64, n), p, new Rng(1))[1].toDoubleArray();
        for (int i = 0; i < n; i++) assertEquals(m[i] != 0, m64[i] != 0, "F64 mask pattern at " + i);
        // BF16 input: BF16 output, F32 mask
        Tensor[] b = CPU.dropout(Tensor.ones(DType.BF16, 8), 0.5, new Rng(1));
        assertEquals(DType.BF16, b[0].dtype());
        assertEquals(DType.F32, b[1].dtype());
        assertSame(x, x.dropout(0, new Rng(1)));
        assertError(() -> x.dropout(1, new Rng(1)), "dropout", "p");
        assertError(() -> CPU.dropout(Tensor.ones(DType.I32, 2), 0.5, new Rng(1)), "dropout", "floating");
    }

    private static int differences(double[] a, double[] b) {
        int d = 0;
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) d++;
        return d;
    }
}
