package dev.tessera.autograd;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Forward and derivative rules of the indexing ops, which come in adjoint pairs: gather and
 * scatter-add, index-select and index-add. Indices are plain I32 tensors and get no gradient.
 */
final class IndexRules {
    private IndexRules() {}

    static Variable gather(Variable x, int dim, Tensor index) {
        Tensor out = x.value().gather(dim, index);
        int[] in = x.shape();
        int d = Shape.axis("gather", dim, in.length);
        return Variable.record("gather", out, g -> new Tensor[] {Grads.zeros(g, in).scatterAdd(d, index, g)}, x);
    }

    /** Out of place scatter-add: the base gets the gradient unchanged, src the gradient gathered at index. */
    static Variable scatterAdd(Variable base, int dim, Tensor index, Variable src) {
        Tensor out = base.value().scatterAdd(dim, index, src.value());
        int d = Shape.axis("scatterAdd", dim, base.rank());
        int[] srcShape = src.shape(), idxShape = index.shape();
        boolean nb = base.requiresGrad(), ns = src.requiresGrad();
        return Variable.record("scatterAdd", out, g -> {
            Tensor gs = null;
            if (ns) {
                gs = g.gather(d, index);
                // Only the part of src covered by index was used; the rest gets a zero gradient.
                if (!Shape.same(idxShape, srcShape)) {
                    int[] pads = new int[2 * srcShape.length];
                    for (int i = 0; i < srcShape.length; i++) pads[2 * i + 1] = srcShape[i] - idxShape[i];
                    gs = gs.pad(pads, 0.0);
                }
            }
            return new Tensor[] {nb ? g : null, gs};
        }, base, src);
    }

    static Variable indexSelect(Variable x, int dim, Tensor index) {
        Tensor out = x.value().indexSelect(dim, index);
        int[] in = x.shape();
        int d = Shape.axis("indexSelect", dim, in.length);
        return Variable.record("indexSelect", out, g -> new Tensor[] {Tensor.indexAdd(in, d, index, g)}, x);
    }

    static Variable indexAdd(int[] shape, int dim, Tensor index, Variable src) {
        Tensor out = Tensor.indexAdd(shape, dim, index, src.value());
        int d = Shape.axis("indexAdd", dim, shape.length);
        return Variable.record("indexAdd", out, g -> new Tensor[] {g.indexSelect(d, index)}, src);
    }

    /** The gradient of an inclusive cumsum is the reversed cumsum of the reversed gradient. */
    static Variable cumsum(Variable x, int dim) {
        Tensor out = x.value().cumsum(dim);
        int d = Shape.axis("cumsum", dim, x.rank());
        int n = x.shape()[d];
        return Variable.record("cumsum", out, g -> {
            Tensor rev = reversed(n);
            return new Tensor[] {g.indexSelect(d, rev).cumsum(d).indexSelect(d, rev)};
        }, x);
    }

    private static Tensor reversed(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = n - 1 - i;
        return Tensor.of(r, n);
    }

    /** Top-k values; the gradient goes back to the selected positions. */
    static Variable topkValues(Variable x, int k, int dim, boolean largest) {
        Tensor.ValuesIndices vi = x.value().topk(k, dim, largest);
        int[] in = x.shape();
        int d = Shape.axis("topk", dim, in.length);
        Tensor idx = vi.indices();
        return Variable.record("topk", vi.values(), g -> new Tensor[] {Grads.zeros(g, in).scatterAdd(d, idx, g)}, x);
    }
}
