package dev.tessera.autograd;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.ops.ReduceOp;

/**
 * Forward and derivative rules of the reductions. Every backward first views the output gradient
 * with the reduced dimensions kept (size 1) so it broadcasts against the input.
 */
final class ReductionRules {
    private ReductionRules() {}

    /** The output gradient with reduced dims restored as size 1. */
    private static Tensor kept(Tensor g, int[] keptShape, boolean keepDims) {
        return keepDims ? g : g.reshape(keptShape);
    }

    static Variable sum(Variable x, int[] axes, boolean keepDims) {
        int[] shape = x.shape();
        int[] ax = Shape.axes("sum", axes, shape.length);
        int[] ks = Grads.keptShape(shape, ax);
        Tensor out = x.value().reduce(ReduceOp.SUM, ax, keepDims);
        return Variable.record("sum", out, g -> new Tensor[] {kept(g, ks, keepDims).expand(shape)}, x);
    }

    static Variable mean(Variable x, int[] axes, boolean keepDims) {
        int[] shape = x.shape();
        int[] ax = Shape.axes("mean", axes, shape.length);
        int[] ks = Grads.keptShape(shape, ax);
        double n = Grads.count(shape, ax);
        Tensor out = x.value().reduce(ReduceOp.MEAN, ax, keepDims);
        return Variable.record("mean", out, g -> new Tensor[] {kept(g, ks, keepDims).div(n).expand(shape)}, x);
    }

    /** Gradient to every position equal to the extreme, split equally among ties (like amax/amin). */
    static Variable extreme(Variable x, int[] axes, boolean keepDims, boolean max) {
        int[] shape = x.shape();
        String name = max ? "max" : "min";
        int[] ax = Shape.axes(name, axes, shape.length);
        int[] ks = Grads.keptShape(shape, ax);
        Tensor xv = x.value();
        Tensor out = xv.reduce(max ? ReduceOp.MAX : ReduceOp.MIN, ax, keepDims);
        return Variable.record(name, out, g -> {
            Tensor hit = xv.eq(kept(out, ks, keepDims));
            Tensor count = hit.to(g.dtype()).sumKeepDims(ax);
            return new Tensor[] {Grads.keepWhere(hit, kept(g, ks, keepDims).div(count))};
        }, x);
    }

    /** d logsumexp / dx = softmax = exp(x - out). */
    static Variable logsumexp(Variable x, int[] axes, boolean keepDims) {
        int[] shape = x.shape();
        int[] ax = Shape.axes("logsumexp", axes, shape.length);
        int[] ks = Grads.keptShape(shape, ax);
        Tensor xv = x.value();
        Tensor out = xv.reduce(ReduceOp.LOGSUMEXP, ax, keepDims);
        return Variable.record("logsumexp", out,
                g -> new Tensor[] {xv.sub(kept(out, ks, keepDims)).exp().mul(kept(g, ks, keepDims))}, x);
    }

    /** d var / dx = 2 (x - mean) / (N - correction). */
    static Variable var(Variable x, int[] axes, int correction, boolean keepDims) {
        int[] shape = x.shape();
        int[] ax = Shape.axes("var", axes, shape.length);
        int[] ks = Grads.keptShape(shape, ax);
        Tensor xv = x.value();
        Tensor out = xv.var(ax, correction, keepDims);
        double scale = 2.0 / (Grads.count(shape, ax) - correction);
        return Variable.record("var", out,
                g -> new Tensor[] {xv.sub(xv.meanKeepDims(ax)).mul(kept(g, ks, keepDims).mul(scale))}, x);
    }
}
