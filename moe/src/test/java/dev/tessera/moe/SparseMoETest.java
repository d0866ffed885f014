package dev.tessera.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Parameter;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SparseMoETest {

    private static SparseMoE layer(int d, int h, SparseMoE.Options o, long seed) {
        return new SparseMoE(d, h, o, DType.F64, new Rng(seed));
    }

    @Test
    void topKBreaksTiesTowardTheLowerIndex() {
        double[] scores = {0.3, 0.3, 0.4, /* token 1 */ 0.25, 0.25, 0.25, /* token 2 */ 0.1, 0.5, 0.5};
        assertArrayEquals(new int[] {2, 0, 0, 1, 1, 2}, Routing.topK(scores, 3, 3, 2));
        assertArrayEquals(new int[] {2, 0, 1}, Routing.topK(scores, 3, 3, 1));
    }

    @Test
    void capacityIsCeilAndNonPositiveMeansDropless() {
        assertEquals(1280, Dispatch.capacity(1.25, 2, 4096, 8));
        assertEquals(2, Dispatch.capacity(1.0, 1, 5, 3));        // ceil(5/3)
        assertEquals(-1, Dispatch.capacity(0, 2, 10, 4));
    }

    @Test
    void capacityDropsExactlyTheSpecifiedAssignments() {
        // 5 tokens, 3 experts, k = 2, capacity 2; choices (first, second) per token
        int[] choice = {0, 1, /* t1 */ 0, 2, /* t2 */ 0, 1, /* t3 */ 1, 0, /* t4 */ 2, 1};
        Dispatch p = Dispatch.plan(choice, 5, 3, 2, 2);
        // first choices in token order: e0 <- t0, t1 (t2 dropped: full), e1 <- t3, e2 <- t4
        // second choices in token order: e1 <- t0 (slot 1), e2 <- t1 (slot 1), e1 <- t2 dropped, e0 <- t3 dropped, e1 <- t4 dropped
        assertArrayEquals(new int[] {4, 4, 2}, p.load());
        assertArrayEquals(new int[] {2, 2, 2}, p.kept());
        assertArrayEquals(new int[] {0, 1, 3, 0, 4, 1}, p.slotToken());
        assertArrayEquals(new int[] {0, 2, 6, 8, 1, 3}, p.keptChoice());
        assertArrayEquals(new int[] {0, 1, 3, 4, 0, 1}, p.keptToken());
        assertArrayEquals(new int[] {0, 1, 2, 4, 3, 5}, p.keptSlot());
        assertEquals(4, p.dropped());
        MoeStats s = MoeStats.of(p, 5, 2);
        assertEquals(4 / 10.0, s.droppedFraction(), 1e-15);
        assertEquals(4 / (10 / 3.0) - 1, s.maxViolation(), 1e-15);
        assertEquals(2 * 3 / 10.0, s.realizedCapacityFactor(), 1e-15);
        // dropless: capacity is the largest load, nothing dropped
        Dispatch all = Dispatch.plan(choice, 5, 3, 2, -1);
        assertEquals(4, all.capacity());
        assertEquals(0, all.dropped());
    }

    @Test
    void layerOutputsOnlyTheKeptAssignments() {
        int d = 3, t = 6;
        var moe = layer(d, 4, new SparseMoE.Options(2, 1, 0.5, 0, 0, 0), 1);   // capacity ceil(0.5*6/2) = 2
        // router: expert 0 iff x[0] > x[1]
        moe.router().weight().value().copyFrom(Tensor.of(new double[] {1, -1, 0, -1, 1, 0}, 2, 3));
        double[] xs = {
            1, 0, 0.5,   // t0 -> e0 kept
            0, 1, 0.1,   // t1 -> e1 kept
            2, 0, -0.3,  // t2 -> e0 kept
            3, 1, 0.2,   // t3 -> e0 dropped
            0, 4, 0.7,   // t4 -> e1 kept
            0, 2, 0.9};  // t5 -> e1 dropped
        Tensor x = Tensor.of(xs, t, d);
        Tensor y = moe.forward(Variable.constant(x)).value();
        int[] expert = {0, 1, 0, -1, 1, -1};
        for (int i = 0; i < t; i++) {
            double[] want = new double[d];
            if (expert[i] >= 0) {
                // k = 1: the renormalized gate is 1
                want = moe.experts().forwardOne(expert[i], Variable.constant(x.select(0, i).reshape(1, d))).value().toDoubleArray();
            }
            for (int j = 0; j < d; j++) assertEquals(want[j], y.get(i, j), 1e-12, "token " + i + " dim " + j);
        }
        assertArrayEquals(new int[] {3, 3}, moe.lastStats().load());
        assertEquals(2 / 6.0, moe.lastStats().droppedFraction(), 1e-15);
    }

    @Test
    void denseLimitEqualsDenseMoEInFloat64() {
        int d = 5, h = 7, e = 4, t = 9;
        var sparse = layer(d, h, new SparseMoE.Options(e, e, 0.0, 0, 0, 0), 11);
        var ffn = sparse.experts();
        List<Layer> experts = new ArrayList<>();
        for (int i = 0; i < e; i++) {
            int ei = i;
            experts.add(x -> ffn.forwardOne(ei, x));
        }
        var dense = new DenseMoE(sparse.router(), experts, DenseMoE.Options.DEFAULT, new Rng(0));
        var rng = new Rng(5);
        Tensor x = Tensor.randn(rng, DType.F64, 3, 3, d);
        Tensor r = Tensor.randn(rng, DType.F64, 3, 3, d);

        Variable xs = Variable.leaf(x.copy());
        Variable ys = sparse.forward(xs);
        sparse.zeroGrad();
        ys.mul(Variable.constant(r)).sum().backward();
        Map<String, Tensor> gs = grads(sparse.namedParameters());

        Variable xd = Variable.leaf(x.copy());
        Variable yd = dense.forward(xd);
        sparse.zeroGrad();
        yd.mul(Variable.constant(r)).sum().backward();
        Map<String, Tensor> gd = grads(sparse.namedParameters());

        assertArrayEquals(yd.value().toDoubleArray(), ys.value().toDoubleArray(), 1e-12, "outputs");
        assertArrayEquals(xd.grad().toDoubleArray(), xs.grad().toDoubleArray(), 1e-12, "input gradient");
        assertEquals(gd.keySet(), gs.keySet());
        for (String k : gs.keySet()) assertArrayEquals(gd.get(k).toDoubleArray(), gs.get(k).toDoubleArray(), 1e-12, k);
        assertEquals(0.0, sparse.lastStats().droppedFraction());
    }

    private static Map<String, Tensor> grads(Map<String, Parameter> ps) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        ps.forEach((n, p) -> out.put(n, p.grad().copy()));
        return out;
    }

    @Test
    void balanceLossEqualsHandComputation() {
        // probs for 4 tokens over 3 experts; loads over k = 2 choices
        double[] p = {0.5, 0.3, 0.2, 0.1, 0.6, 0.3, 0.2, 0.2, 0.6, 0.7, 0.2, 0.1};
        int[] load = {3, 3, 2};
        double alpha = 0.01;
        double meanP0 = (0.5 + 0.1 + 0.2 + 0.7) / 4, meanP1 = (0.3 + 0.6 + 0.2 + 0.2) / 4, meanP2 = (0.2 + 0.3 + 0.6 + 0.1) / 4;
        double want = alpha * 3 * (3 / 8.0 * meanP0 + 3 / 8.0 * meanP1 + 2 / 8.0 * meanP2);
        Variable probs = Variable.leaf(Tensor.of(p, 4, 3));
        Variable loss = BalanceLoss.switchLoss(probs, load, 2, alpha);
        assertEquals(want, loss.value().item(), 1e-15);
        loss.backward();
        // d loss / d p[t, i] = alpha * E * f_i / T
        assertEquals(alpha * 3 * (2 / 8.0) / 4, probs.grad().get(1, 2), 1e-15);
        // z-loss: mean of squared logsumexp
        double[] l = {1, 2, 0, -1};
        double z0 = Math.log(Math.exp(1) + Math.exp(2)), z1 = Math.log(1 + Math.exp(-1));
        assertEquals(0.5 * (z0 * z0 + z1 * z1) / 2, BalanceLoss.zLoss(Variable.constant(Tensor.of(l, 2, 2)), 0.5).value().item(), 1e-13);
    }

    @Test
    void layerAuxLossUsesItsOwnRouting() {
        int d = 4, e = 3, t = 8;
        var moe = layer(d, 5, new SparseMoE.Options(e, 2, 0.0, 0.05, 0.0, 0), 2);
        Tensor x = Tensor.randn(new Rng(9), DType.F64, t, d);
        moe.forward(Variable.constant(x));
        double[] w = moe.router().weight().value().toDoubleArray();
        double[] meanP = new double[e];
        int[] load = new int[e];
        for (int i = 0; i < t; i++) {
            double[] l = new double[e];
            double m = -1e300, s = 0;
            for (int j = 0; j < e; j++) {
                for (int c = 0; c < d; c++) l[j] += x.get(i, c) * w[j * d + c];
                m = Math.max(m, l[j]);
            }
            for (int j = 0; j < e; j++) s += Math.exp(l[j] - m);
            int lo = 0;
            for (int j = 0; j < e; j++) {
                meanP[j] += Math.exp(l[j] - m) / s / t;
                if (l[j] < l[lo]) lo = j;
            }
            for (int j = 0; j < e; j++) if (j != lo) load[j]++;   // top-2 of 3 = all but the smallest
        }
        double want = 0;
        for (int j = 0; j < e; j++) want += load[j] / (2.0 * t) * meanP[j];
        assertArrayEquals(load, moe.lastStats().load());
        assertEquals(0.05 * e * want, moe.auxLoss().value().item(), 1e-13);
    }

    @Test
    void gradcheckWholeLayer() {
        int d = 4, t = 6;
        for (double cf : new double[] {0.0, 0.75}) {
            var moe = layer(d, 3, new SparseMoE.Options(3, 2, cf, 0.1, 0.01, 0), 4);
            Tensor x = Tensor.randn(new Rng(8), DType.F64, t, d);
            GradCheck.assertGradients(v -> moe.forward(v[0]).square().sum().add(moe.auxLoss()), x);
            Variable cx = Variable.constant(x);
            ParamCheck.assertParamGradients(moe, () -> moe.forward(cx).square().sum().add(moe.auxLoss()), 1e-6, 1e-5);
            if (cf > 0) assertTrue(moe.lastStats().droppedFraction() > 0, "the capacity case must drop something");
        }
    }
}
