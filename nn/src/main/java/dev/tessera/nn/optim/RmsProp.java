package dev.tessera.nn.optim;

import dev.tessera.nn.Parameter;
import dev.tessera.tensor.Tensor;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * RMSprop with PyTorch's rule:
 * <pre>
 * g = grad + wd * p
 * sq = alpha * sq + (1 - alpha) * g^2
 * avg = sqrt(sq) + eps                  (centered: ga = alpha ga + (1-alpha) g; avg = sqrt(sq - ga^2) + eps)
 * momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf
 * otherwise:    p -= lr * g / avg
 * </pre>
 * State: {@code square_avg}, and {@code grad_avg} (centered), {@code momentum_buffer} (momentum).
 *
 * <pre>{@code
 * var opt = new RmsProp(model.parameters(), 1e-2);
 * }</pre>
 */
public final class RmsProp extends Optimizer {
    private final double alpha, eps, momentum;
    private final boolean centered;

    /** RMSprop with alpha 0.99, eps 1e-8, no momentum, not centered, no decay. */
    public RmsProp(Collection<Parameter> params, double lr) {
        this(single(params), lr, 0.99, 1e-8, 0.0, 0.0, false);
    }

    /** RMSprop over parameter groups ({@code lr} and {@code weightDecay} are the groups' defaults). */
    public RmsProp(List<ParamGroup> groups, double lr, double alpha, double eps, double weightDecay, double momentum,
                   boolean centered) {
        super(groups, lr, weightDecay);
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("RmsProp: alpha must be in [0, 1], got " + alpha);
        if (!(eps >= 0)) throw new IllegalArgumentException("RmsProp: eps must be >= 0, got " + eps);
        if (!(momentum >= 0)) throw new IllegalArgumentException("RmsProp: momentum must be >= 0, got " + momentum);
        this.alpha = alpha;
        this.eps = eps;
        this.momentum = momentum;
        this.centered = centered;
    }

    @Override
    protected void update(ParamGroup group, Parameter p, Map<String, Tensor> state, long step) {
        Tensor w = p.value(), g = p.grad();
        double wd = group.weightDecay(), lr = group.lr();
        if (wd != 0) g = g.add(w.mul(wd));
        Tensor sq = zerosState(state, "square_avg", p);
        sq.scaleInPlace(alpha).addInPlace(g.square(), 1 - alpha);
        Tensor avg;
        if (centered) {
            Tensor ga = zerosState(state, "grad_avg", p);
            ga.scaleInPlace(alpha).addInPlace(g, 1 - alpha);
            avg = sq.sub(ga.square()).sqrt().add(eps);
        } else {
            avg = sq.sqrt().add(eps);
        }
        if (momentum > 0) {
            Tensor buf = zerosState(state, "momentum_buffer", p);
            buf.scaleInPlace(momentum).addInPlace(g.div(avg));
            w.addInPlace(buf, -lr);
        } else {
            w.addInPlace(g.div(avg), -lr);
        }
    }
}
