package dev.tessera.autograd;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Forward and derivative rules of the shape ops. Views backpropagate through the inverse view;
 * ops that drop elements (slice, narrow, select, split) scatter the gradient into zeros.
 */
final class ShapeRules {
    private ShapeRules() {}

    static Variable reshape(Variable x, int... shape) {
        int[] in = x.shape();
        return Variable.record("reshape", x.value().reshape(shape), g -> new Tensor[] {g.reshape(in)}, x);
    }

    static Variable permute(Variable x, int... order) {
        Tensor out = x.value().permute(order);
        int rank = order.length;
        int[] inverse = new int[rank];
        for (int i = 0; i < rank; i++) inverse[Shape.axis("permute", order[i], rank)] = i;
        return Variable.record("permute", out, g -> new Tensor[] {g.permute(inverse)}, x);
    }

    static Variable transpose(Variable x, int a, int b) {
        return Variable.record("transpose", x.value().transpose(a, b), g -> new Tensor[] {g.transpose(a, b)}, x);
    }

    /** Strided slice: the gradient is copied into a view of a fresh zero tensor. */
    static Variable slice(Variable x, int axis, int start, int end, int step) {
        Tensor out = x.value().slice(axis, start, end, step);
        int[] in = x.shape();
        return Variable.record("slice", out, g -> {
            Tensor z = Grads.zeros(g, in);
            z.slice(axis, start, end, step).copyFrom(g);
            return new Tensor[] {z};
        }, x);
    }

    /** Narrow: the gradient is zero-padded back to the input's extent. */
    static Variable narrow(Variable x, int axis, int start, int length) {
        Tensor out = x.value().narrow(axis, start, length);
        int[] in = x.shape();
        int a = Shape.axis("narrow", axis, in.length);
        return Variable.record("narrow", out, g -> new Tensor[] {padAlong(g, a, start, in[a] - start - length)}, x);
    }

    static Variable select(Variable x, int axis, int i) {
        Tensor out = x.value().select(axis, i);
        int[] in = x.shape();
        int a = Shape.axis("select", axis, in.length);
        int idx = i < 0 ? i + in[a] : i;
        return Variable.record("select", out, g -> new Tensor[] {padAlong(g.unsqueeze(a), a, idx, in[a] - idx - 1)}, x);
    }

    private static Tensor padAlong(Tensor g, int axis, int before, int after) {
        if (before == 0 && after == 0) return g;
        int[] pads = new int[2 * g.rank()];
        pads[2 * axis] = before;
        pads[2 * axis + 1] = after;
        return g.pad(pads, 0.0);
    }

    /** expand and broadcastTo: the gradient is summed back over the broadcast dimensions. */
    static Variable expand(Variable x, Tensor out, String op) {
        int[] in = x.shape();
        return Variable.record(op, out, g -> new Tensor[] {Grads.sumTo(g, in)}, x);
    }

    static Variable unsqueeze(Variable x, int axis) {
        int a = Shape.axis("unsqueeze", axis, x.rank() + 1);
        return Variable.record("unsqueeze", x.value().unsqueeze(a), g -> new Tensor[] {g.squeeze(a)}, x);
    }

    static Variable squeeze(Variable x, int axis) {
        int a = Shape.axis("squeeze", axis, x.rank());
        return Variable.record("squeeze", x.value().squeeze(a), g -> new Tensor[] {g.unsqueeze(a)}, x);
    }

    static Variable squeezeAll(Variable x) {
        int[] in = x.shape();
        return Variable.record("squeeze", x.value().squeeze(), g -> new Tensor[] {g.reshape(in)}, x);
    }

    static Variable contiguous(Variable x) {
        Tensor out = x.value().contiguous();
        if (out == x.value()) return x;
        return Variable.record("contiguous", out, g -> new Tensor[] {g}, x);
    }

    static Variable to(Variable x, DType dtype) {
        if (dtype == x.dtype()) return x;
        DType src = x.dtype();
        return Variable.record("to", x.value().to(dtype), g -> new Tensor[] {g.to(src)}, x);
    }

    /** Constant padding: the gradient is the unpadded window of the output gradient. */
    static Variable pad(Variable x, int[] pads, double value) {
        Tensor out = x.value().pad(pads, value);
        int[] in = x.shape();
        int[] p = pads.clone();
        return Variable.record("pad", out, g -> {
            Tensor r = g;
            for (int d = 0; d < in.length; d++) if (p[2 * d] != 0 || p[2 * d + 1] != 0) r = r.narrow(d, p[2 * d], in[d]);
            return new Tensor[] {r};
        }, x);
    }

    static Variable concat(int axis, Variable... parts) {
        Tensor[] values = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) values[i] = parts[i].value();
        Tensor out = Tensor.concat(axis, values);
        int a = Shape.axis("concat", axis, out.rank());
        int[] sizes = new int[parts.length];
        boolean[] need = new boolean[parts.length];
        for (int i = 0; i < parts.length; i++) {
            sizes[i] = values[i].dim(a);
            need[i] = parts[i].requiresGrad();
        }
        return Variable.record("concat", out, g -> {
            Tensor[] r = new Tensor[sizes.length];
            int start = 0;
            for (int i = 0; i < sizes.length; i++) {
                if (need[i]) r[i] = g.narrow(a, start, sizes[i]);
                start += sizes[i];
            }
            return r;
        }, parts);
    }

    static Variable stack(int axis, Variable... parts) {
        Tensor[] values = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) values[i] = parts[i].value();
        Tensor out = Tensor.stack(axis, values);
        int a = Shape.axis("stack", axis, out.rank());
        boolean[] need = new boolean[parts.length];
        for (int i = 0; i < parts.length; i++) need[i] = parts[i].requiresGrad();
        return Variable.record("stack", out, g -> {
            Tensor[] r = new Tensor[need.length];
            for (int i = 0; i < need.length; i++) if (need[i]) r[i] = g.select(a, i);
            return r;
        }, parts);
    }

    static Variable[] split(Variable x, int axis, int... sizes) {
        Tensor[] pieces = x.value().split(axis, sizes);
        int a = Shape.axis("split", axis, x.rank());
        Variable[] r = new Variable[pieces.length];
        int start = 0;
        for (int i = 0; i < pieces.length; i++) {
            r[i] = narrow(x, a, start, pieces[i].dim(a));
            start += pieces[i].dim(a);
        }
        return r;
    }

    static Variable[] chunk(Variable x, int chunks, int axis) {
        Tensor[] pieces = x.value().chunk(chunks, axis);
        int a = Shape.axis("chunk", axis, x.rank());
        int[] sizes = new int[pieces.length];
        for (int i = 0; i < pieces.length; i++) sizes[i] = pieces[i].dim(a);
        return split(x, a, sizes);
    }
}
