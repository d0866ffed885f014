package dev.tessera.autograd;

import static dev.tessera.autograd.GradCheck.assertGradients;

import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Float64 gradchecks of the elementwise ops, with broadcast shapes and non-contiguous (transposed) inputs. */
class ElementwiseGradTest {
    private final Inputs in = new Inputs(11);

    /** A [3,4] input that is a transposed (non-contiguous) view. */
    private Tensor transposed(Tensor t43) {
        return t43.transpose(0, 1);
    }

    @Test
    @GradChecked({"add(Variable)", "sub(Variable)", "mul(Variable)"})
    void addSubMulWithBroadcasting() {
        Tensor a = transposed(in.signed(4, 3)), b = in.signed(4), c = in.signed(2, 3, 1);
        assertGradients(v -> v[0].add(v[1]), a, b);
        assertGradients(v -> v[0].sub(v[1]), a, b);
        assertGradients(v -> v[1].sub(v[0]), a, c);
        assertGradients(v -> v[0].mul(v[1]), a, b);
        assertGradients(v -> v[0].mul(v[1]), c, a);
        assertGradients(v -> v[0].mul(v[0]), a);
    }

    @Test
    @GradChecked({"div(Variable)", "pow(Variable)"})
    void divAndPowOfVariables() {
        Tensor a = in.signed(3, 4), b = in.uniform(0.5, 2, 4), pos = transposed(in.uniform(0.3, 2, 4, 3));
        assertGradients(v -> v[0].div(v[1]), a, b);
        assertGradients(v -> v[1].div(v[0]), pos, in.signed(2, 1, 4));
        assertGradients(v -> v[0].pow(v[1]), pos, in.signed(3, 1));
    }

    @Test
    @GradChecked({"maximum(Variable)", "minimum(Variable)", "maximum(double)", "minimum(double)"})
    void maximumMinimum() {
        Tensor a = in.distinct(3, 4), b = in.distinct(4).add(0.005);
        assertGradients(v -> v[0].maximum(v[1]), a, b);
        assertGradients(v -> v[0].minimum(v[1]), a, b);
        assertGradients(v -> v[0].maximum(0.013), transposed(in.distinct(4, 3)));
        assertGradients(v -> v[0].minimum(0.013), a);
    }

    @Test
    @GradChecked({"add(double)", "sub(double)", "mul(double)", "div(double)", "rsub(double)", "rdiv(double)", "pow(double)", "neg()"})
    void scalarOps() {
        Tensor a = transposed(in.signed(4, 3)), pos = in.uniform(0.4, 2, 3, 4);
        assertGradients(v -> v[0].add(1.5).mul(v[0]), a);
        assertGradients(v -> v[0].sub(0.7).mul(v[0]), a);
        assertGradients(v -> v[0].mul(-2.5), a);
        assertGradients(v -> v[0].div(3.0), a);
        assertGradients(v -> v[0].rsub(2.0).square(), a);
        assertGradients(v -> v[0].rdiv(2.0), pos);
        assertGradients(v -> v[0].pow(2.5), pos);
        assertGradients(v -> v[0].pow(2.0), a);
        assertGradients(v -> v[0].pow(-1.5), pos);
        assertGradients(v -> v[0].neg().mul(v[0]), a);
    }

    @Test
    @GradChecked({"exp()", "log()", "sqrt()", "rsqrt()", "square()", "reciprocal()", "log1p()", "expm1()"})
    void expLogFamily() {
        Tensor a = transposed(in.signed(4, 3)), pos = in.uniform(0.3, 2.5, 3, 4);
        assertGradients(v -> v[0].exp(), a);
        assertGradients(v -> v[0].log(), pos);
        assertGradients(v -> v[0].sqrt(), pos);
        assertGradients(v -> v[0].rsqrt(), pos);
        assertGradients(v -> v[0].square(), a);
        assertGradients(v -> v[0].reciprocal(), pos);
        assertGradients(v -> v[0].log1p(), pos);
        assertGradients(v -> v[0].expm1(), a);
    }

    @Test
    @GradChecked({"sin()", "cos()", "tanh()", "sigmoid()", "erf()"})
    void smoothUnary() {
        Tensor a = transposed(in.uniform(-2, 2, 4, 3));
        assertGradients(v -> v[0].sin(), a);
        assertGradients(v -> v[0].cos(), a);
        assertGradients(v -> v[0].tanh(), a);
        assertGradients(v -> v[0].sigmoid(), a);
        assertGradients(v -> v[0].erf(), a);
    }

    @Test
    @GradChecked({"relu()", "gelu()", "geluTanh()", "elu()", "silu()", "abs()"})
    void activations() {
        Tensor a = transposed(in.awayFromZero(4, 3).mul(2.0));
        assertGradients(v -> v[0].relu(), a);
        assertGradients(v -> v[0].gelu(), a);
        assertGradients(v -> v[0].geluTanh(), a);
        assertGradients(v -> v[0].elu(), a);
        assertGradients(v -> v[0].silu(), a);
        assertGradients(v -> v[0].abs(), a);
    }

    @Test
    @GradChecked({"clamp(double,double)", "where(Tensor,Variable,Variable)"})
    void clampAndWhere() {
        // Values on a grid offset from the bounds, so no element sits at a kink.
        Tensor a = transposed(in.distinct(4, 3).mul(3.0));
        assertGradients(v -> v[0].clamp(-0.55, 0.65), a);
        assertGradients(v -> v[0].clamp(Double.NEGATIVE_INFINITY, 0.25), a);
        Tensor cond = in.mask(2, 3, 4);
        assertGradients(v -> Variable.where(cond, v[0], v[1]), a, in.signed(4));
        assertGradients(v -> Variable.where(cond, v[0], v[1]), in.signed(2, 1, 4), in.signed(3, 1));
    }
}
