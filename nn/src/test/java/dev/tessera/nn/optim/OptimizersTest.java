package dev.tessera.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.nn.Parameter;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class OptimizersTest {
    static final double[] P0 = {1.0, -2.0};
    static final double[][] GRADS = {{0.5, -1.0}, {0.2, 0.4}};

    /** Runs two steps with the fixed gradients on a fresh F64 (or F32) parameter; returns the values after each step. */
    static double[][] run(DType dtype, Function<List<Parameter>, Optimizer> make) {
        Parameter p = new Parameter("w", Tensor.of(P0).to(dtype));
        Optimizer opt = make.apply(List.of(p));
        double[][] out = new double[2][];
        for (int s = 0; s < 2; s++) {
            opt.zeroGrad();
            p.var().accumulateGrad(Tensor.of(GRADS[s]).to(dtype));
            opt.step();
            out[s] = p.value().toDoubleArray();
        }
        assertEquals(2, opt.stepCount());
        return out;
    }

    static void assertClose(double[] expected, double[] actual, double tol) {
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], tol, "element " + i);
    }

    // ------------------------------------------------------------------ SGD (numbers worked out by hand)

    @Test
    void sgdPlain() {
        double[][] r = run(DType.F64, ps -> new Sgd(ps, 0.1));
        assertClose(new double[] {0.95, -1.9}, r[0], 1e-15);
        assertClose(new double[] {0.93, -1.94}, r[1], 1e-15);
    }

    @Test
    void sgdMomentum() {
        // buf1 = g1; p1 = p0 - 0.1 g1; buf2 = 0.9 g1 + g2 = [0.65, -0.5]; p2 = p1 - 0.1 buf2
        double[][] r = run(DType.F64, ps -> new Sgd(ps, 0.1, 0.9, 0.0, false, 0.0));
        assertClose(new double[] {0.95, -1.9}, r[0], 1e-15);
        assertClose(new double[] {0.885, -1.85}, r[1], 1e-15);
    }

    @Test
    void sgdNesterov() {
        // d1 = g1 + 0.9 g1 = [0.95, -1.9]; buf2 = [0.65, -0.5]; d2 = g2 + 0.9 buf2 = [0.785, -0.05]
        double[][] r = run(DType.F64, ps -> new Sgd(ps, 0.1, 0.9, 0.0, true, 0.0));
        assertClose(new double[] {0.905, -1.81}, r[0], 1e-15);
        assertClose(new double[] {0.8265, -1.805}, r[1], 1e-15);
    }

    @Test
    void sgdWeightDecayMomentumDampening() {
        // g1' = g1 + 0.1 p0 = [0.6, -1.2] = buf1; p1 = [0.94, -1.88]
        // g2' = g2 + 0.1 p1 = [0.294, 0.212]; buf2 = 0.9 buf1 + 0.5 g2' = [0.687, -0.974]; p2 = p1 - 0.1 buf2
        double[][] r = run(DType.F64, ps -> new Sgd(ps, 0.1, 0.9, 0.5, false, 0.1));
        assertClose(new double[] {0.94, -1.88}, r[0], 1e-15);
        assertClose(new double[] {0.8713, -1.7826}, r[1], 1e-14);
        // decay without momentum: p1 = p0 - 0.1 (g1 + 0.1 p0)
        double[][] plain = run(DType.F64, ps -> new Sgd(ps, 0.1, 0.0, 0.0, false, 0.1));
        assertClose(new double[] {0.94, -1.88}, plain[0], 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.<Parameter>of(), 0.1, 0.0, 0.0, true, 0.0));
    }

    // ------------------------------------------------------------------ Adam family (float64 reference)

    /** PyTorch's Adam/AdamW in plain doubles: l2 adds wd*p to the gradient, decoupled shrinks p by lr*wd. */
    static double[][] adamReference(double lr, double b1, double b2, double eps, double l2, double decoupled) {
        double[] p = P0.clone(), m = new double[2], v = new double[2];
        double[][] out = new double[2][];
        for (int t = 1; t <= 2; t++) {
            for (int i = 0; i < 2; i++) {
                double g = GRADS[t - 1][i] + l2 * p[i];
                p[i] *= 1 - lr * decoupled;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mh = m[i] / (1 - Math.pow(b1, t)), vh = v[i] / (1 - Math.pow(b2, t));
                p[i] -= lr * mh / (Math.sqrt(vh) + eps);
            }
            out[t - 1] = p.clone();
        }
        return out;
    }

    @Test
    void adamFirstStepMovesByLrTimesSign() {
        double[][] r = run(DType.F64, ps -> new Adam(ps, 0.1));
        assertClose(new double[] {0.9, -1.9}, r[0], 1e-8);
        // second step worked out by hand: m = [0.065, -0.05], v = [2.8975e-4, 1.159e-3], bc1 = 0.19, bc2 = 0.001999
        double u0 = 0.1 * (0.065 / 0.19) / Math.sqrt(2.8975e-4 / 0.001999), u1 = 0.1 * (-0.05 / 0.19) / Math.sqrt(1.159e-3 / 0.001999);
        assertClose(new double[] {0.9 - u0, -1.9 - u1}, r[1], 1e-8);
    }

    @Test
    void adamL2VersusAdamWDecoupled() {
        double[][] adamL2 = run(DType.F64, ps -> new Adam(ps, 0.1, 0.9, 0.999, 1e-8, 0.5));
        double[][] adamW = run(DType.F64, ps -> new AdamW(ps, 0.1, 0.5));
        for (int s = 0; s < 2; s++) {
            assertClose(adamReference(0.1, 0.9, 0.999, 1e-8, 0.5, 0)[s], adamL2[s], 1e-12);
            assertClose(adamReference(0.1, 0.9, 0.999, 1e-8, 0, 0.5)[s], adamW[s], 1e-12);
        }
        // AdamW step 1 by hand: p0 (1 - 0.05) - 0.1 sign(g1)
        assertClose(new double[] {0.95 - 0.1, -1.9 + 0.1}, adamW[0], 1e-8);
        assertNotEquals(adamL2[1][0], adamW[1][0], 1e-3);
    }

    @Test
    void adamWFusedFloat32MatchesReference() {
        double[][] r = run(DType.F32, ps -> new AdamW(List.of(ParamGroup.of(ps)), 0.01, 0.8, 0.99, 1e-6, 0.1));
        double[][] ref = adamReference(0.01, 0.8, 0.99, 1e-6, 0, 0.1);
        for (int s = 0; s < 2; s++) assertClose(ref[s], r[s], 1e-6);
    }

    @Test
    void adamWCompositePathOnNonContiguousParameterMatchesFused() {
        // a parameter that is a transposed view cannot use the fused kernel
        Tensor base = Tensor.of(new double[] {1, -2, 0.5, 3}, 2, 2);
        Parameter view = new Parameter("v", base.mT());
        Parameter plain = new Parameter("p", base.mT().contiguous());
        Optimizer a = new AdamW(List.of(view), 0.1, 0.2), b = new AdamW(List.of(plain), 0.1, 0.2);
        for (int s = 0; s < 3; s++) {
            Tensor g = Tensor.of(new double[] {0.1 * s, -0.3, 0.7, 0.2 - s}, 2, 2);
            view.var().accumulateGrad(g);
            plain.var().accumulateGrad(g);
            a.step();
            b.step();
            a.zeroGrad();
            b.zeroGrad();
        }
        assertClose(plain.value().toDoubleArray(), view.value().toDoubleArray(), 1e-14);
    }

    // ------------------------------------------------------------------ RMSprop (float64 reference)

    static double[][] rmsReference(double lr, double alpha, double eps, double wd, double momentum, boolean centered) {
        double[] p = P0.clone(), sq = new double[2], ga = new double[2], buf = new double[2];
        double[][] out = new double[2][];
        for (int t = 0; t < 2; t++) {
            for (int i = 0; i < 2; i++) {
                double g = GRADS[t][i] + wd * p[i];
                sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
                double avg;
                if (centered) {
                    ga[i] = alpha * ga[i] + (1 - alpha) * g;
                    avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + eps;
                } else {
                    avg = Math.sqrt(sq[i]) + eps;
                }
                if (momentum > 0) {
                    buf[i] = momentum * buf[i] + g / avg;
                    p[i] -= lr * buf[i];
                } else {
                    p[i] -= lr * g / avg;
                }
            }
            out[t] = p.clone();
        }
        return out;
    }

    @Test
    void rmsPropVariants() {
        double[][] plain = run(DType.F64, ps -> new RmsProp(ps, 0.01));
        // step 1 by hand: sq = 0.01 g^2, p -= 0.01 g / (0.1 |g|) = 0.1 sign(g)
        assertClose(new double[] {0.9, -1.9}, plain[0], 1e-6);
        assertClose(rmsReference(0.01, 0.99, 1e-8, 0, 0, false)[1], plain[1], 1e-12);
        double[][] all = run(DType.F64, ps -> new RmsProp(List.of(ParamGroup.of(ps)), 0.01, 0.9, 1e-8, 0.1, 0.5, true));
        double[][] ref = rmsReference(0.01, 0.9, 1e-8, 0.1, 0.5, true);
        assertClose(ref[0], all[0], 1e-12);
        assertClose(ref[1], all[1], 1e-12);
    }

    // ------------------------------------------------------------------ groups, lr, state

    @Test
    void paramGroupsHaveTheirOwnLrAndDecay() {
        Parameter a = new Parameter("a", Tensor.of(new double[] {1.0}, 1)), b = new Parameter("b", Tensor.of(new double[] {1.0}, 1));
        Sgd opt = new Sgd(List.of(ParamGroup.of(List.of(a)), ParamGroup.of(List.of(b)).withLr(0.01).withWeightDecay(0.5)),
                0.1, 0, 0, false, 0.0);
        assertEquals(0.1, opt.groups().get(0).lr());
        assertEquals(0.0, opt.groups().get(0).weightDecay());
        assertEquals(0.5, opt.groups().get(1).weightDecay());
        a.var().accumulateGrad(Tensor.of(new double[] {1.0}, 1));
        b.var().accumulateGrad(Tensor.of(new double[] {1.0}, 1));
        opt.step();
        assertEquals(0.9, a.value().item(), 1e-15);
        assertEquals(1 - 0.01 * (1 + 0.5), b.value().item(), 1e-15);
        // setLr keeps the ratio between groups
        opt.setLr(0.05);
        assertEquals(0.05, opt.groups().get(0).lr(), 1e-15);
        assertEquals(0.005, opt.groups().get(1).lr(), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(ParamGroup.of(List.of(a)), ParamGroup.of(List.of(a))), 0.1, 0, 0, false, 0));
    }

    @Test
    void parametersWithoutGradientAreSkipped() {
        Parameter a = new Parameter("a", Tensor.of(new double[] {1.0}, 1)), b = new Parameter("b", Tensor.of(new double[] {2.0}, 1));
        AdamW opt = new AdamW(List.of(a, b), 0.1, 0.5);
        a.var().accumulateGrad(Tensor.of(new double[] {1.0}, 1));
        opt.step();
        assertEquals(2.0, b.value().item(), "no gradient, no decay");
        assertTrue(opt.stateDict().containsKey("state.0.exp_avg"));
        assertTrue(!opt.stateDict().containsKey("state.1.exp_avg"));
    }

    @Test
    void stateDictResumesExactly() {
        for (var kind : List.<Function<List<Parameter>, Optimizer>>of(
                ps -> new AdamW(ps, 0.05, 0.01), ps -> new Adam(ps, 0.05, 0.9, 0.99, 1e-8, 0.1),
                ps -> new Sgd(ps, 0.05, 0.9, 0, true, 0.01),
                ps -> new RmsProp(List.of(ParamGroup.of(ps)), 0.01, 0.9, 1e-8, 0.0, 0.9, true))) {
            Parameter p = new Parameter("p", Tensor.of(new float[] {1, -2, 3}, 3));
            Optimizer opt = kind.apply(List.of(p));
            Tensor[] grads = new Tensor[6];
            for (int s = 0; s < 6; s++) grads[s] = Tensor.of(new float[] {0.1f * s, -0.5f, 0.3f - 0.2f * s}, 3);
            for (int s = 0; s < 3; s++) {
                opt.zeroGrad();
                p.var().accumulateGrad(grads[s]);
                opt.step();
            }
            Map<String, Tensor> saved = new LinkedHashMap<>();
            opt.stateDict().forEach((k, v) -> saved.put(k, v.copy()));
            Tensor savedP = p.value().copy();
            for (int s = 3; s < 6; s++) {
                opt.zeroGrad();
                p.var().accumulateGrad(grads[s]);
                opt.step();
            }
            Parameter q = new Parameter("q", savedP);
            Optimizer resumed = kind.apply(List.of(q));
            resumed.loadStateDict(saved);
            assertEquals(3, resumed.stepCount());
            for (int s = 3; s < 6; s++) {
                resumed.zeroGrad();
                q.var().accumulateGrad(grads[s]);
                resumed.step();
            }
            assertArrayEquals(p.value().toFloatArray(), q.value().toFloatArray(), opt.getClass().getSimpleName());
        }
    }

    @Test
    void loadStateDictRejectsForeignKeysAndShapes() {
        Parameter p = new Parameter("p", Tensor.zeros(DType.F32, 3));
        AdamW opt = new AdamW(List.of(p), 0.1, 0.0);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("step", Tensor.of(new double[] {1}, 1));
        sd.put("state.0.exp_avg", Tensor.zeros(DType.F32, 4));
        sd.put("state.5.exp_avg", Tensor.zeros(DType.F32, 3));
        var e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(sd));
        assertTrue(e.getMessage().contains("state.0.exp_avg: checkpoint [4], parameter [3]"), e.getMessage());
        assertTrue(e.getMessage().contains("state.5.exp_avg"), e.getMessage());
    }

    // ------------------------------------------------------------------ clipping, EMA

    @Test
    void clipGradNormScalesToTheLimit() {
        Parameter a = new Parameter("a", Tensor.zeros(DType.F64, 2)), b = new Parameter("b", Tensor.zeros(DType.F64, 1)),
                none = new Parameter("n", Tensor.zeros(DType.F64, 1));
        a.var().accumulateGrad(Tensor.of(new double[] {3, 4}));
        b.var().accumulateGrad(Tensor.of(new double[] {12}));
        List<Parameter> ps = List.of(a, b, none);
        assertEquals(13.0, GradClip.gradNorm(ps), 1e-12);
        assertEquals(13.0, GradClip.clipGradNorm(ps, 6.5), 1e-12);
        double s = 6.5 / (13 + 1e-6);
        assertClose(new double[] {3 * s, 4 * s}, a.grad().toDoubleArray(), 1e-12);
        assertClose(new double[] {12 * s}, b.grad().toDoubleArray(), 1e-12);
        // below the limit nothing changes
        assertEquals(6.5, GradClip.clipGradNorm(ps, 100), 1e-5);
        assertClose(new double[] {3 * s, 4 * s}, a.grad().toDoubleArray(), 1e-12);
        GradClip.clipGradValue(ps, 1.0);
        assertClose(new double[] {1.0, 1.0}, a.grad().toDoubleArray(), 0);
    }

    @Test
    void emaAveragesAndSwaps() {
        var model = new dev.tessera.nn.layers.LayerNorm(1, 1e-5, true, DType.F64);
        Parameter w = model.gamma();   // starts at 1
        Ema ema = new Ema(model, 0.5, false);
        w.value().fillInPlace(3);
        ema.update();
        assertEquals(2.0, ema.averaged("weight").item(), 1e-15);
        w.value().fillInPlace(5);
        ema.update();
        assertEquals(3.5, ema.averaged("weight").item(), 1e-15);
        try (var s = ema.swap()) {
            assertEquals(3.5, w.value().item());
        }
        assertEquals(5.0, w.value().item());
        Map<String, Tensor> sd = new LinkedHashMap<>();
        ema.stateDict().forEach((k, v) -> sd.put(k, v.copy()));
        Ema other = new Ema(model, 0.5, false);
        other.loadStateDict(sd);
        assertEquals(3.5, other.averaged("weight").item());
        assertEquals(2, other.updates());
        Ema warm = new Ema(model, 0.999, true);
        assertEquals(0.1, warm.currentDecay(), 1e-15);
        warm.update();
        assertEquals(2.0 / 11, warm.currentDecay(), 1e-15);
        ema.copyTo();
        assertEquals(3.5, w.value().item());
    }
}
