package dev.tessera.nn.layers;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.init.Init;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * {@code y = x W^T + b} over the last dimension of {@code x} ({@code [..., in] -> [..., out]}).
 * The weight is stored {@code [out, in]} as in PyTorch (so checkpoints map one to one) and both
 * are initialised like PyTorch's default: uniform in {@code +-1/sqrt(in)}.
 *
 * <p>Forward and backward are one fused op: the product reads the weight through a transposed
 * view (no copy), the bias is added in place into the fresh product, and the backward computes
 * {@code dW = g^T x} directly in the weight's layout, so no transposed gradient is ever copied.
 *
 * <pre>{@code
 * var fc = new Linear(512, 256, new Rng(0));
 * Variable y = fc.forward(x);          // x [batch, 512] -> y [batch, 256]
 * }</pre>
 */
public final class Linear extends Module implements Layer {
    private final int in, out;
    private final Parameter weight, bias;

    /** A float32 layer with bias. */
    public Linear(int in, int out, Rng rng) {
        this(in, out, true, DType.F32, rng);
    }

    /** A layer with or without bias, in the given floating dtype. */
    public Linear(int in, int out, boolean bias, DType dtype, Rng rng) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear: in and out must be positive, got in " + in + ", out " + out);
        this.in = in;
        this.out = out;
        double bound = 1.0 / Math.sqrt(in);
        this.weight = param("weight", Init.uniform(Tensor.empty(dtype, out, in), rng, -bound, bound));
        this.bias = bias ? param("bias", Init.uniform(Tensor.empty(dtype, out), rng, -bound, bound)) : null;
    }

    /** The weight {@code [out, in]}. */
    public Parameter weight() {
        return weight;
    }

    /** The bias {@code [out]}, or null for a layer without bias. */
    public Parameter bias() {
        return bias;
    }

    /** Input features. */
    public int inFeatures() {
        return in;
    }

    /** Output features. */
    public int outFeatures() {
        return out;
    }

    @Override
    public Variable forward(Variable x) {
        return apply(x, weight.var(), bias == null ? null : bias.var());
    }

    /**
     * The functional form: {@code x [..., in] W[out, in]^T + b[out]} with its fused backward
     * ({@code b} may be null).
     */
    public static Variable apply(Variable x, Variable w, Variable b) {
        int[] xs = x.shape();
        if (w.rank() != 2 || xs.length == 0 || xs[xs.length - 1] != w.dim(1)) {
            throw new IllegalArgumentException("linear: input " + Shape.str(xs) + " does not match weight " + Shape.str(w.shape())
                    + " (expected [..., " + (w.rank() == 2 ? w.dim(1) : "in") + "])");
        }
        int inF = w.dim(1), outF = w.dim(0);
        if (b != null && (b.rank() != 1 || b.dim(0) != outF)) {
            throw new IllegalArgumentException("linear: bias " + Shape.str(b.shape()) + " does not match weight " + Shape.str(w.shape()));
        }
        Tensor x2 = x.value().reshape(-1, inF);
        Tensor wv = w.value();
        Tensor y = x2.linear(wv, b == null ? null : b.value());
        int[] ys = xs.clone();
        ys[ys.length - 1] = outF;
        boolean nx = x.requiresGrad(), nw = w.requiresGrad(), nb = b != null && b.requiresGrad();
        return Variable.custom("linear", y.reshape(ys), new Variable[] {x, w, b}, g -> {
            Tensor g2 = g.reshape(-1, outF);
            Tensor gx = nx ? g2.matmul(wv).reshape(xs) : null;
            Tensor gw = nw ? g2.mT().matmul(x2) : null;
            Tensor gb = nb ? g2.sum(0) : null;
            return new Tensor[] {gx, gw, gb};
        });
    }

    @Override
    public String toString() {
        return "Linear(" + in + " -> " + out + (bias == null ? ", no bias" : "") + ")";
    }
}
