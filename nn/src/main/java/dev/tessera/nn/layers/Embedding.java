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
 * A lookup table {@code [num, dim]}: I32 indices of any shape {@code S} give vectors
 * {@code [S..., dim]}; the gradient is added back into the rows that were used. Initialised
 * N(0, 1) as in PyTorch.
 *
 * <pre>{@code
 * var emb = new Embedding(1000, 64, rng);
 * Variable h = emb.forward(Tensor.of(new int[] {3, 1, 4}, 1, 3));   // [1, 3, 64]
 * }</pre>
 */
public final class Embedding extends Module implements Layer {
    private final int num, dim;
    private final Parameter weight;

    /** A float32 table of {@code num} vectors of size {@code dim}. */
    public Embedding(int num, int dim, Rng rng) {
        this(num, dim, DType.F32, rng);
    }

    /** A table in the given floating dtype. */
    public Embedding(int num, int dim, DType dtype, Rng rng) {
        if (num <= 0 || dim <= 0) throw new IllegalArgumentException("Embedding: num and dim must be positive, got " + num + ", " + dim);
        this.num = num;
        this.dim = dim;
        this.weight = param("weight", Init.normal(Tensor.empty(dtype, num, dim), rng, 0.0, 1.0));
    }

    /** The table {@code [num, dim]}. */
    public Parameter weight() {
        return weight;
    }

    /** Number of entries. */
    public int num() {
        return num;
    }

    /** Vector size. */
    public int dim() {
        return dim;
    }

    /**
     * Looks up I32 {@code indices} (any shape); each must lie in {@code [0, num)}. The range is checked by
     * the backend's index select (on the device, without copying the indices to the host, so the lookup can
     * be part of a captured CUDA graph); the error names this layer.
     */
    public Variable forward(Tensor indices) {
        if (indices.dtype() != DType.I32) {
            throw new IllegalArgumentException("Embedding: indices must be I32, got " + indices.dtype() + " " + Shape.str(indices.shape()));
        }
        int[] s = indices.shape();
        Tensor flat = indices.reshape(-1);
        int[] out = java.util.Arrays.copyOf(s, s.length + 1);
        out[s.length] = dim;
        Variable rows;
        try {
            rows = weight.var().indexSelect(0, flat);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(this + ": " + e.getMessage(), e);
        }
        return rows.reshape(out);
    }

    /** Looks up the I32 indices held by {@code x} (a constant). */
    @Override
    public Variable forward(Variable x) {
        return forward(x.value());
    }

    @Override
    public String toString() {
        return "Embedding(" + num + ", " + dim + ")";
    }
}
