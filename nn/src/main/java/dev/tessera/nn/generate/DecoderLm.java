package dev.tessera.nn.generate;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.Module;
import dev.tessera.nn.attention.KvCache;
import dev.tessera.nn.layers.Embedding;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.transformer.Decoder;
import dev.tessera.nn.transformer.DecoderLayer;
import dev.tessera.nn.transformer.LearnedPositions;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;

/**
 * A decoder-only language model: token embedding plus learned positions, a pre-LN {@link Decoder}
 * stack, and a linear head to vocabulary logits.
 *
 * <pre>{@code
 * var lm = new DecoderLm(100, 64, 4, 2, 2, 256, 128, DType.F32, new Rng(1));
 * Variable logits = lm.forward(tokens);   // tokens I32 [B, T] -> [B, T, 100]
 * }</pre>
 */
public final class DecoderLm extends Module implements CausalLm<KvCache[]> {
    private final Embedding embed;
    private final LearnedPositions pos;
    private final Decoder decoder;
    private final Linear head;
    private final int maxContext;

    /** A model over {@code vocab} tokens of width {@code dModel}, {@code layers} layers, contexts up to {@code maxContext}. */
    public DecoderLm(int vocab, int dModel, int heads, int kvHeads, int layers, int hidden, int maxContext, DType dtype, Rng rng) {
        this.embed = child("embed", new Embedding(vocab, dModel, dtype, rng));
        this.pos = child("pos", new LearnedPositions(maxContext, dModel, dtype, rng));
        this.decoder = child("decoder", new Decoder(layers, i -> DecoderLayer.standard(dModel, heads, kvHeads, hidden, 0.0, false, dtype, rng)));
        this.head = child("head", new Linear(dModel, vocab, false, dtype, rng));
        this.maxContext = maxContext;
    }

    /** Logits [B, T, V] for I32 tokens [B, T] (training path, full causal attention). */
    public Variable forward(Tensor tokens) {
        return head.forward(decoder.forward(pos.forward(embed.forward(tokens)), null, null, null));
    }

    @Override
    public Tensor logits(int[] tokens) {
        try (var g = Grad.disabled()) {
            return forward(Tensor.of(tokens, 1, tokens.length)).value().squeeze(0);
        }
    }

    @Override
    public Tensor logits(int[] newTokens, KvCache[] caches) {
        try (var g = Grad.disabled()) {
            int past = caches[0].length();
            Variable x = pos.forward(embed.forward(Tensor.of(newTokens, 1, newTokens.length)), past);
            return head.forward(decoder.forward(x, null, null, null, caches)).value().squeeze(0);
        }
    }

    /** One empty {@link KvCache} per layer. */
    public KvCache[] newCaches() {
        return decoder.newCaches();
    }

    @Override
    public KvCache[] newCache() {
        return newCaches();
    }

    @Override
    public int maxContext() {
        return maxContext;
    }
}
