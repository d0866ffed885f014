package dev.tessera.app.regression;

import dev.tessera.moe.MoeFfn;
import dev.tessera.nn.Layer;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.transformer.DecoderLayer;
import dev.tessera.nn.transformer.EncoderLayer;
import dev.tessera.nn.transformer.FeedForward;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;

/** The pieces the transformer models share, built from a {@link ModelConfig}. */
final class TransformerParts {
    private TransformerParts() {}

    /** The feed-forward block of one layer: a sparse MoE ({@link MoeFfn}) when configured, else a dense FFN. */
    static Layer ffn(ModelConfig c, Rng rng) {
        return c.moe() != null ? MoeFfn.of(c.dModel(), c.ffnHidden(), c.moe(), DType.F32, rng)
                : new FeedForward(c.dModel(), c.ffnHidden(), c.activation(), c.dropout(), DType.F32, rng);
    }

    /** A pre-LN encoder layer (bidirectional self-attention). */
    static EncoderLayer encoderLayer(ModelConfig c, Rng rng) {
        return new EncoderLayer(c.dModel(), c.heads(), c.kvHeads(), ffn(c, rng), c.dropout(), true, DType.F32, rng);
    }

    /** A pre-LN decoder layer (causal self-attention, cross-attention when {@code cross}). */
    static DecoderLayer decoderLayer(ModelConfig c, boolean cross, Rng rng) {
        return new DecoderLayer(c.dModel(), c.heads(), c.kvHeads(), ffn(c, rng), c.dropout(), true, cross, DType.F32, rng);
    }

    /** The output head {@code d -> latentDims... -> 1}. */
    static Mlp head(ModelConfig c, Rng rng) {
        int[] dims = new int[c.latentDims().size() + 2];
        dims[0] = c.dModel();
        for (int i = 0; i < c.latentDims().size(); i++) dims[i + 1] = c.latentDims().get(i);
        dims[dims.length - 1] = 1;
        return new Mlp(dims, c.activation(), c.dropout(), rng);
    }
}
