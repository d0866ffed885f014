package dev.tessera.autograd;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;

/** Tensor helpers shared by the derivative rules. */
final class Grads {
    private Grads() {}

    /**
     * Sums a broadcast gradient back to the shape of the operand that was broadcast: leading extra
     * dimensions and dimensions where the operand had size 1 are summed away.
     */
    static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        if (lead < 0) {
            throw new IllegalStateException("sumTo: gradient " + Shape.str(gs) + " has lower rank than " + Shape.str(shape));
        }
        int[] axes = new int[gs.length];
        int n = 0;
        for (int i = 0; i < gs.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) axes[n++] = i;
        }
        // An empty axis list means "all axes" to Tensor.sum, so a pure rank change is a reshape.
        if (n == 0) return g.reshape(shape);
        return g.sumKeepDims(Arrays.copyOf(axes, n)).reshape(shape);
    }

    /** A 0-d zero of {@code like}'s dtype on its device (broadcasts in where). */
    static Tensor zero(Tensor like) {
        return Tensor.full(like.dtype(), like.device(), 0.0);
    }

    /** {@code cond ? g : 0}. */
    static Tensor keepWhere(Tensor cond, Tensor g) {
        return Tensor.where(cond, g, zero(g));
    }

    /** A fresh zero tensor with {@code like}'s dtype and device and the given shape. */
    static Tensor zeros(Tensor like, int[] shape) {
        return Tensor.zeros(like.dtype(), like.device(), shape);
    }

    /** {@code shape} with the given (normalised) axes set to 1. */
    static int[] keptShape(int[] shape, int[] axes) {
        int[] s = shape.clone();
        for (int a : axes) s[a] = 1;
        return s;
    }

    /** Product of the sizes of the given axes. */
    static long count(int[] shape, int[] axes) {
        long n = 1;
        for (int a : axes) n *= shape[a];
        return n;
    }
}
