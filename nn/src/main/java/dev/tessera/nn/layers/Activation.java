package dev.tessera.nn.layers;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.tensor.Tensor;

/**
 * Elementwise activations as stateless layers (usable in {@link dev.tessera.nn.Sequential} and
 * {@link Mlp}).
 *
 * <pre>{@code
 * Variable h = Activation.GELU.forward(x);
 * }</pre>
 */
public enum Activation implements Layer {
    /** The identity. */
    IDENTITY,
    /** max(x, 0). */
    RELU,
    /** Exact GELU {@code x * Phi(x)}. */
    GELU,
    /** GELU with the tanh approximation. */
    GELU_TANH,
    /** Hyperbolic tangent. */
    TANH,
    /** Logistic sigmoid. */
    SIGMOID,
    /** ELU with alpha 1. */
    ELU,
    /** SiLU (swish) {@code x * sigmoid(x)}. */
    SILU;

    @Override
    public Variable forward(Variable x) {
        return switch (this) {
            case IDENTITY -> x;
            case RELU -> relu(x);
            case GELU -> x.gelu();
            case GELU_TANH -> x.geluTanh();
            case TANH -> x.tanh();
            case SIGMOID -> x.sigmoid();
            case ELU -> x.elu();
            case SILU -> x.silu();
        };
    }

    /**
     * ReLU whose backward is {@code g * sign(y)} on the output {@code y} (1 where x > 0, 0
     * elsewhere: the same subgradient as {@code Variable.relu}), two streaming passes instead of a
     * comparison and a broadcast select.
     */
    static Variable relu(Variable x) {
        Tensor y = x.value().relu();
        return Variable.custom("relu", y, new Variable[] {x}, g -> new Tensor[] {g.mul(y.sign())});
    }

    /** The same function on a plain tensor (no autograd). */
    public Tensor apply(Tensor x) {
        return switch (this) {
            case IDENTITY -> x;
            case RELU -> x.relu();
            case GELU -> x.gelu();
            case GELU_TANH -> x.geluTanh();
            case TANH -> x.tanh();
            case SIGMOID -> x.sigmoid();
            case ELU -> x.elu();
            case SILU -> x.silu();
        };
    }
}
