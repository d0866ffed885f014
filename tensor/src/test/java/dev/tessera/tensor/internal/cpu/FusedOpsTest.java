package dev.tessera.tensor.internal.cpu;

import static dev.tessera.tensor.internal.cpu.Fixtures.assertClose;
import static dev.tessera.tensor.internal.cpu.Fixtures.assertError;
import static dev.tessera.tensor.internal.cpu.Fixtures.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.tensor.Backend;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.OpReference;
import dev.tessera.tensor.ReferenceOps;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.internal.cpu.Fixtures.Layout;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Fused kernels of the CPU backend against the float64 loops of {@link ReferenceOps}. */
class FusedOpsTest {
    private static final Backend CPU = CpuBackend.INSTANCE;
    private static final DType[] FLOATS = {DType.F32, DType.F64};
    private static final Layout[] LAYOUTS = {Layout.CONTIGUOUS, Layout.PERMUTED, Layout.SLICED};
    private static final int[][] SHAPES = {{1}, {7}, {5, 3}, {2, 7, 3}, {3, 0, 2}, {13, 31}, {300, 1031}};

    private static double atol(DType dt) {
        return dt == DType.F64 ? 1e-12 : 1e-6;
    }

    /** geluBackward is a default method of the SPI (the composite), so OpCoverageTest does not require it; the CPU override is checked here. */
    @Test
    void geluBackwardMatchesReference() {
        Random r = new Random(5);
        for (DType dt : FLOATS) {
            for (int[] xs : SHAPES) {
                Layout lay = xs.length > 1 && xs[0] > 100 ? Layout.CONTIGUOUS : LAYOUTS[xs.length % 3];
                int n = ReferenceOps.numel(xs);
                double[] xv = Fixtures.values(r, dt, -7, 7, n), gv = Fixtures.values(r, dt, -2, 2, n);
                double[] want = new double[n];
                for (int i = 0; i < n; i++) {
                    double v = xv[i];
                    double cdf = 0.5 * (1 + dev.tessera.tensor.ops.UnaryOp.ERF.apply(v / Math.sqrt(2)));
                    want[i] = gv[i] * (cdf + v * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI));
                }
                Tensor x = Fixtures.make(dt, xv, lay, xs), g = Fixtures.make(dt, gv, Layout.CONTIGUOUS, xs);
                assertClose("geluBackward " + dt + " " + Arrays.toString(xs) + " " + lay, want, xs, dt, CPU.geluBackward(x, g),
                        Fixtures.tol(dt), atol(dt));
            }
        }
        // mixed dtypes take the composite path and promote like it
        Tensor x = Tensor.of(new float[] {-1f, 0f, 2f}, 3), g = Tensor.of(new double[] {1, 1, 1}, 3);
        Tensor gx = CPU.geluBackward(x, g);
        assertEquals(DType.F64, gx.dtype());
        assertEquals(0.5, gx.toDoubleArray()[1], 1e-12);
        assertError(() -> CPU.geluBackward(x, Tensor.zeros(DType.F32, 4)), "geluBackward", "same shape");
    }

    @Test
    @OpReference({"softmax", "logSoftmax"})
    void softmaxAndLogSoftmaxMatchReference() {
        Random r = new Random(1);
        for (DType dt : FLOATS) {
            for (int[] xs : SHAPES) {
                for (int dim = 0; dim < xs.length; dim++) {
                    Layout lay = xs.length > 1 && xs[0] > 100 ? Layout.CONTIGUOUS : LAYOUTS[(dim + xs.length) % 3];
                    double[] xv = Fixtures.values(r, dt, -8, 8, ReferenceOps.numel(xs));
                    Tensor x = Fixtures.make(dt, xv, lay, xs);
                    String what = dt + " " + Arrays.toString(xs) + " dim " + dim + " " + lay;
                    assertClose("softmax " + what, ReferenceOps.softmax(xv, xs, dim), xs, dt, x.softmax(dim),
                            Fixtures.tol(dt), atol(dt));
                    assertClose("logSoftmax " + what, ReferenceOps.logSoftmax(xv, xs, dim), xs, dt, x.logSoftmax(dim),
                            Fixtures.tol(dt), 1e-5);
                }
            }
        }
        // huge logits do not overflow; -inf entries get probability 0; an all -inf row is NaN as in PyTorch
        double inf = Double.POSITIVE_INFINITY;
        Tensor x = Tensor.of(new float[] {1000, 999, 0, Float.NEGATIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 3, 2);
        double e = Math.exp(-1);
        assertClose("softmax extremes", new double[] {1 / (1 + e), e / (1 + e), 1, 0, Double.NaN, Double.NaN},
                new int[] {3, 2}, DType.F32, x.softmax(1), 1e-6, 1e-7);
        assertClose("logSoftmax extremes", new double[] {-Math.log1p(e), -1 - Math.log1p(e), 0, -inf, Double.NaN, Double.NaN},
                new int[] {3, 2}, DType.F32, Tensor.of(new float[] {1000, 999, 0, Float.NEGATIVE_INFINITY,
                        Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 3, 2).logSoftmax(1), 1e-6, 1e-6);
        // BF16 computes in float and rounds back
        Tensor b = Tensor.of(new float[] {1, 2, 3}).to(DType.BF16).softmax(0);
        assertClose("softmax bf16", ReferenceOps.softmax(new double[] {1, 2, 3}, new int[] {3}, 0), new int[] {3},
                DType.BF16, b, 1e-2, 1e-3);
        assertError(() -> Tensor.of(new int[] {1}).softmax(0), "softmax", "floating");
    }

    @Test
    @OpReference({"softmaxBackward", "logSoftmaxBackward"})
    void softmaxBackwardsMatchJacobian() {
        Random r = new Random(2);
        for (DType dt : FLOATS) {
            for (int[] xs : new int[][] {{1}, {7}, {5, 3}, {2, 7, 3}, {3, 0, 2}, {64, 257}}) {
                for (int dim = 0; dim < xs.length; dim++) {
                    Layout lay = LAYOUTS[(dim + 1) % 3];
                    int n = ReferenceOps.numel(xs);
                    double[] xv = Fixtures.values(r, DType.F64, -3, 3, n), gv = Fixtures.values(r, dt, -1, 1, n);
                    double[] y = ReferenceOps.softmax(xv, xs, dim), ly = ReferenceOps.logSoftmax(xv, xs, dim);
                    Tensor yt = Fixtures.make(dt, y, lay, xs), lyt = Fixtures.make(dt, ly, lay, xs);
                    Tensor gt = Fixtures.make(dt, gv, LAYOUTS[dim % 3], xs);
                    double[] yr = ReferenceOps.values(yt), lyr = ReferenceOps.values(lyt);
                    String what = dt + " " + Arrays.toString(xs) + " dim " + dim;
                    assertClose("softmaxBackward " + what, ReferenceOps.softmaxBackward(yr, gv, xs, dim), xs, dt,
                            CPU.softmaxBackward(yt, gt, dim), Fixtures.tol(dt), atol(dt));
                    assertClose("logSoftmaxBackward " + what, ReferenceOps.logSoftmaxBackward(lyr, gv, xs, dim), xs, dt,
                            CPU.logSoftmaxBackward(lyt, gt, dim), Fixtures.tol(dt), 1e-5);
                }
            }
        }
        assertError(() -> CPU.softmaxBackward(Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.F32, 3, 2), 1),
                "softmaxBackward", "[2,3]");
    }

    @Test
    @OpReference({"layerNorm", "rmsNorm"})
    void normsMatchReference() {
        Random r = new Random(3);
        for (DType dt : FLOATS) {
            for (int[] xs : new int[][] {{1}, {7}, {1, 1}, {5, 3}, {2, 7, 64}, {0, 5}, {300, 257}}) {
                int n = xs[xs.length - 1];
                int[] stat = Arrays.copyOf(xs, xs.length - 1);
                for (Layout lay : LAYOUTS) {
                    for (boolean affine : new boolean[] {false, true}) {
                        double[] xv = Fixtures.values(r, dt, -2, 6, ReferenceOps.numel(xs));
                        double[] g = affine ? Fixtures.values(r, dt, 0.5, 1.5, n) : null;
                        double[] b = affine ? Fixtures.values(r, dt, -1, 1, n) : null;
                        Tensor x = Fixtures.make(dt, xv, lay, xs);
                        Tensor gt = affine ? Fixtures.make(dt, g, Layout.SLICED, n) : null;
                        Tensor bt = affine ? Fixtures.exact(dt, b, n) : null;
                        String what = dt + " " + Arrays.toString(xs) + " " + lay + (affine ? " affine" : "");
                        double eps = 1e-5;
                        double[][] ln = ReferenceOps.layerNorm(xv, n, g, b, eps);
                        Tensor[] got = CPU.layerNorm(x, gt, bt, eps);
                        assertClose("layerNorm out " + what, ln[0], xs, dt, got[0], 1e-5, dt == DType.F64 ? 1e-12 : 1e-5);
                        assertClose("layerNorm mean " + what, ln[1], stat, dt, got[1], 1e-6, 1e-6);
                        assertClose("layerNorm rstd " + what, ln[2], stat, dt, got[2], 1e-5, 1e-6);
                        double[][] rms = ReferenceOps.rmsNorm(xv, n, g, eps);
                        Tensor[] rg = CPU.rmsNorm(x, gt, eps);
                        assertClose("rmsNorm out " + what, rms[0], xs, dt, rg[0], 1e-5, dt == DType.F64 ? 1e-12 : 1e-5);
                        assertClose("rmsNorm rstd " + what, rms[1], stat, dt, rg[1], 1e-5, 1e-6);
                        assertClose("layerNorm via Tensor " + what, ln[0], xs, dt, x.layerNorm(gt, bt, eps), 1e-5, 1e-5);
                    }
                }
            }
        }
        assertError(() -> Tensor.zeros(DType.F32, 2, 3).layerNorm(Tensor.ones(DType.F32, 2), null, 1e-5), "layerNorm", "[3]");
        assertError(() -> Tensor.zeros(DType.F32, 2, 3).rmsNorm(Tensor.ones(DType.F32, 4), 1e-5), "rmsNorm", "[3]");
    }

    @Test
    @OpReference({"layerNormBackward", "rmsNormBackward"})
    void normBackwardsMatchJacobian() {
        Random r = new Random(4);
        for (DType dt : FLOATS) {
            for (int[] xs : new int[][] {{1}, {7}, {5, 3}, {2, 7, 64}, {0, 5}, {97, 31}}) {
                int n = xs[xs.length - 1];
                for (boolean affine : new boolean[] {false, true}) {
                    Layout lay = affine ? Layout.PERMUTED : Layout.SLICED;
                    int size = ReferenceOps.numel(xs);
                    double[] xv = Fixtures.values(r, dt, -2, 4, size), gy = Fixtures.values(r, dt, -1, 1, size);
                    double[] g = affine ? Fixtures.values(r, dt, 0.5, 1.5, n) : null;
                    Tensor x = Fixtures.make(dt, xv, lay, xs), gyt = Fixtures.make(dt, gy, Layout.PERMUTED, xs);
                    Tensor gt = affine ? Fixtures.exact(dt, g, n) : null;
                    double eps = 1e-5;
                    String what = dt + " " + Arrays.toString(xs) + (affine ? " affine" : "");
                    double tol = dt == DType.F64 ? 1e-10 : 2e-4;
                    Tensor[] fwd = CPU.layerNorm(x, gt, null, eps);
                    double[][] want = ReferenceOps.layerNormBackward(xv, n, g, gy, eps);
                    Tensor[] got = CPU.layerNormBackward(x, gt, fwd[1], fwd[2], gyt, true);
                    assertClose("layerNormBackward dx " + what, want[0], xs, dt, got[0], tol, tol);
                    assertClose("layerNormBackward dgamma " + what, want[1], new int[] {n}, dt, got[1], tol, tol);
                    assertClose("layerNormBackward dbeta " + what, want[2], new int[] {n}, dt, got[2], tol, tol);
                    Tensor[] noParams = CPU.layerNormBackward(x, gt, fwd[1], fwd[2], gyt, false);
                    assertNull(noParams[1]);
                    assertNull(noParams[2]);
                    Tensor[] rf = CPU.rmsNorm(x, gt, eps);
                    double[][] rw = ReferenceOps.rmsNormBackward(xv, n, g, gy, eps);
                    Tensor[] rgot = CPU.rmsNormBackward(x, gt, rf[1], gyt, true);
                    assertEquals(2, rgot.length);
                    assertClose("rmsNormBackward dx " + what, rw[0], xs, dt, rgot[0], tol, tol);
                    assertClose("rmsNormBackward dgamma " + what, rw[1], new int[] {n}, dt, rgot[1], tol, tol);
                    assertNull(CPU.rmsNormBackward(x, gt, rf[1], gyt, false)[1]);
                }
            }
        }
    }

    @Test
    @OpReference({"layerNormBackward", "rmsNormBackward"})
    void normBackwardIsDeterministicAcrossThreadCounts() {
        Random r = new Random(5);
        int[] xs = {4099, 96};
        Tensor x = Fixtures.exact(DType.F32, Fixtures.values(r, DType.F32, -2, 2, 4099 * 96), xs);
        Tensor gy = Fixtures.exact(DType.F32, Fixtures.values(r, DType.F32, -1, 1, 4099 * 96), xs);
        Tensor g = Fixtures.exact(DType.F32, Fixtures.values(r, DType.F32, 0.5, 1.5, 96), 96);
        Tensor[] fwd = CPU.layerNorm(x, g, null, 1e-5);
        Tensor[] par = CPU.layerNormBackward(x, g, fwd[1], fwd[2], gy, true);
        Tensor[] seq = Fixtures.singleThreaded(() -> CPU.layerNormBackward(x, g, fwd[1], fwd[2], gy, true));
        for (int i = 0; i < 3; i++) assertSameBits("layerNormBackward output " + i, seq[i], par[i]);
        Tensor[] rf = CPU.rmsNorm(x, g, 1e-5);
        Tensor[] rpar = CPU.rmsNormBackward(x, g, rf[1], gy, true);
        Tensor[] rseq = Fixtures.singleThreaded(() -> CPU.rmsNormBackward(x, g, rf[1], gy, true));
        for (int i = 0; i < 2; i++) assertSameBits("rmsNormBackward output " + i, rseq[i], rpar[i]);
    }

    @Test
    @OpReference({"crossEntropy", "crossEntropyBackward"})
    void crossEntropyMatchesReference() {
        Random r = new Random(6);
        int ignore = -100;
        for (DType dt : FLOATS) {
            for (int[] nc : new int[][] {{1, 1}, {5, 7}, {0, 4}, {33, 1}, {257, 1000}}) {
                int nRows = nc[0], c = nc[1];
                for (double ls : new double[] {0, 0.1, 1}) {
                    double[] lv = Fixtures.values(r, dt, -6, 6, nRows * c);
                    int[] t = Fixtures.randomInts(r, c, nRows);
                    for (int i = 0; i < nRows; i += 3) t[i] = ignore;
                    Tensor logits = Fixtures.make(dt, lv, nRows % 2 == 0 ? Layout.PERMUTED : Layout.SLICED, nRows, c);
                    Tensor targets = Tensor.of(t);
                    String what = dt + " [" + nRows + "," + c + "] ls " + ls;
                    Tensor[] got = CPU.crossEntropy(logits, targets, ignore, ls);
                    assertClose("crossEntropy loss " + what, ReferenceOps.crossEntropy(lv, c, t, ignore, ls), new int[] {nRows},
                            dt, got[0], Fixtures.tol(dt), 1e-5);
                    assertClose("crossEntropy logProbs " + what, ReferenceOps.logSoftmax(lv, new int[] {nRows, c}, 1),
                            new int[] {nRows, c}, dt, got[1], Fixtures.tol(dt), 1e-5);
                    double[] gl = Fixtures.values(r, dt, -2, 2, nRows);
                    Tensor dx = CPU.crossEntropyBackward(got[1], targets, Fixtures.make(dt, gl, Layout.SLICED, nRows), ignore, ls);
                    assertClose("crossEntropyBackward " + what, ReferenceOps.crossEntropyBackward(lv, c, t, gl, ignore, ls),
                            new int[] {nRows, c}, dt, dx, Fixtures.tol(dt), 1e-6);
                    assertClose("crossEntropy via Tensor " + what, ReferenceOps.crossEntropy(lv, c, t, ignore, ls),
                            new int[] {nRows}, dt, logits.crossEntropy(targets, ignore, ls), Fixtures.tol(dt), 1e-5);
                }
            }
        }
    }

    @Test
    @OpReference({"crossEntropyBackward"})
    void crossEntropyBackwardMatchesFiniteDifferences() {
        Random r = new Random(7);
        int nRows = 4, c = 5;
        double[] lv = Fixtures.values(r, DType.F64, -2, 2, nRows * c);
        int[] t = {1, -1, 4, 0};
        double ls = 0.2, h = 1e-6;
        double[] gl = {0.5, 1, -1.5, 2};
        Tensor targets = Tensor.of(t);
        Tensor lp = CPU.crossEntropy(Tensor.of(lv, nRows, c), targets, -1, ls)[1];
        double[] got = ReferenceOps.values(CPU.crossEntropyBackward(lp, targets, Tensor.of(gl), -1, ls));
        for (int i = 0; i < lv.length; i++) {
            double[] up = lv.clone(), down = lv.clone();
            up[i] += h;
            down[i] -= h;
            double[] lu = ReferenceOps.values(CPU.crossEntropy(Tensor.of(up, nRows, c), targets, -1, ls)[0]);
            double[] ld = ReferenceOps.values(CPU.crossEntropy(Tensor.of(down, nRows, c), targets, -1, ls)[0]);
            double fd = 0;
            for (int k = 0; k < nRows; k++) fd += gl[k] * (lu[k] - ld[k]) / (2 * h);
            assertEquals(fd, got[i], 1e-7, "finite difference at " + i);
        }
    }

    @Test
    void crossEntropyRejectsBadTargets() {
        Tensor logits = Tensor.zeros(DType.F32, 3, 5);
        assertError(() -> logits.crossEntropy(Tensor.of(new int[] {0, 5, 1}), -100, 0), "crossEntropy", "target 5", "row 1",
                "size 5");
        assertError(() -> logits.crossEntropy(Tensor.of(new int[] {0, -2, 1}), -100, 0), "crossEntropy", "target -2");
        assertError(() -> logits.crossEntropy(Tensor.of(new int[] {0, 1}), -100, 0), "crossEntropy", "[3,5]", "[2]");
        assertError(() -> logits.crossEntropy(Tensor.of(new float[] {0, 1, 2}), -100, 0), "crossEntropy", "I32");
        assertError(() -> CPU.crossEntropyBackward(logits, Tensor.of(new int[] {0, 7, 1}), Tensor.ones(DType.F32, 3), -100, 0),
                "crossEntropyBackward", "target 7");
    }

    @Test
    @OpReference({"adamWStepInPlace"})
    void adamWMatchesReference() {
        Random r = new Random(8);
        for (DType dt : FLOATS) {
            for (int n : new int[] {0, 1, 7, 100_003}) {
                double[] p = Fixtures.values(r, dt, -1, 1, n), m = new double[n], v = new double[n];
                Tensor pt = Fixtures.exact(dt, p, n), mt = Tensor.zeros(dt, n), vt = Tensor.zeros(dt, n);
                for (long step = 1; step <= 3; step++) {
                    double[] g = Fixtures.values(r, dt, -1, 1, n);
                    ReferenceOps.adamW(p, g, m, v, 1e-2, 0.9, 0.999, 1e-8, 0.1, step);
                    CPU.adamWStepInPlace(pt, Fixtures.exact(dt, g, n), mt, vt, 1e-2, 0.9, 0.999, 1e-8, 0.1, step);
                }
                double tol = dt == DType.F64 ? 1e-12 : 1e-5;
                assertClose("adamW p " + dt + " n " + n, p, new int[] {n}, dt, pt, tol, tol);
                assertClose("adamW m " + dt + " n " + n, m, new int[] {n}, dt, mt, tol, tol);
                assertClose("adamW v " + dt + " n " + n, v, new int[] {n}, dt, vt, tol, 1e-9);
            }
        }
        // a contiguous slice with an offset is updated in place, its neighbours untouched
        Tensor buf = Tensor.ones(DType.F32, 6);
        Tensor slice = buf.narrow(0, 2, 3);
        CPU.adamWStepInPlace(slice, Tensor.ones(DType.F32, 3), Tensor.zeros(DType.F32, 3), Tensor.zeros(DType.F32, 3),
                0.1, 0.9, 0.999, 1e-8, 0, 1);
        assertClose("adamW slice", new double[] {1, 1, 0.9, 0.9, 0.9, 1}, new int[] {6}, DType.F32, buf, 1e-6, 1e-6);
        Tensor z = Tensor.zeros(DType.F32, 4);
        assertError(() -> CPU.adamWStepInPlace(z, Tensor.zeros(DType.F64, 4), z.copy(), z.copy(), 1, 0.9, 0.99, 1e-8, 0, 1),
                "adamWStep", "grad");
        assertError(() -> CPU.adamWStepInPlace(Tensor.zeros(DType.F32, 2, 2).mT(), Tensor.zeros(DType.F32, 2, 2), z.reshape(2, 2),
                z.reshape(2, 2).copy(), 1, 0.9, 0.99, 1e-8, 0, 1), "adamWStep", "non-contiguous");
        assertError(() -> CPU.adamWStepInPlace(z, z.copy(), z.copy(), z.copy(), 1, 0.9, 0.99, 1e-8, 0, 0), "adamWStep", "step");
    }
}
