package dev.tessera.moe;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.tensor.Tensor;
import java.util.Map;
import java.util.function.Supplier;
import org.opentest4j.AssertionFailedError;

/** Central finite differences of a scalar loss with respect to every element of a module's float64 parameters. */
final class ParamCheck {
    private ParamCheck() {}

    /** Compares the analytic parameter gradients of {@code loss} with central differences (step 1e-6). */
    static void assertParamGradients(Module m, Supplier<Variable> loss, double atol, double rtol) {
        m.zeroGrad();
        loss.get().backward();
        for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            assertNotNull(p.grad(), "no gradient reached " + e.getKey());
            double[] g = p.grad().toDoubleArray();
            double[] v = p.value().toDoubleArray();
            int[] shape = p.shape();
            for (int i = 0; i < v.length; i++) {
                double old = v[i], h = 1e-6;
                v[i] = old + h;
                p.value().copyFrom(Tensor.of(v, shape));
                double up = loss.get().value().item();
                v[i] = old - h;
                p.value().copyFrom(Tensor.of(v, shape));
                double down = loss.get().value().item();
                v[i] = old;
                p.value().copyFrom(Tensor.of(v, shape));
                double num = (up - down) / (2 * h);
                if (Math.abs(num - g[i]) > atol + rtol * Math.abs(num)) {
                    throw new AssertionFailedError(e.getKey() + "[" + i + "]: analytic " + g[i] + ", numeric " + num);
                }
            }
        }
    }
}
