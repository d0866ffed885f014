package dev.tessera.nn.layers;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.ModuleList;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import java.util.Arrays;
import java.util.Objects;

/**
 * A multilayer perceptron over the last dimension: Linear layers of sizes {@code dims[0] ->
 * dims[1] -> ... -> dims[n]}, with the activation (and then dropout, when {@code p > 0}) between
 * layers but not after the last. Parameters are named {@code layers.<i>.weight} and
 * {@code layers.<i>.bias}.
 *
 * <pre>{@code
 * var mlp = new Mlp(new int[] {512, 512, 512, 1}, Activation.RELU, 0.0, new Rng(0));
 * Variable y = mlp.forward(x);         // [batch, 512] -> [batch, 1]
 * }</pre>
 */
public final class Mlp extends Module implements Layer {
    private final int[] dims;
    private final Activation activation;
    private final ModuleList<Linear> layers;
    private final Dropout dropout;

    /**
     * Float32 MLP. Weights are drawn from {@code rng} layer by layer; the dropout generator is
     * then forked from it.
     */
    public Mlp(int[] dims, Activation activation, double dropout, Rng rng) {
        this(dims, activation, dropout, DType.F32, rng);
    }

    /** An MLP in the given floating dtype. */
    public Mlp(int[] dims, Activation activation, double dropout, DType dtype, Rng rng) {
        if (dims == null || dims.length < 2) {
            throw new IllegalArgumentException("Mlp: need at least input and output sizes, got " + Arrays.toString(dims));
        }
        this.dims = dims.clone();
        this.activation = Objects.requireNonNull(activation, "Mlp: activation is null");
        this.layers = child("layers", new ModuleList<>());
        for (int i = 0; i + 1 < dims.length; i++) layers.add(new Linear(dims[i], dims[i + 1], true, dtype, rng));
        this.dropout = dropout > 0 ? child("dropout", new Dropout(dropout, rng.fork())) : null;
        if (dropout < 0) throw new IllegalArgumentException("Mlp: dropout must be in [0, 1), got " + dropout);
    }

    /** The layer sizes. */
    public int[] dims() {
        return dims.clone();
    }

    /** The Linear layers in order. */
    public ModuleList<Linear> layers() {
        return layers;
    }

    /** The dropout module, or null when dropout is 0. */
    public Dropout dropout() {
        return dropout;
    }

    @Override
    public Variable forward(Variable x) {
        int n = layers.size();
        for (int i = 0; i < n; i++) {
            x = layers.get(i).forward(x);
            if (i + 1 < n) {
                x = activation.forward(x);
                if (dropout != null) x = dropout.forward(x);
            }
        }
        return x;
    }

    @Override
    public String toString() {
        return "Mlp(" + Arrays.toString(dims) + ", " + activation + (dropout == null ? "" : ", dropout " + dropout.p()) + ")";
    }
}
