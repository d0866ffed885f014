package dev.tessera.moe;

import dev.tessera.autograd.Variable;
import dev.tessera.tensor.Tensor;

/**
 * Auxiliary losses that keep a router balanced.
 *
 * <pre>{@code
 * Variable aux = BalanceLoss.switchLoss(probs, dispatch.load(), k, 0.01).add(BalanceLoss.zLoss(logits, 1e-3));
 * }</pre>
 */
public final class BalanceLoss {
    private BalanceLoss() {}

    /**
     * Switch load-balancing loss {@code alpha * E * sum_i f_i * P_i}: {@code f_i} is the fraction of
     * all {@code k * T} assignments that chose expert i (counted before capacity dropping, a
     * constant), {@code P_i} the mean router probability of expert i over the tokens (the
     * differentiable part). A uniform router gives {@code alpha}.
     *
     * @param probs router probabilities {@code [T, E]}
     * @param load  assignments per expert over all k choices
     */
    public static Variable switchLoss(Variable probs, int[] load, int k, double alpha) {
        int t = probs.dim(0), e = probs.dim(1);
        if (load.length != e) throw new IllegalArgumentException("switchLoss: load has " + load.length + " experts, probs has " + e);
        double[] f = new double[e];
        for (int i = 0; i < e; i++) f[i] = (double) load[i] / ((double) t * k);
        Variable fv = Variable.constant(Tensor.of(f, e).to(probs.dtype()).to(probs.value().device()));
        return probs.mean(0).mul(fv).sum().mul(alpha * e);
    }

    /** Router z-loss {@code coef * mean_t (logsumexp_e logits[t, e])^2} (keeps logits small). */
    public static Variable zLoss(Variable logits, double coef) {
        return logits.logsumexp(-1).square().mean().mul(coef);
    }
}
