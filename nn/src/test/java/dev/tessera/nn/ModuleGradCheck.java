package dev.tessera.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Float64 finite-difference checks of a module's gradients: the input gradient through autograd's
 * {@link GradCheck}, and every parameter's gradient by perturbing the parameter values themselves
 * (central differences, step 1e-6) against the gradients a backward pass accumulated.
 */
public final class ModuleGradCheck {
    private ModuleGradCheck() {}

    /** Checks d(loss)/d(input) and d(loss)/d(every parameter) of {@code loss = sum(f(x) * w)} with fixed random w. */
    public static void check(Module m, Function<Variable, Variable> f, Tensor x, boolean inputGrad) {
        m.to(DType.F64);
        Tensor x64 = x.to(DType.F64);
        if (inputGrad) GradCheck.assertGradients(v -> f.apply(v[0]), x64);
        Tensor w;
        try (var g = Grad.disabled()) {
            w = weights(f.apply(Variable.constant(x64)).shape());
        }
        m.zeroGrad();
        f.apply(Variable.constant(x64)).mul(Variable.constant(w)).sum().backward();
        Map<String, Parameter> params = m.namedParameters();
        assertTrue(!params.isEmpty() || inputGrad, "nothing to check");
        for (var e : params.entrySet()) {
            Parameter p = e.getValue();
            assertNotNull(p.grad(), "no gradient reached " + e.getKey());
            double[] analytic = p.grad().toDoubleArray();
            double[] base = p.value().toDoubleArray();
            for (int i = 0; i < base.length; i++) {
                double plus = loss(m, f, x64, w, p, base, i, 1e-6), minus = loss(m, f, x64, w, p, base, i, -1e-6);
                double numeric = (plus - minus) / 2e-6;
                double tol = 1e-6 + 1e-5 * Math.max(Math.abs(numeric), Math.abs(analytic[i]));
                assertEquals(numeric, analytic[i], tol, "d loss / d " + e.getKey() + "[" + i + "]");
            }
            p.value().copyFrom(Tensor.of(base).reshape(p.shape()));
        }
    }

    private static double loss(Module m, Function<Variable, Variable> f, Tensor x, Tensor w, Parameter p, double[] base,
                               int i, double delta) {
        double[] shifted = base.clone();
        shifted[i] += delta;
        p.value().copyFrom(Tensor.of(shifted).reshape(p.shape()));
        try (var g = Grad.disabled()) {
            return f.apply(Variable.constant(x)).value().mul(w).sum().item();
        }
    }

    private static Tensor weights(int[] shape) {
        Random r = new Random(7);
        int n = 1;
        for (int s : shape) n *= s;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (0.5 + r.nextDouble()) * (i % 2 == 0 ? 1 : -1);
        return Tensor.of(v).reshape(shape);
    }
}
