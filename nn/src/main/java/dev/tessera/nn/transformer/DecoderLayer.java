package dev.tessera.nn.transformer;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.attention.KvCache;
import dev.tessera.nn.attention.MultiHeadAttention;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Dropout;
import dev.tessera.nn.layers.LayerNorm;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Objects;

/**
 * One transformer decoder layer: causal self-attention, optional cross-attention to an encoder's
 * output (memory), and a feed-forward block; residuals with pre-LN (default) or post-LN as in
 * {@link EncoderLayer}.
 *
 * <pre>{@code
 * var layer = DecoderLayer.standard(64, 8, 2, 256, 0.1, false, DType.F32, new Rng(1));   // decoder-only
 * Variable y = layer.forward(x, padMask, null, null);
 * }</pre>
 */
public final class DecoderLayer extends Module {
    private final MultiHeadAttention self, cross;
    private final Layer ffn;
    private final LayerNorm ln1, ln2, ln3;
    private final Dropout drop;
    private final boolean preLn;

    /** A layer with the given feed-forward block; {@code crossAttention} adds attention to a memory. */
    public DecoderLayer(int dModel, int heads, int kvHeads, Layer ffn, double dropout, boolean preLn, boolean crossAttention,
                        DType dtype, Rng rng) {
        this.self = child("self", new MultiHeadAttention(dModel, heads, kvHeads, true, dropout, dtype, rng));
        this.cross = crossAttention ? child("cross", new MultiHeadAttention(dModel, heads, kvHeads, true, dropout, dtype, rng)) : null;
        this.ffn = Objects.requireNonNull(ffn, "DecoderLayer: ffn is null");
        if (ffn instanceof Module m) child("ffn", m);
        this.ln1 = child("ln1", new LayerNorm(dModel, 1e-5, true, dtype));
        this.ln2 = crossAttention ? child("ln2", new LayerNorm(dModel, 1e-5, true, dtype)) : null;
        this.ln3 = child("ln3", new LayerNorm(dModel, 1e-5, true, dtype));
        this.drop = child("drop", new Dropout(dropout, rng));
        this.preLn = preLn;
    }

    /** A pre-LN layer with a GELU {@link FeedForward} of width {@code hidden}. */
    public static DecoderLayer standard(int dModel, int heads, int kvHeads, int hidden, double dropout, boolean crossAttention,
                                        DType dtype, Rng rng) {
        return new DecoderLayer(dModel, heads, kvHeads, new FeedForward(dModel, hidden, Activation.GELU, dropout, dtype, rng), dropout,
                true, crossAttention, dtype, rng);
    }

    /** The causal self-attention. */
    public MultiHeadAttention selfAttention() { return self; }

    /** The cross-attention, or null for a decoder-only layer. */
    public MultiHeadAttention crossAttention() { return cross; }

    /** Whether layer norm comes before each sublayer. */
    public boolean preLn() { return preLn; }

    /**
     * Full forward of x [B, T, d]: {@code padding} BOOL [B, T] masks padded target keys (nullable);
     * memory [B, S, d] and its padding are used only with cross-attention (memory required then).
     */
    public Variable forward(Variable x, Tensor padding, Variable memory, Tensor memoryPadding) {
        return run(x, memory, memoryPadding, h -> self.forward(h, padding, true));
    }

    /**
     * Incremental step: x [B, Tnew, d] continues the sequence whose self-attention keys and values are in
     * {@code cache}; {@code padding} (nullable) covers all cached positions after the append.
     */
    public Variable forward(Variable x, Tensor padding, Variable memory, Tensor memoryPadding, KvCache cache) {
        Objects.requireNonNull(cache, "DecoderLayer.forward: cache is null");
        return run(x, memory, memoryPadding, h -> self.forward(h, padding, cache));
    }

    private Variable run(Variable x, Variable memory, Tensor memoryPadding, java.util.function.UnaryOperator<Variable> selfAttn) {
        if (cross != null && memory == null) throw new IllegalArgumentException("DecoderLayer: cross-attention needs a memory");
        if (preLn) {
            x = x.add(drop.forward(selfAttn.apply(ln1.forward(x))));
            if (cross != null) x = x.add(drop.forward(cross.forward(ln2.forward(x), memory, memoryPadding)));
            return x.add(drop.forward(ffn.forward(ln3.forward(x))));
        }
        x = ln1.forward(x.add(drop.forward(selfAttn.apply(x))));
        if (cross != null) x = ln2.forward(x.add(drop.forward(cross.forward(x, memory, memoryPadding))));
        return ln3.forward(x.add(drop.forward(ffn.forward(x))));
    }
}
