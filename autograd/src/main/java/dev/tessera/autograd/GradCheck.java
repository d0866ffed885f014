package dev.tessera.autograd;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;

/**
 * Checks analytic gradients against float64 central finite differences
 * {@code (f(x + eps) - f(x - eps)) / (2 eps)} with {@code eps = 1e-6}, element by element.
 * Inputs are converted to F64 leaves (views such as transposes keep their layout for the
 * analytic pass). A non-scalar output is reduced to {@code sum(f * w)} with fixed pseudo-random
 * weights w so that every output element contributes.
 *
 * <p>Default tolerances: {@value #ATOL} absolute, {@value #RTOL} relative (see {@link Result#passed}).
 *
 * <pre>{@code
 * GradCheck.assertGradients(v -> v[0].matmul(v[1]).tanh(), a, b);
 * }</pre>
 */
public final class GradCheck {
    /** Default absolute tolerance. */
    public static final double ATOL = 1e-6;
    /** Default relative tolerance. */
    public static final double RTOL = 1e-5;
    /** Finite-difference step. */
    public static final double EPS = 1e-6;

    private GradCheck() {}

    /**
     * The outcome of a check.
     *
     * @param maxAbsError largest |analytic - numeric| over all input elements
     * @param maxRelError largest |analytic - numeric| / max(1, |analytic|, |numeric|): relative for
     *                    large gradients, absolute for small ones
     * @param worst       the element with the largest relative error, with both values
     */
    public record Result(double maxAbsError, double maxRelError, String worst) {
        /** Passes when every element is within {@code atol} absolutely, or every element within {@code rtol} relatively. */
        public boolean passed(double atol, double rtol) {
            return maxAbsError <= atol || maxRelError <= rtol;
        }
    }

    /** Compares the analytic and numeric gradients of {@code f} with respect to every input. */
    public static Result check(Function<Variable[], Variable> f, Tensor... inputs) {
        Tensor[] x = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) x[i] = inputs[i].to(DType.F64);
        Variable[] leaves = new Variable[x.length];
        for (int i = 0; i < x.length; i++) leaves[i] = Variable.leaf(x[i]);
        Variable out = f.apply(leaves);
        if (out.dtype() != DType.F64) {
            throw new IllegalArgumentException("GradCheck: f must compute in F64, its output is " + out.dtype());
        }
        Tensor weights = out.numel() == 1 ? null : weights(out.shape());
        Variable loss = weights == null ? out : out.mul(Variable.constant(weights)).sum();
        loss.backward();

        double maxAbs = 0, maxRel = 0;
        String worst = "no input elements";
        for (int i = 0; i < x.length; i++) {
            double[] analytic = leaves[i].grad() == null ? new double[x[i].numel()] : leaves[i].grad().toDoubleArray();
            double[] base = x[i].toDoubleArray();
            for (int e = 0; e < base.length; e++) {
                double numeric = (evaluate(f, x, i, base, e, EPS, weights) - evaluate(f, x, i, base, e, -EPS, weights)) / (2 * EPS);
                double abs = Math.abs(analytic[e] - numeric);
                double rel = abs / Math.max(1.0, Math.max(Math.abs(analytic[e]), Math.abs(numeric)));
                if (Double.isNaN(abs)) abs = rel = Double.POSITIVE_INFINITY;
                maxAbs = Math.max(maxAbs, abs);
                if (rel >= maxRel) {
                    maxRel = rel;
                    worst = "input " + i + " " + Arrays.toString(x[i].shape()) + " element " + Arrays.toString(unravel(e, x[i].shape()))
                            + ": analytic " + analytic[e] + ", numeric " + numeric;
                }
            }
        }
        return new Result(maxAbs, maxRel, worst);
    }

    /** Throws an AssertionError with the worst element unless the check passes the default tolerances. */
    public static void assertGradients(Function<Variable[], Variable> f, Tensor... inputs) {
        assertGradients(ATOL, RTOL, f, inputs);
    }

    /** Like {@link #assertGradients(Function, Tensor...)} with explicit tolerances. */
    public static void assertGradients(double atol, double rtol, Function<Variable[], Variable> f, Tensor... inputs) {
        Result r = check(f, inputs);
        if (!r.passed(atol, rtol)) {
            throw new AssertionError("gradcheck failed: max abs error " + r.maxAbsError() + " (atol " + atol + "), max rel error "
                    + r.maxRelError() + " (rtol " + rtol + "); worst " + r.worst());
        }
    }

    /** The scalar loss with element e of input i shifted by delta, evaluated without recording. */
    private static double evaluate(Function<Variable[], Variable> f, Tensor[] x, int i, double[] base, int e,
                                   double delta, Tensor weights) {
        double[] shifted = base.clone();
        shifted[e] += delta;
        Variable[] args = new Variable[x.length];
        for (int j = 0; j < x.length; j++) args[j] = Variable.constant(j == i ? Tensor.of(shifted).reshape(x[i].shape()) : x[j]);
        try (var g = Grad.disabled()) {
            Tensor out = f.apply(args).value();
            return weights == null ? out.item() : out.mul(weights).sum().item();
        }
    }

    /** Fixed weights in [0.5, 1.5) with alternating sign, so no output element cancels out by symmetry. */
    private static Tensor weights(int[] shape) {
        Random rnd = new Random(0x5EEDL);
        int n = 1;
        for (int s : shape) n *= s;
        double[] w = new double[n];
        for (int k = 0; k < n; k++) w[k] = (0.5 + rnd.nextDouble()) * (k % 2 == 0 ? 1 : -1);
        return Tensor.of(w).reshape(shape);
    }

    private static int[] unravel(int e, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : e % shape[d];
            e = shape[d] == 0 ? 0 : e / shape[d];
        }
        return idx;
    }
}
