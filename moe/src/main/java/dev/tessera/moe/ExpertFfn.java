package dev.tessera.moe;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.init.Init;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;

/**
 * E feed-forward experts {@code x -> gelu(x W1_e + b1_e) W2_e + b2_e} stored as single batched
 * parameters {@code w1 [E, d, h]}, {@code b1 [E, 1, h]}, {@code w2 [E, h, d]}, {@code b2 [E, 1, d]},
 * so that all experts run as one batched matmul over a capacity buffer {@code [E, C, d]}.
 * Initialised like PyTorch's Linear (uniform in {@code +-1/sqrt(fan_in)}).
 *
 * <pre>{@code
 * var ffn = new ExpertFfn(8, 384, 1024, DType.F32, new Rng(0));
 * Variable y = ffn.forward(buffer);          // [8, C, 384] -> [8, C, 384]
 * Variable y3 = ffn.forwardOne(3, x);        // expert 3 alone on x [..., 384]
 * }</pre>
 */
public final class ExpertFfn extends Module {
    private final int experts, dModel, hidden;
    private final Parameter w1, b1, w2, b2;

    /** {@code experts} experts {@code dModel -> hidden -> dModel} in the given floating dtype. */
    public ExpertFfn(int experts, int dModel, int hidden, DType dtype, Rng rng) {
        if (experts <= 0 || dModel <= 0 || hidden <= 0) {
            throw new IllegalArgumentException("ExpertFfn: experts, dModel and hidden must be positive, got " + experts + ", "
                    + dModel + ", " + hidden);
        }
        this.experts = experts;
        this.dModel = dModel;
        this.hidden = hidden;
        double b1b = 1.0 / Math.sqrt(dModel), b2b = 1.0 / Math.sqrt(hidden);
        w1 = param("w1", Init.uniform(Tensor.empty(dtype, experts, dModel, hidden), rng, -b1b, b1b));
        b1 = param("b1", Init.uniform(Tensor.empty(dtype, experts, 1, hidden), rng, -b1b, b1b));
        w2 = param("w2", Init.uniform(Tensor.empty(dtype, experts, hidden, dModel), rng, -b2b, b2b));
        b2 = param("b2", Init.uniform(Tensor.empty(dtype, experts, 1, dModel), rng, -b2b, b2b));
    }

    /** Number of experts. */
    public int numExperts() {
        return experts;
    }

    /** Model width d. */
    public int dModel() {
        return dModel;
    }

    /** Hidden width h. */
    public int hidden() {
        return hidden;
    }

    /** All experts on their own rows: {@code buf [E, C, d] -> [E, C, d]}. */
    public Variable forward(Variable buf) {
        if (buf.rank() != 3 || buf.dim(0) != experts || buf.dim(2) != dModel) {
            throw new IllegalArgumentException("ExpertFfn.forward: expected buffer [" + experts + ", C, " + dModel + "], got "
                    + java.util.Arrays.toString(buf.shape()));
        }
        Variable h = buf.matmul(w1.var()).add(b1.var()).gelu();
        return h.matmul(w2.var()).add(b2.var());
    }

    /**
     * All experts on packed rows: {@code rows [N, d] -> [N, d]}, where the first {@code counts[0]}
     * rows belong to expert 0, the next {@code counts[1]} to expert 1, and so on ({@code N = sum counts}).
     * Computes only the rows present (no padding to a capacity); each row's result equals
     * {@link #forward} on a capacity buffer holding the same rows up to float rounding.
     */
    public Variable forwardGrouped(Variable rows, int[] counts) {
        if (counts.length != experts) {
            throw new IllegalArgumentException("ExpertFfn.forwardGrouped: counts has " + counts.length + " entries, expected " + experts);
        }
        long n = 0;
        for (int c : counts) {
            if (c < 0) throw new IllegalArgumentException("ExpertFfn.forwardGrouped: negative count in " + java.util.Arrays.toString(counts));
            n += c;
        }
        if (rows.rank() != 2 || rows.dim(1) != dModel || rows.dim(0) != n) {
            throw new IllegalArgumentException("ExpertFfn.forwardGrouped: expected rows [" + n + ", " + dModel + "], got "
                    + java.util.Arrays.toString(rows.shape()));
        }
        Variable h = groupedLinear(rows, w1.var(), b1.var(), counts).gelu();
        return groupedLinear(h, w2.var(), b2.var(), counts);
    }

    /**
     * {@code y[r] = x[r] W[e] + b[e]} for the rows r of group e: one GEMM per non-empty group on row
     * views, each written straight into its rows of y (no concatenation), so the backward's input and weight
     * gradients are filled the same way: dx by group, and the weight gradients in one [E, in, out] tensor (no
     * per-expert full-size zero gradients as slicing the parameters would create).
     */
    static Variable groupedLinear(Variable x, Variable w, Variable b, int[] counts) {
        Tensor xv = x.value(), wv = w.value(), bv = b.value();
        int e = counts.length, din = wv.dim(1), dout = wv.dim(2), n = xv.dim(0);
        Tensor y = Tensor.empty(xv.dtype(), xv.device(), n, dout);
        int off = 0;
        for (int i = 0; i < e; i++) {
            // the bias folded into the product (W[e] is [in, out]; linear takes the [out, in] view)
            if (counts[i] > 0) {
                y.narrow(0, off, counts[i]).linearInPlace(xv.narrow(0, off, counts[i]), wv.select(0, i).mT(), bv.select(0, i).reshape(dout));
            }
            off += counts[i];
        }
        return Variable.custom("groupedLinear", y, new Variable[] {x, w, b}, g -> {
            Tensor gc = g.contiguous();
            Tensor dx = x.requiresGrad() ? Tensor.empty(gc.dtype(), gc.device(), n, din) : null;
            Tensor dw = w.requiresGrad() ? Tensor.empty(gc.dtype(), gc.device(), e, din, dout) : null;
            Tensor db = b.requiresGrad() ? Tensor.empty(gc.dtype(), gc.device(), e, 1, dout) : null;
            int o = 0;
            for (int i = 0; i < e; i++) {
                int c = counts[i];
                if (c > 0) {
                    Tensor gi = gc.narrow(0, o, c);
                    if (dx != null) dx.narrow(0, o, c).linearInPlace(gi, wv.select(0, i), null);
                    if (dw != null) dw.select(0, i).linearInPlace(xv.narrow(0, o, c).mT(), gi.mT(), null);
                    if (db != null) db.select(0, i).copyFrom(gi.sumKeepDims(0));
                } else {
                    if (dw != null) dw.select(0, i).fillInPlace(0);
                    if (db != null) db.select(0, i).fillInPlace(0);
                }
                o += c;
            }
            return new Tensor[] {dx, dw, db};
        });
    }

    /** Expert {@code e} alone on {@code x [..., d]}. */
    public Variable forwardOne(int e, Variable x) {
        if (e < 0 || e >= experts) throw new IllegalArgumentException("ExpertFfn.forwardOne: expert " + e + " not in [0, " + experts + ")");
        Variable h = x.matmul(w1.var().select(0, e)).add(b1.var().select(0, e).squeeze(0)).gelu();
        return h.matmul(w2.var().select(0, e)).add(b2.var().select(0, e).squeeze(0));
    }
}
