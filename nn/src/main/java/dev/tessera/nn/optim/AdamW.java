package dev.tessera.nn.optim;

import dev.tessera.nn.Parameter;
import dev.tessera.tensor.Tensor;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): the weights shrink by
 * {@code lr * wd} directly, outside the adaptive moments,
 * <pre>
 * m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 * p = p (1 - lr wd) - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 * as in PyTorch's AdamW. Contiguous F32/F64 parameters are updated by the backend's fused kernel
 * (one pass, no allocation). State: {@code exp_avg}, {@code exp_avg_sq}.
 *
 * <pre>{@code
 * var opt = new AdamW(model.parameters(), 1e-3, 0.01);
 * }</pre>
 */
public final class AdamW extends Optimizer {
    private final double beta1, beta2, eps;

    /** AdamW with betas (0.9, 0.999) and eps 1e-8. */
    public AdamW(Collection<Parameter> params, double lr, double weightDecay) {
        this(single(params), lr, 0.9, 0.999, 1e-8, weightDecay);
    }

    /** AdamW over one group with explicit betas and eps. */
    public AdamW(Collection<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(single(params), lr, beta1, beta2, eps, weightDecay);
    }

    /** AdamW over parameter groups ({@code lr} and {@code weightDecay} are the groups' defaults). */
    public AdamW(List<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(groups, lr, weightDecay);
        AdamUpdate.checkHyper("AdamW", beta1, beta2, eps);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    @Override
    protected void update(ParamGroup group, Parameter p, Map<String, Tensor> state, long step) {
        Tensor m = zerosState(state, "exp_avg", p), v = zerosState(state, "exp_avg_sq", p);
        AdamUpdate.apply(p.value(), p.grad(), m, v, group.lr(), beta1, beta2, eps, group.weightDecay(), step);
    }
}
