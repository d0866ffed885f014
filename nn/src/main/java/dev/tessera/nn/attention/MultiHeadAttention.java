package dev.tessera.nn.attention;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.transformer.RotaryEmbedding;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Objects;

/**
 * Multi-head attention with {@code heads} query heads and {@code kvHeads} key/value heads:
 * {@code kvHeads == heads} is MHA, {@code 1} is MQA, any other divisor GQA. Query head h uses kv head
 * {@code h / (heads / kvHeads)}; kv heads are indexed, never repeated (see {@link Sdpa}).
 *
 * <p>Inputs are [B, T, dModel]. Projections: q: dModel to dModel, k and v: dModel to kvHeads * headDim,
 * out: dModel to dModel, with headDim = dModel / heads. Attention dropout applies in training mode; without
 * it the fused attention op runs ({@link Sdpa#fused}), with it the composite ({@link #withFusedKernel}).
 *
 * <pre>{@code
 * var mha = new MultiHeadAttention(64, 8, 2, true, 0.0, new Rng(1));   // GQA, 2 kv heads
 * Variable y = mha.forward(x, padMask, true);                          // causal self-attention
 * Variable z = mha.forward(x, memory, memoryPad);                      // cross-attention
 * }</pre>
 */
public final class MultiHeadAttention extends Module {
    private final int dModel, heads, kvHeads, headDim;
    private final double dropout;
    private final Rng rng;
    private final Linear wq, wk, wv, wo;
    private RotaryEmbedding rotary;
    private boolean fusedKernel = true;

    /** F32 layer; {@code rng} initializes the weights and drives attention dropout. */
    public MultiHeadAttention(int dModel, int heads, int kvHeads, boolean bias, double dropout, Rng rng) {
        this(dModel, heads, kvHeads, bias, dropout, DType.F32, rng);
    }

    /** Layer with an explicit parameter dtype. */
    public MultiHeadAttention(int dModel, int heads, int kvHeads, boolean bias, double dropout, DType dtype, Rng rng) {
        if (dModel <= 0 || heads <= 0 || kvHeads <= 0 || dModel % heads != 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("MultiHeadAttention: need dModel % heads == 0 and heads % kvHeads == 0, got dModel "
                    + dModel + ", heads " + heads + ", kvHeads " + kvHeads);
        }
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("MultiHeadAttention: dropout must be in [0, 1), got " + dropout);
        this.rng = Objects.requireNonNull(rng, "MultiHeadAttention: rng is null");
        this.dModel = dModel;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = dModel / heads;
        this.dropout = dropout;
        this.wq = child("q", new Linear(dModel, dModel, bias, dtype, rng));
        this.wk = child("k", new Linear(dModel, kvHeads * headDim, bias, dtype, rng));
        this.wv = child("v", new Linear(dModel, kvHeads * headDim, bias, dtype, rng));
        this.wo = child("out", new Linear(dModel, dModel, bias, dtype, rng));
    }

    /** Number of query heads. */
    public int heads() { return heads; }

    /** Number of key/value heads. */
    public int kvHeads() { return kvHeads; }

    /** Per-head width. */
    public int headDim() { return headDim; }

    /** Model width. */
    public int dModel() { return dModel; }

    /** Query projection. */
    public Linear q() { return wq; }

    /** Key projection. */
    public Linear k() { return wk; }

    /** Value projection. */
    public Linear v() { return wv; }

    /** Output projection. */
    public Linear out() { return wo; }

    /**
     * Applies {@code rope} to queries and keys of self-attention (positions count from the start of the
     * sequence, continuing across {@link KvCache} steps); cross-attention is left unrotated. Returns this.
     */
    public MultiHeadAttention withRotary(RotaryEmbedding rope) {
        if (rope != null && rope.headDim() != headDim) {
            throw new IllegalArgumentException("MultiHeadAttention.withRotary: rotary headDim " + rope.headDim() + " differs from " + headDim);
        }
        this.rotary = rope;
        return this;
    }

    /**
     * Chooses between the fused attention op (the default: no score matrix in memory, used whenever no
     * attention dropout is active, i.e. dropout 0 or eval mode) and the composite form (batched GEMMs and
     * a masked softmax, which keeps the [B, H, Tq, Tk] probabilities; always used with active dropout).
     * Returns this.
     */
    public MultiHeadAttention withFusedKernel(boolean on) {
        this.fusedKernel = on;
        return this;
    }

    /** Whether the fused attention op is used when no attention dropout is active (true by default). */
    public boolean fusedKernel() {
        return fusedKernel;
    }

    /** The rotary embedding, or null. */
    public RotaryEmbedding rotary() { return rotary; }

    /** Self-attention of x [B, T, dModel]; keyPadding BOOL [B, T] (true = masked) is nullable. */
    public Variable forward(Variable x, Tensor keyPadding, boolean causal) {
        checkInput("x", x);
        return attend(x, x, true, keyPadding, causal, 0, null);
    }

    /** Cross-attention: queries from x [B, Tq, dModel], keys/values from memory [B, Tk, dModel]. */
    public Variable forward(Variable x, Variable memory, Tensor memoryPadding) {
        checkInput("x", x);
        checkInput("memory", memory);
        return attend(x, memory, false, memoryPadding, false, 0, null);
    }

    /**
     * Causal self-attention step with a cache: x [B, Tnew, dModel] holds the next positions; their keys
     * and values are appended to {@code cache} and the queries attend to all cached positions (position
     * i of x sees everything up to itself). {@code keyPadding} (nullable) covers all cached positions after
     * the append: [B, cache.length() + Tnew]. The result equals the matching rows of a full causal forward.
     */
    public Variable forward(Variable x, Tensor keyPadding, KvCache cache) {
        checkInput("x", x);
        Objects.requireNonNull(cache, "MultiHeadAttention.forward: cache is null");
        return attend(x, x, true, keyPadding, true, cache.length(), cache);
    }

    private Variable attend(Variable x, Variable mem, boolean self, Tensor keyPadding, boolean causal, int past, KvCache cache) {
        int b = x.dim(0), tq = x.dim(1), tk = mem.dim(1);
        Variable q = split(wq.forward(x), b, tq, heads);
        Variable k = split(wk.forward(mem), b, tk, kvHeads);
        Variable v = split(wv.forward(mem), b, tk, kvHeads);
        if (rotary != null && self) {
            q = rotary.apply(q, past);
            k = rotary.apply(k, past);
        }
        if (cache != null) {
            cache.append(k.value(), v.value());
            k = past == 0 ? k : Variable.constant(cache.keys());
            v = past == 0 ? v : Variable.constant(cache.values());
        }
        double p = isTraining() ? dropout : 0.0;
        double scale = 1.0 / Math.sqrt(headDim);
        Variable o = fusedKernel && p == 0 ? Sdpa.fused(q, k, v, keyPadding, causal, past, scale)
                : Sdpa.composite(q, k, v, keyPadding, causal, past, scale, p, p > 0 ? rng : null);
        return wo.forward(o.permute(0, 2, 1, 3).reshape(b, tq, dModel));
    }

    private Variable split(Variable y, int b, int t, int h) {
        return y.reshape(b, t, h, headDim).permute(0, 2, 1, 3);
    }

    private void checkInput(String what, Variable x) {
        if (x.rank() != 3 || x.dim(2) != dModel) {
            throw new IllegalArgumentException("MultiHeadAttention: " + what + " must be [B, T, " + dModel + "], got " + Shape.str(x.shape()));
        }
    }
}
