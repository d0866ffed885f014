package dev.tessera.autograd;

import static dev.tessera.autograd.GradCheck.assertGradients;

import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Float64 gradchecks of the fused ops, whose backward runs the Backend's fused kernels. */
class FusedGradTest {
    private final Inputs in = new Inputs(16);

    @Test
    @GradChecked({"softmax(int)", "logSoftmax(int)"})
    void softmaxFamily() {
        Tensor x = in.uniform(-2, 2, 4, 3).transpose(0, 1);
        assertGradients(v -> v[0].softmax(1), x);
        assertGradients(v -> v[0].softmax(0), x);
        assertGradients(v -> v[0].logSoftmax(-1), x);
        assertGradients(v -> v[0].logSoftmax(0), in.signed(2, 3, 4));
        // gradient arriving as a broadcast view (backward of a sum)
        assertGradients(v -> v[0].softmax(1).mul(v[0]).sum(), x);
    }

    @Test
    @GradChecked({"layerNorm(Variable,Variable,double)", "rmsNorm(Variable,double)"})
    void norms() {
        Tensor x = in.signed(2, 3, 5);
        Tensor gamma = in.uniform(0.5, 1.5, 5), beta = in.signed(5);
        assertGradients(v -> v[0].layerNorm(v[1], v[2], 1e-5), x, gamma, beta);
        assertGradients(v -> v[0].layerNorm(null, null, 1e-5), in.signed(5, 4).transpose(0, 1));
        assertGradients(v -> v[0].layerNorm(v[1], null, 1e-5), x, gamma);
        assertGradients(v -> v[0].rmsNorm(v[1], 1e-6), x, gamma);
        assertGradients(v -> v[0].rmsNorm(null, 1e-6), in.signed(5, 4).transpose(0, 1));
    }

    @Test
    @GradChecked({"crossEntropy(Tensor,int,double)"})
    void crossEntropy() {
        Tensor logits = in.uniform(-2, 2, 5, 4).transpose(0, 1);   // [4,5]
        Tensor targets = Tensor.of(new int[] {0, 4, 2, 4});
        assertGradients(v -> v[0].crossEntropy(targets, -100, 0.0), logits);
        assertGradients(v -> v[0].crossEntropy(targets, 4, 0.0), logits);
        assertGradients(v -> v[0].crossEntropy(targets, -100, 0.1).mean(), logits);
    }

    @Test
    @GradChecked({"dropout(double,Rng)"})
    void dropout() {
        // a fresh Rng with the same seed per evaluation, so every finite difference sees the same mask
        assertGradients(v -> v[0].dropout(0.3, new Rng(7)).sin(), in.signed(4, 6).transpose(0, 1));
    }

    @Test
    @GradChecked({"attention(Variable,Variable,Variable,Tensor,boolean,int,double)"})
    void attention() {
        // GQA: 4 query heads on 2 kv heads (dk, dv sum the heads of a group), causal with a cache offset and key padding
        Tensor pad = Tensor.of(new boolean[] {false, false, false, true, false, false, true, true}, 2, 4);
        Tensor w = in.signed(2, 4, 3, 2);
        assertGradients(v -> Variable.attention(v[0], v[1], v[2], pad, true, 1, 0.7).mul(Variable.constant(w)).sum(),
                in.signed(2, 4, 3, 3), in.signed(2, 2, 4, 3), in.signed(2, 2, 4, 2));
        // MQA without masks; the output gradient arrives as a broadcast view (backward of a sum)
        assertGradients(v -> Variable.attention(v[0], v[1], v[2], null, false, 0, 0.5).sum(),
                in.signed(1, 3, 3, 2), in.signed(1, 1, 5, 2), in.signed(1, 1, 5, 2));
    }

    @Test
    @GradChecked({"linearAttention(Variable,Variable,Variable,Tensor)"})
    void linearAttention() {
        // GQA: 4 query heads on 2 kv heads, Tq != Tk, key padding with the second batch row fully padded (output 0, no gradient)
        Tensor pad = Tensor.of(new boolean[] {false, false, true, false, true, true, true, true}, 2, 4);
        Tensor w = in.signed(2, 4, 3, 2);
        assertGradients(v -> Variable.linearAttention(v[0], v[1], v[2], pad).mul(Variable.constant(w)).sum(),
                in.signed(2, 4, 3, 3), in.signed(2, 2, 4, 3), in.signed(2, 2, 4, 2));
        // MQA without masks; the output gradient arrives as a broadcast view (backward of a sum)
        assertGradients(v -> Variable.linearAttention(v[0], v[1], v[2], null).sum(),
                in.signed(1, 3, 3, 2), in.signed(1, 1, 5, 2), in.signed(1, 1, 5, 2));
    }
}
