package dev.tessera.autograd;

import dev.tessera.tensor.Tensor;

/**
 * The derivative rule of one recorded op: maps the gradient of the op's output to one gradient per
 * input, in the order of the inputs given when the op was recorded. An entry may be null when that
 * input needs no gradient (or its gradient is zero). Each gradient must have its input's shape.
 *
 * <pre>{@code
 * Variable y = Variable.custom("double", x.value().mul(2.0), new Variable[] {x},
 *         g -> new Tensor[] {g.mul(2.0)});
 * }</pre>
 */
@FunctionalInterface
public interface Backward {
    /** Gradients of the inputs given the gradient of the output (never mutate {@code gradOutput}). */
    Tensor[] apply(Tensor gradOutput);
}
