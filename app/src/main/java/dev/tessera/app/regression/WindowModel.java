package dev.tessera.app.regression;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.loss.Losses;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;

/**
 * A linear map or an MLP of the whole input window {@code [B, T]} to one number: the target of a regression
 * task, or the next value of an autoregressive one (an AR(T) model, non-linear for the MLP).
 */
public final class WindowModel extends TaskModel {
    private final Layer net;

    /** A linear or MLP model for {@code config} (regression or autoregressive kind). */
    public WindowModel(ModelConfig config, Rng rng) {
        super(config);
        if (config.type() == ModelType.TRANSFORMER || config.kind() == SyntheticTask.Kind.SEQ2SEQ) {
            throw new IllegalArgumentException("WindowModel: needs a linear or MLP type on a regression or autoregressive task, got "
                    + config.type() + " on " + config.kind());
        }
        int t = config.seqLen();
        if (config.type() == ModelType.LINEAR) {
            net = child("linear", new Linear(t, 1, rng));
        } else {
            int[] dims = new int[config.latentDims().size() + 2];
            dims[0] = t;
            for (int i = 0; i < config.latentDims().size(); i++) dims[i + 1] = config.latentDims().get(i);
            dims[dims.length - 1] = 1;
            net = child("mlp", new Mlp(dims, config.activation(), config.dropout(), rng));
        }
    }

    /** The network: a {@link Linear} or an {@link Mlp}. */
    public Module net() {
        return (Module) net;
    }

    private Variable out(Tensor inputs) {
        Variable y = net.forward(Variable.constant(inputs));                 // [B, 1]
        return config().kind() == SyntheticTask.Kind.REGRESSION ? y.reshape(inputs.dim(0)) : y;
    }

    @Override
    public Variable loss(Tensor inputs, Tensor targets) {
        checkInputs(inputs);
        if (config().kind() == SyntheticTask.Kind.REGRESSION) {
            checkTargets(inputs, targets);
            return Losses.mse(out(inputs), targets);
        }
        checkTargets(inputs, targets, -1);
        return Losses.mse(out(inputs), targets.narrow(1, 0, 1));
    }

    @Override
    protected Tensor predictImpl(Tensor inputs) {
        return out(inputs).value();
    }
}
