package dev.tessera.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.train.MetricsSink;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuxFreeBalancerTest {

    @Test
    void updateFollowsTheSignRule() {
        var b = new AuxFreeBalancer(4, 0.25);
        b.update(new int[] {5, 1, 3, 3});              // mean 3
        assertArrayEquals(new double[] {-0.25, 0.25, 0, 0}, b.bias(), 0);
        b.update(new int[] {5, 1, 3, 3});
        assertArrayEquals(new double[] {-0.5, 0.5, 0, 0}, b.bias(), 0);
        assertTrue(b.stateDict().containsKey("bias"), "the bias is checkpointed as a buffer");
    }

    /**
     * A router skewed toward expert 0 (a constant input feature with a large weight) sends most
     * tokens there (max violation 3: every token on one expert); the balancer alone (no gradients,
     * no training, gamma 0.002) must bring the max violation below 0.2 within 250 steps and keep
     * it there up to step 400 (the gap between the biases closes by 2 gamma per step and has to
     * cover about 0.85, the probability margin of the skewed expert).
     */
    @Test
    void biasMovesASkewedRouterTowardUniformLoad() {
        int d = 4, e = 4, t = 256;
        var moe = new SparseMoE(d, 2, new SparseMoE.Options(e, 1, 0.0, 0, 0, 0.002), DType.F64, new Rng(1));
        double[] w = moe.router().weight().value().toDoubleArray();
        for (int i = 0; i < e; i++) w[i * d] = i == 0 ? 3.0 : 0.0;
        moe.router().weight().value().copyFrom(Tensor.of(w, e, d));
        double[] xs = Tensor.randn(new Rng(2), DType.F64, t, d).toDoubleArray();
        for (int i = 0; i < t; i++) xs[i * d] = 1.0;
        Variable x = Variable.constant(Tensor.of(xs, t, d));
        try (var g = Grad.disabled()) {
            moe.forward(x);
            double first = moe.lastStats().maxViolation();
            assertTrue(first > 1.5, "the router must start skewed, max violation " + first);
            int reached = -1;
            double worstAfter = 0;
            for (int step = 1; step <= 400; step++) {
                moe.updateBalancer();
                moe.forward(x);
                double v = moe.lastStats().maxViolation();
                if (reached < 0 && v < 0.2) reached = step;
                else if (reached > 0) worstAfter = Math.max(worstAfter, v);
            }
            assertTrue(reached > 0 && reached <= 250, "max violation below 0.2 first at step " + reached + " (allowed: 250)");
            assertTrue(worstAfter < 0.2, "the load stays balanced afterwards, worst max violation " + worstAfter);
        }
        double[] bias = moe.balancer().bias();
        assertTrue(bias[0] < 0 && bias[1] > 0, "the overloaded expert is pushed down, the others up");
    }

    @Test
    void statsAreReportedToAMetricsSink() {
        Map<String, Double> seen = new LinkedHashMap<>();
        MetricsSink sink = new MetricsSink() {
            @Override public void scalar(String tag, long step, double value) { seen.put(tag + "@" + step, value); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        int[] choice = {0, 1, 0, 2, 0, 1, 1, 0, 2, 1};
        MoeStats s = MoeStats.of(Dispatch.plan(choice, 5, 3, 2, 2), 5, 2);
        s.report(sink, "moe0", 7);
        assertEquals(4.0, seen.get("moe0/load/0@7"));
        assertEquals(2.0, seen.get("moe0/load/2@7"));
        assertEquals(0.4, seen.get("moe0/dropped_fraction@7"), 1e-15);
        assertEquals(0.2, seen.get("moe0/max_violation@7"), 1e-12);
        assertEquals(0.6, seen.get("moe0/realized_capacity_factor@7"), 1e-15);
        assertEquals(6, seen.size());
    }
}
