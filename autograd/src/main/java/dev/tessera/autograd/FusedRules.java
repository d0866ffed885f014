package dev.tessera.autograd;

import dev.tessera.tensor.Attention;
import dev.tessera.tensor.Backend;
import dev.tessera.tensor.LinearAttentionOp;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Fused ops whose backward is a dedicated {@link Backend} kernel (softmax, log-softmax, layer and
 * RMS norm, cross-entropy, dropout, attention). The kernels receive contiguous gradients because upstream
 * rules may hand over broadcast views (e.g. the backward of a sum).
 */
final class FusedRules {
    private FusedRules() {}

    static Variable softmax(Variable x, int dim) {
        Tensor y = x.value().softmax(dim);
        int d = Shape.axis("softmax", dim, x.rank());
        return Variable.record("softmax", y, g -> new Tensor[] {y.backend().softmaxBackward(y, g.contiguous(), d)}, x);
    }

    static Variable logSoftmax(Variable x, int dim) {
        Tensor y = x.value().logSoftmax(dim);
        int d = Shape.axis("logSoftmax", dim, x.rank());
        return Variable.record("logSoftmax", y, g -> new Tensor[] {y.backend().logSoftmaxBackward(y, g.contiguous(), d)}, x);
    }

    static Variable layerNorm(Variable x, Variable gamma, Variable beta, double eps) {
        Tensor xv = x.value();
        Tensor gv = gamma == null ? null : gamma.value(), bv = beta == null ? null : beta.value();
        xv.checkNormParams("layerNorm", gv, bv);
        Tensor[] r = xv.backend().layerNorm(xv, gv, bv, eps);
        Tensor mean = r[1], rstd = r[2];
        boolean needParams = (gamma != null && gamma.requiresGrad()) || (beta != null && beta.requiresGrad());
        Backward bw = g -> {
            Tensor[] d = xv.backend().layerNormBackward(xv, gv, mean, rstd, g.contiguous(), needParams);
            return new Tensor[] {d[0], gamma == null ? null : d[1], beta == null ? null : d[2]};
        };
        return Variable.record("layerNorm", r[0], bw, x, gamma, beta);
    }

    static Variable rmsNorm(Variable x, Variable gamma, double eps) {
        Tensor xv = x.value();
        Tensor gv = gamma == null ? null : gamma.value();
        xv.checkNormParams("rmsNorm", gv, null);
        Tensor[] r = xv.backend().rmsNorm(xv, gv, eps);
        Tensor rstd = r[1];
        boolean needGamma = gamma != null && gamma.requiresGrad();
        Backward bw = g -> {
            Tensor[] d = xv.backend().rmsNormBackward(xv, gv, rstd, g.contiguous(), needGamma);
            return new Tensor[] {d[0], gamma == null ? null : d[1]};
        };
        return Variable.record("rmsNorm", r[0], bw, x, gamma);
    }

    static Variable crossEntropy(Variable logits, Tensor targets, int ignoreIndex, double labelSmoothing) {
        Tensor lv = logits.value();
        lv.checkCrossEntropy(targets);
        if (labelSmoothing < 0 || labelSmoothing > 1) {
            throw new IllegalArgumentException("crossEntropy: labelSmoothing must be in [0,1], got " + labelSmoothing);
        }
        Tensor[] r = lv.backend().crossEntropy(lv, targets, ignoreIndex, labelSmoothing);
        Tensor logProbs = r[1];
        return Variable.record("crossEntropy", r[0], g -> new Tensor[] {
                lv.backend().crossEntropyBackward(logProbs, targets, g.contiguous(), ignoreIndex, labelSmoothing)}, logits);
    }

    /** Inverted dropout: the gradient is scaled by the same mask (0 or 1/(1-p)). */
    static Variable dropout(Variable x, double p, Rng rng) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout: p must be in [0,1), got " + p);
        Tensor.requireFloating("dropout", x.dtype());
        if (p == 0) return x;
        Tensor xv = x.value();
        Tensor[] r = xv.backend().dropout(xv, p, rng);
        Tensor mask = r[1];
        return Variable.record("dropout", r[0], g -> new Tensor[] {g.mul(mask)}, x);
    }

    /**
     * Fused attention: the forward keeps its output and row log-sum-exp, the backward kernel recomputes
     * the probabilities from them and returns all three gradients at once.
     */
    static Variable attention(Variable q, Variable k, Variable v, Tensor keyPadding, boolean causal, int causalOffset, double scale) {
        Tensor qv = q.value(), kv = k.value(), vv = v.value();
        Attention.Result r = Attention.forward(qv, kv, vv, keyPadding, causal, causalOffset, scale);
        Tensor out = r.out(), lse = r.lse();
        return Variable.record("attention", out, g -> {
            Attention.Grads d = Attention.backward(qv, kv, vv, out, lse, g, keyPadding, causal, causalOffset, scale);
            return new Tensor[] {d.dq(), d.dk(), d.dv()};
        }, q, k, v);
    }

    /** Fused non-causal linear attention: the forward keeps its output, the backward recomputes the feature maps and sums. */
    static Variable linearAttention(Variable q, Variable k, Variable v, Tensor keyPadding) {
        Tensor qv = q.value(), kv = k.value(), vv = v.value();
        Tensor out = LinearAttentionOp.forward(qv, kv, vv, keyPadding);
        return Variable.record("linearAttention", out, g -> {
            LinearAttentionOp.Grads d = LinearAttentionOp.backward(qv, kv, vv, out, g, keyPadding);
            return new Tensor[] {d.dq(), d.dk(), d.dv()};
        }, q, k, v);
    }
}
