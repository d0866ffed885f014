package dev.tessera.nn.transformer;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Dropout;
import dev.tessera.nn.layers.Linear;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;

/**
 * The position-wise feed-forward block {@code Linear(d, hidden) -> activation -> dropout -> Linear(hidden, d)}.
 * Any other {@link Layer} mapping [.., d] to [.., d] (for example a mixture of experts) can take its
 * place in {@link EncoderLayer}.
 *
 * <pre>{@code
 * var ffn = new FeedForward(64, 256, Activation.GELU, 0.1, DType.F32, new Rng(1));
 * }</pre>
 */
public final class FeedForward extends Module implements Layer {
    private final Linear up, down;
    private final Activation activation;
    private final Dropout dropout;

    /** A two-layer MLP of width {@code hidden}. */
    public FeedForward(int dim, int hidden, Activation activation, double dropout, DType dtype, Rng rng) {
        if (dim <= 0 || hidden <= 0) throw new IllegalArgumentException("FeedForward: dim and hidden must be positive, got " + dim + ", " + hidden);
        this.up = child("up", new Linear(dim, hidden, true, dtype, rng));
        this.down = child("down", new Linear(hidden, dim, true, dtype, rng));
        this.activation = java.util.Objects.requireNonNull(activation, "FeedForward: activation is null");
        this.dropout = child("dropout", new Dropout(dropout, rng));
    }

    /** First projection. */
    public Linear up() { return up; }

    /** Second projection. */
    public Linear down() { return down; }

    @Override
    public Variable forward(Variable x) {
        return down.forward(dropout.forward(activation.forward(up.forward(x))));
    }
}
