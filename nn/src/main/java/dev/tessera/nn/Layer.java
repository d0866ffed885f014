package dev.tessera.nn;

import dev.tessera.autograd.Variable;

/**
 * Anything that maps one variable to one variable: layers with parameters ({@code Linear}),
 * stateless functions ({@code Activation.RELU}) or a lambda. {@link Sequential} chains layers.
 *
 * <pre>{@code
 * Layer square = x -> x.square();
 * Variable y = square.forward(x);
 * }</pre>
 */
@FunctionalInterface
public interface Layer {
    /** Applies the layer to {@code x}. */
    Variable forward(Variable x);
}
