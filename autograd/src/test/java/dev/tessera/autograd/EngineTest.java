package dev.tessera.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Hand-computed cases for the backward engine, grad mode and GradCheck itself. */
class EngineTest {
    private static Variable leaf(double... v) {
        return Variable.leaf(Tensor.of(v));
    }

    @Test
    void reusedNodeAccumulates() {
        // y = x*x + x, dy/dx = 2x + 1
        Variable x = leaf(1, -2, 3);
        x.mul(x).add(x).sum().backward();
        assertArrayEquals(new double[] {3, -3, 7}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void diamondGraph() {
        // a = 2x, b = x^2, c = a*b = 2x^3, dc/dx = 6x^2
        Variable x = leaf(1, 2);
        Variable a = x.mul(2.0), b = x.square();
        a.mul(b).sum().backward();
        assertArrayEquals(new double[] {6, 24}, x.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void deepChainDoesNotOverflowTheStack() {
        Variable x = leaf(1.0);
        Variable y = x;
        for (int i = 0; i < 10_000; i++) y = y.mul(1.0001);
        y.sum().backward();
        assertEquals(Math.pow(1.0001, 10_000), x.grad().item(), 1e-9);
    }

    @Test
    void retainGraphAllowsASecondBackwardAndGradsAccumulate() {
        Variable x = leaf(2, 3);
        Variable y = x.square().sum();
        y.backward(Tensor.of(new double[] {1}).reshape(), true);
        y.backward(Tensor.of(new double[] {1}).reshape(), true);
        assertArrayEquals(new double[] {8, 12}, x.grad().toDoubleArray(), 0);
        y.backward();   // frees the graph
        assertArrayEquals(new double[] {12, 18}, x.grad().toDoubleArray(), 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("freed"), e.getMessage());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void theTapeIsFreedAfterBackwardUnlessRetained() {
        Variable x = leaf(1, 2);
        Variable h = x.mul(2.0), y = h.sum();
        y.backward(Tensor.of(new double[] {1}).reshape(), true);
        assertTrue(h.inputs != null && h.backwardFn != null, "retained graph keeps its rules");
        y.backward();
        assertNull(h.inputs);
        assertNull(h.backwardFn);
        assertNull(y.inputs);
        try (var g = Grad.disabled()) {
            Variable z = x.mul(2.0);
            assertNull(z.inputs, "ops under Grad.disabled keep no references");
        }
    }

    @Test
    void seedMustMatchTheOutputShape() {
        Variable x = leaf(1, 2);
        Variable y = x.mul(3.0);
        assertThrows(IllegalArgumentException.class, y::backward);   // non-scalar without a seed
        assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.of(new double[] {1, 1, 1})));
        y.backward(Tensor.of(new double[] {1, 10}));
        assertArrayEquals(new double[] {3, 30}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void gradDisabledNestsAndRecordsNothing() {
        Variable x = leaf(1, 2);
        assertTrue(Grad.isEnabled());
        try (var outer = Grad.disabled()) {
            try (var inner = Grad.disabled()) {
                assertFalse(Grad.isEnabled());
            }
            assertFalse(Grad.isEnabled(), "closing the inner scope must not re-enable recording");
            Variable y = x.mul(2.0);
            assertFalse(y.requiresGrad());
            assertTrue(y.isLeaf());
        }
        assertTrue(Grad.isEnabled());
        assertTrue(x.mul(2.0).requiresGrad());
    }

    @Test
    void gradDisabledIsThreadConfined() throws Exception {
        Variable x = leaf(1, 2);
        AtomicBoolean otherRecords = new AtomicBoolean();
        try (var g = Grad.disabled()) {
            Thread t = new Thread(() -> otherRecords.set(Grad.isEnabled() && x.mul(2.0).requiresGrad()));
            t.start();
            t.join();
            assertFalse(x.mul(2.0).requiresGrad());
        }
        assertTrue(otherRecords.get(), "another thread must keep recording");
    }

    @Test
    void aScopeMustBeClosedOnItsOwnThreadAndClosingTwiceIsHarmless() throws Exception {
        var scope = Grad.disabled();
        Throwable[] thrown = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                scope.close();
            } catch (Throwable e) {
                thrown[0] = e;
            }
        });
        t.start();
        t.join();
        assertTrue(thrown[0] instanceof IllegalStateException, String.valueOf(thrown[0]));
        assertFalse(Grad.isEnabled());
        try (var other = Grad.disabled()) {
            scope.close();
            scope.close();
            assertFalse(Grad.isEnabled(), "the other open scope keeps recording off");
        }
        assertTrue(Grad.isEnabled());
    }

    @Test
    void detachStopsGradients() {
        Variable x = leaf(1, 2);
        Variable d = x.mul(3.0).detach();
        assertFalse(d.requiresGrad());
        x.mul(d).sum().backward();   // d/dx (x * stopgrad(3x)) = 3x
        assertArrayEquals(new double[] {3, 6}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void requiresGradPropagation() {
        Variable c = Variable.constant(Tensor.of(new double[] {1, 2}));
        Variable x = leaf(3, 4);
        assertFalse(c.exp().requiresGrad());
        assertTrue(c.add(x).requiresGrad());
        assertFalse(c.add(c).requiresGrad());
        Variable y = c.mul(x);
        y.sum().backward();
        assertNull(c.grad());
        assertArrayEquals(new double[] {1, 2}, x.grad().toDoubleArray(), 0);
        assertThrows(IllegalStateException.class, () -> c.sum().backward());
    }

    @Test
    void broadcastingIsReducedToTheSourceShape() {
        Variable a = Variable.leaf(Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Variable b = Variable.leaf(Tensor.of(new double[] {10, 20, 30}, 3));
        Variable s = Variable.leaf(Tensor.of(new double[] {2}, 1, 1));
        a.mul(b).mul(s).sum().backward();
        assertArrayEquals(new int[] {3}, b.grad().shape());
        assertArrayEquals(new double[] {10, 14, 18}, b.grad().toDoubleArray(), 0);   // s * column sums of a
        assertArrayEquals(new int[] {1, 1}, s.grad().shape());
        assertEquals(1 * 10 + 2 * 20 + 3 * 30 + 4 * 10 + 5 * 20 + 6 * 30, s.grad().item(), 0);
        assertArrayEquals(new double[] {20, 40, 60, 20, 40, 60}, a.grad().toDoubleArray(), 0);
    }

    @Test
    void leafGradIsAPrivateCopy() {
        // both inputs of an add receive the same gradient tensor; their grads must not alias
        Variable a = leaf(1, 2), b = leaf(3, 4);
        a.add(b).sum().backward();
        a.grad().scaleInPlace(5);
        assertArrayEquals(new double[] {1, 1}, b.grad().toDoubleArray(), 0);
    }

    @Test
    void setValueOnlyForLeaves() {
        Variable x = leaf(1, 2);
        x.setValue(Tensor.of(new double[] {5, 6}));
        assertEquals(5, x.value().get(0), 0);
        assertThrows(IllegalArgumentException.class, () -> x.setValue(Tensor.of(new double[] {1, 2, 3})));
        assertThrows(IllegalStateException.class, () -> x.mul(2.0).setValue(Tensor.of(new double[] {1, 2})));
    }

    @Test
    void mixedPrecisionGradientsKeepTheInputDtype() {
        Variable a = Variable.leaf(Tensor.of(new float[] {1, 2}));
        Variable b = leaf(3, 4);
        a.mul(b).sum().backward();
        assertEquals(DType.F32, a.grad().dtype());
        assertArrayEquals(new double[] {3, 4}, a.grad().toDoubleArray(), 0);
    }

    @Test
    @GradChecked({"custom(String,Tensor,Variable[],Backward)"})
    void customOp() {
        // f(a, b) = a * exp(b) with a hand-written backward
        GradCheck.assertGradients(v -> Variable.custom("mulExp", v[0].value().mul(v[1].value().exp()), new Variable[] {v[0], v[1]},
                g -> new Tensor[] {g.mul(v[1].value().exp()), g.mul(v[0].value()).mul(v[1].value().exp()).sum(0)}),
                new Inputs(3).signed(2, 3), new Inputs(4).signed(3));
    }

    @Test
    void gradCheckDetectsAWrongRule() {
        GradCheck.Result r = GradCheck.check(v -> Variable.custom("wrong", v[0].value().square(), new Variable[] {v[0]},
                g -> new Tensor[] {g.mul(v[0].value()).mul(2.1)}), new Inputs(5).uniform(0.5, 1, 4));
        assertFalse(r.passed(GradCheck.ATOL, GradCheck.RTOL), r.toString());
        assertTrue(r.maxAbsError() > 0.01, r.toString());
        assertThrows(AssertionError.class, () -> GradCheck.assertGradients(v -> Variable.custom("wrong", v[0].value().square(),
                new Variable[] {v[0]}, g -> new Tensor[] {g}), new Inputs(6).signed(3)));
    }
}
