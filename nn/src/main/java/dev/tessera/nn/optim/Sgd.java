package dev.tessera.nn.optim;

import dev.tessera.nn.Parameter;
import dev.tessera.tensor.Tensor;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and (L2)
 * weight decay, with PyTorch's update rule:
 * <pre>
 * g = grad + wd * p
 * buf = g                                   (first step)
 * buf = momentum * buf + (1 - dampening) * g (later steps)
 * d = nesterov ? g + momentum * buf : buf    (d = g without momentum)
 * p = p - lr * d
 * </pre>
 * All updates are in place; the only state is the momentum buffer ({@code momentum_buffer}).
 *
 * <pre>{@code
 * var opt = new Sgd(model.parameters(), 0.1, 0.9, 0.0, true, 1e-4);
 * }</pre>
 */
public final class Sgd extends Optimizer {
    private final double momentum, dampening;
    private final boolean nesterov;

    /** Plain SGD. */
    public Sgd(Collection<Parameter> params, double lr) {
        this(single(params), lr, 0, 0, false, 0);
    }

    /** SGD over one group. */
    public Sgd(Collection<Parameter> params, double lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
        this(single(params), lr, momentum, dampening, nesterov, weightDecay);
    }

    /** SGD over parameter groups ({@code lr} and {@code weightDecay} are the groups' defaults). */
    public Sgd(List<ParamGroup> groups, double lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
        super(groups, lr, weightDecay);
        if (!(momentum >= 0)) throw new IllegalArgumentException("Sgd: momentum must be >= 0, got " + momentum);
        if (!(dampening >= 0 && dampening <= 1)) throw new IllegalArgumentException("Sgd: dampening must be in [0, 1], got " + dampening);
        if (nesterov && (momentum == 0 || dampening != 0)) {
            throw new IllegalArgumentException("Sgd: Nesterov momentum needs momentum > 0 and dampening 0, got momentum "
                    + momentum + ", dampening " + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    @Override
    protected void update(ParamGroup group, Parameter p, Map<String, Tensor> state, long step) {
        Tensor w = p.value(), g = p.grad();
        double lr = group.lr(), wd = group.weightDecay();
        if (momentum == 0) {
            if (wd != 0) w.scaleInPlace(1 - lr * wd);
            w.addInPlace(g, -lr);
            return;
        }
        Tensor buf = zerosState(state, "momentum_buffer", p);
        // buf uses the weight before this step's decay, so it is updated first.
        if (step == 1) {
            buf.copyFrom(g);
            if (wd != 0) buf.addInPlace(w, wd);
        } else {
            buf.scaleInPlace(momentum).addInPlace(g, 1 - dampening);
            if (wd != 0) buf.addInPlace(w, (1 - dampening) * wd);
        }
        if (nesterov) {
            // d = g + wd*w + momentum*buf
            if (wd != 0) w.scaleInPlace(1 - lr * wd);
            w.addInPlace(g, -lr).addInPlace(buf, -lr * momentum);
        } else {
            w.addInPlace(buf, -lr);
        }
    }
}
