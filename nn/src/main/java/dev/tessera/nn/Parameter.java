package dev.tessera.nn;

import dev.tessera.autograd.Variable;
import dev.tessera.tensor.Tensor;
import java.util.Objects;

/**
 * A trainable tensor of a {@link Module}: a leaf {@link Variable} plus the name it was registered
 * under. Optimizers read {@link #grad()} and update {@link #value()} in place; loading a state dict
 * copies into the value in place too, so references held by optimizers stay valid.
 *
 * <p>A frozen parameter ({@link #setRequiresGrad(boolean) setRequiresGrad(false)}) is held as a
 * constant: no gradient reaches it and optimizers skip it.
 *
 * <pre>{@code
 * Parameter w = new Parameter("weight", Tensor.zeros(DType.F32, 4, 3));
 * Variable y = x.matmul(w.var());
 * }</pre>
 */
public final class Parameter {
    private final String name;
    private Variable var;

    /** A trainable parameter holding {@code init} (the tensor itself, not a copy). */
    public Parameter(String name, Tensor init) {
        this.name = Objects.requireNonNull(name, "Parameter: name is null");
        Objects.requireNonNull(init, "Parameter: init tensor is null");
        if (!init.dtype().isFloating()) {
            throw new IllegalArgumentException("Parameter '" + name + "': expected a floating dtype, got " + init.dtype());
        }
        this.var = Variable.leaf(init);
    }

    /** The name this parameter was registered under in its module (without the module's prefix). */
    public String name() {
        return name;
    }

    /** The variable to use in forward computations. */
    public Variable var() {
        return var;
    }

    /** The current value. */
    public Tensor value() {
        return var.value();
    }

    /** The accumulated gradient, or null when no backward reached this parameter since the last zeroGrad. */
    public Tensor grad() {
        return var.grad();
    }

    /** Drops the gradient. */
    public void zeroGrad() {
        var.zeroGrad();
    }

    /** Whether gradients reach this parameter. */
    public boolean requiresGrad() {
        return var.requiresGrad();
    }

    /** Freezes ({@code false}) or unfreezes ({@code true}) the parameter; the value is kept, the gradient dropped. */
    public void setRequiresGrad(boolean requiresGrad) {
        if (requiresGrad == var.requiresGrad()) return;
        var = requiresGrad ? Variable.leaf(var.value()) : Variable.constant(var.value());
    }

    /** Replaces the value by another tensor of the same shape and dtype (no copy). */
    public void setValue(Tensor v) {
        var.setValue(v);
    }

    /**
     * Replaces the value by a tensor that may differ in dtype or device (same shape), e.g. when
     * moving a module; the gradient is dropped.
     */
    void replace(Tensor v) {
        if (!java.util.Arrays.equals(v.shape(), var.value().shape())) {
            throw new IllegalArgumentException("Parameter '" + name + "': replacement shape " + java.util.Arrays.toString(v.shape())
                    + " differs from " + java.util.Arrays.toString(var.value().shape()));
        }
        var = var.requiresGrad() ? Variable.leaf(v) : Variable.constant(v);
    }

    /** Number of elements. */
    public int numel() {
        return var.numel();
    }

    /** The shape of the value. */
    public int[] shape() {
        return var.shape();
    }

    @Override
    public String toString() {
        return "Parameter(" + name + ", " + var.dtype() + java.util.Arrays.toString(var.shape()) + ")";
    }
}
