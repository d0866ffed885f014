package dev.tessera.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.layers.Linear;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class DenseMoETest {

    /** Gate Linear(1 -> 2) with weight [[1], [-1]] and bias [0, 0.5]; experts 2x and x+1. */
    private static DenseMoE tiny(DenseMoE.Options opt) {
        var gate = new Linear(1, 2, true, DType.F64, new Rng(0));
        gate.weight().value().copyFrom(Tensor.of(new double[] {1, -1}, 2, 1));
        gate.bias().value().copyFrom(Tensor.of(new double[] {0, 0.5}, 2));
        List<Layer> experts = List.of(x -> x.mul(2.0), x -> x.add(1.0));
        return new DenseMoE(gate, experts, opt, new Rng(1));
    }

    private static double[] handForward(double[] xs, double temp) {
        double[] y = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            double x = xs[i];
            double l0 = x / temp, l1 = (-x + 0.5) / temp;
            double m = Math.max(l0, l1), e0 = Math.exp(l0 - m), e1 = Math.exp(l1 - m);
            double g0 = e0 / (e0 + e1), g1 = e1 / (e0 + e1);
            y[i] = g0 * 2 * x + g1 * (x + 1);
        }
        return y;
    }

    @Test
    void forwardMatchesHandComputation() {
        double[] xs = {-1.5, 0.0, 0.25, 2.0};
        for (double temp : new double[] {1.0, 0.5, 3.0}) {
            var moe = tiny(new DenseMoE.Options(temp, 0, 0));
            Tensor y = moe.forward(Variable.constant(Tensor.of(xs, 4, 1))).value();
            assertArrayEquals(new int[] {4, 1}, y.shape());
            assertArrayEquals(handForward(xs, temp), y.toDoubleArray(), 1e-12, "temperature " + temp);
        }
    }

    @Test
    void entropyRegularizerMatchesHandComputation() {
        double[] xs = {-1.0, 0.3};
        var moe = tiny(new DenseMoE.Options(2.0, 0.7, 0));
        moe.forward(Variable.constant(Tensor.of(xs, 2, 1)));
        double h = 0;
        for (double x : xs) {
            double l0 = x / 2.0, l1 = (-x + 0.5) / 2.0;
            double g0 = 1 / (1 + Math.exp(l1 - l0)), g1 = 1 - g0;
            h += -(g0 * Math.log(g0) + g1 * Math.log(g1));
        }
        assertEquals(0.7 * h / xs.length, moe.auxLoss().value().item(), 1e-12);
        var off = tiny(DenseMoE.Options.DEFAULT);
        off.forward(Variable.constant(Tensor.of(xs, 2, 1)));
        assertEquals(0.0, off.auxLoss().value().item());
    }

    @Test
    void gateDropoutRenormalizesAndIsOffInEval() {
        var moe = tiny(new DenseMoE.Options(1.0, 0, 0.5));
        int n = 64;
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) xs[i] = (i - 32) / 10.0;
        Tensor x = Tensor.of(xs, n, 1);
        Tensor y = moe.forward(Variable.constant(x)).value();
        double[] g = moe.lastGates().toDoubleArray();
        int zeros = 0;
        for (int i = 0; i < n; i++) {
            assertEquals(1.0, g[2 * i] + g[2 * i + 1], 1e-12, "row " + i + " renormalized");
            if (g[2 * i] == 0 || g[2 * i + 1] == 0) zeros++;
            // the output is the gate-weighted mix of the experts with the dropped gates
            assertEquals(g[2 * i] * 2 * xs[i] + g[2 * i + 1] * (xs[i] + 1), y.get(i, 0), 1e-12);
        }
        // each row loses exactly one expert with probability 1/2 (2 * 0.5 * 0.5): far from 0 or all
        org.junit.jupiter.api.Assertions.assertTrue(zeros > 10 && zeros < 54, "rows with a dropped gate: " + zeros);
        moe.eval();
        assertArrayEquals(handForward(xs, 1.0), moe.forward(Variable.constant(x)).value().toDoubleArray(), 1e-12);
    }

    @Test
    void gradcheckWholeLayerWithFfnExperts() {
        var rng = new Rng(3);
        var ffn = new ExpertFfn(3, 4, 5, DType.F64, rng);
        var gate = new Linear(4, 3, true, DType.F64, rng);
        List<Layer> experts = List.of(x -> ffn.forwardOne(0, x), x -> ffn.forwardOne(1, x), x -> ffn.forwardOne(2, x));
        var moe = new DenseMoE(gate, experts, new DenseMoE.Options(1.5, 0.3, 0), new Rng(4));
        Tensor x = Tensor.randn(rng, DType.F64, 5, 4);
        // input gradient through the whole layer (gate, experts, entropy term)
        GradCheck.assertGradients(v -> moe.forward(v[0]).square().sum().add(moe.auxLoss()), x);
        // parameter gradients of the gate and of the batched expert weights
        Variable cx = Variable.constant(x);
        ParamCheck.assertParamGradients(gate, () -> moe.forward(cx).square().sum().add(moe.auxLoss()), 1e-6, 1e-5);
        ParamCheck.assertParamGradients(ffn, () -> moe.forward(cx).square().sum().add(moe.auxLoss()), 1e-6, 1e-5);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new DenseMoE.Options(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new DenseMoE.Options(1, 0, 1.0));
        var gate = new Linear(2, 3, new Rng(0));
        assertThrows(IllegalArgumentException.class, () -> new DenseMoE(gate, List.of(x -> x), DenseMoE.Options.DEFAULT, new Rng(0)));
    }
}
