package dev.tessera.nn.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.nn.Parameter;
import dev.tessera.nn.optim.Sgd;
import dev.tessera.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchedulesTest {
    @Test
    void constantStepExponential() {
        assertEquals(0.1, new Constant(0.1).lr(12345));
        Step s = new Step(1.0, 10, 0.5);
        assertEquals(1.0, s.lr(0));
        assertEquals(1.0, s.lr(9));
        assertEquals(0.5, s.lr(10));
        assertEquals(0.25, s.lr(25));
        Exponential e = new Exponential(2.0, 0.5);
        assertEquals(2.0, e.lr(0));
        assertEquals(0.25, e.lr(3));
    }

    @Test
    void cosine() {
        Cosine c = new Cosine(1.0, 0.1, 10);
        assertEquals(1.0, c.lr(0), 1e-15);
        assertEquals(0.55, c.lr(5), 1e-15);
        // (1 + cos(pi/5)) / 2 of the way from 0.1 up to 1.0
        assertEquals(0.1 + 0.9 * (1 + Math.cos(Math.PI / 5)) / 2, c.lr(2), 1e-15);
        assertEquals(0.1, c.lr(10), 1e-15);
        assertEquals(0.1, c.lr(50), 1e-15);
    }

    @Test
    void warmupCosine() {
        WarmupCosine w = new WarmupCosine(1.0, 0.0, 4, 14);
        assertEquals(0.25, w.lr(0), 1e-15);
        assertEquals(0.5, w.lr(1), 1e-15);
        assertEquals(1.0, w.lr(3), 1e-15);
        assertEquals(1.0, w.lr(4), 1e-15);
        assertEquals(0.5, w.lr(9), 1e-15);
        assertEquals(0.0, w.lr(14), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new WarmupCosine(1, 0, 5, 5));
    }

    @Test
    void oneCycleMatchesPyTorchPhases() {
        OneCycle o = new OneCycle(1.0, 100);
        // initial 1/25, peak at step 0.3 * 100 - 1 = 29, final 1/25/1e4 at step 99
        assertEquals(0.04, o.lr(0), 1e-15);
        assertEquals(1.0, o.lr(29), 1e-15);
        assertEquals(0.04 + 0.96 * (1 - Math.cos(Math.PI * 10 / 29)) / 2, o.lr(10), 1e-15);
        assertEquals((1.0 + 4e-6) / 2, o.lr(64), 1e-12);
        assertEquals(4e-6, o.lr(99), 1e-18);
        assertEquals(4e-6, o.lr(150), 1e-18);
        assertThrows(IllegalArgumentException.class, () -> new OneCycle(1.0, 100, 0.0, 25, 1e4));
        assertThrows(IllegalArgumentException.class, () -> o.lr(-1));
    }

    @Test
    void optimizerStepUsesTheScheduleAtItsStepCount() {
        Parameter p = new Parameter("p", Tensor.of(new double[] {0.0}, 1));
        Sgd opt = new Sgd(List.of(p), 1.0);
        Step s = new Step(1.0, 1, 0.5);
        double expected = 0;
        for (int i = 0; i < 4; i++) {
            opt.zeroGrad();
            p.var().accumulateGrad(Tensor.of(new double[] {1.0}, 1));
            opt.step(s);
            expected -= Math.pow(0.5, i);
            assertEquals(Math.pow(0.5, i), opt.lr(), 1e-15);
        }
        assertEquals(expected, p.value().item(), 1e-15);
    }
}
