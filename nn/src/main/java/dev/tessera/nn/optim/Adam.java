package dev.tessera.nn.optim;

import dev.tessera.nn.Parameter;
import dev.tessera.tensor.Tensor;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma and Ba) with classic L2 weight decay: the decay is added to the gradient,
 * {@code g = grad + wd * p}, before the moments (unlike {@link AdamW}, whose decay bypasses them).
 * Bias-corrected as in PyTorch. State: {@code exp_avg}, {@code exp_avg_sq}, and with decay a
 * scratch {@code l2_grad} reused every step.
 *
 * <pre>{@code
 * var opt = new Adam(model.parameters(), 1e-3);
 * }</pre>
 */
public final class Adam extends Optimizer {
    private final double beta1, beta2, eps;

    /** Adam with betas (0.9, 0.999), eps 1e-8 and no weight decay. */
    public Adam(Collection<Parameter> params, double lr) {
        this(single(params), lr, 0.9, 0.999, 1e-8, 0.0);
    }

    /** Adam over one group with L2 weight decay. */
    public Adam(Collection<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(single(params), lr, beta1, beta2, eps, weightDecay);
    }

    /** Adam over parameter groups ({@code lr} and {@code weightDecay} are the groups' defaults). */
    public Adam(List<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(groups, lr, weightDecay);
        AdamUpdate.checkHyper("Adam", beta1, beta2, eps);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    @Override
    protected void update(ParamGroup group, Parameter p, Map<String, Tensor> state, long step) {
        Tensor m = zerosState(state, "exp_avg", p), v = zerosState(state, "exp_avg_sq", p);
        Tensor g = p.grad();
        double wd = group.weightDecay();
        if (wd != 0) {
            Tensor l2 = zerosState(state, "l2_grad", p);
            g = l2.copyFrom(g).addInPlace(p.value(), wd);
        }
        AdamUpdate.apply(p.value(), g, m, v, group.lr(), beta1, beta2, eps, 0.0, step);
    }
}
