package dev.tessera.nn.transformer;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.attention.MultiHeadAttention;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Dropout;
import dev.tessera.nn.layers.LayerNorm;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Objects;

/**
 * One transformer encoder layer: bidirectional self-attention and a feed-forward block, each with a
 * residual connection and layer norm.
 * Pre-LN (default): {@code x + drop(attn(ln1(x)))}, then {@code x + drop(ffn(ln2(x)))}.
 * Post-LN: {@code ln1(x + drop(attn(x)))}, then {@code ln2(x + drop(ffn(x)))}.
 * The feed-forward block is any {@link Layer} (registered as a child when it is a {@link Module}).
 *
 * <pre>{@code
 * var layer = EncoderLayer.standard(64, 8, 8, 256, 0.1, DType.F32, new Rng(1));
 * Variable y = layer.forward(x, padMask);
 * }</pre>
 */
public final class EncoderLayer extends Module {
    private final MultiHeadAttention attn;
    private final Layer ffn;
    private final LayerNorm ln1, ln2;
    private final Dropout drop;
    private final boolean preLn;

    /** A layer with the given feed-forward block. */
    public EncoderLayer(int dModel, int heads, int kvHeads, Layer ffn, double dropout, boolean preLn, DType dtype, Rng rng) {
        this.attn = child("attn", new MultiHeadAttention(dModel, heads, kvHeads, true, dropout, dtype, rng));
        this.ffn = Objects.requireNonNull(ffn, "EncoderLayer: ffn is null");
        if (ffn instanceof Module m) child("ffn", m);
        this.ln1 = child("ln1", new LayerNorm(dModel, 1e-5, true, dtype));
        this.ln2 = child("ln2", new LayerNorm(dModel, 1e-5, true, dtype));
        this.drop = child("drop", new Dropout(dropout, rng));
        this.preLn = preLn;
    }

    /** A pre-LN layer with a GELU {@link FeedForward} of width {@code hidden}. */
    public static EncoderLayer standard(int dModel, int heads, int kvHeads, int hidden, double dropout, DType dtype, Rng rng) {
        return new EncoderLayer(dModel, heads, kvHeads, new FeedForward(dModel, hidden, Activation.GELU, dropout, dtype, rng), dropout,
                true, dtype, rng);
    }

    /** The self-attention. */
    public MultiHeadAttention attention() { return attn; }

    /** The feed-forward block. */
    public Layer ffn() { return ffn; }

    /** Whether layer norm comes before each sublayer. */
    public boolean preLn() { return preLn; }

    /** x [B, T, dModel]; keyPadding BOOL [B, T] (true = padded) is nullable. */
    public Variable forward(Variable x, Tensor keyPadding) {
        if (preLn) {
            x = x.add(drop.forward(attn.forward(ln1.forward(x), keyPadding, false)));
            return x.add(drop.forward(ffn.forward(ln2.forward(x))));
        }
        x = ln1.forward(x.add(drop.forward(attn.forward(x, keyPadding, false))));
        return ln2.forward(x.add(drop.forward(ffn.forward(x))));
    }
}
