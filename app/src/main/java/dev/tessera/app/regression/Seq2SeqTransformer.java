package dev.tessera.app.regression;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.attention.KvCache;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.transformer.Decoder;
import dev.tessera.nn.transformer.Encoder;
import dev.tessera.nn.transformer.EncoderDecoder;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;

/**
 * An encoder-decoder transformer mapping a sequence of values to another of the same length (reverse, sort).
 * The decoder input is the target shifted right by one with a 0 in front (its position 0 marks the
 * start); training uses teacher forcing, {@link #predict} decodes freely with per-layer KV caches, feeding each
 * predicted value back as the next decoder input.
 */
public final class Seq2SeqTransformer extends TaskModel {
    private final ValueEmbedding srcEmbed, tgtEmbed;
    private final EncoderDecoder transformer;
    private final Mlp head;

    /** A model for {@code config} (transformer, sequence-to-sequence kind). */
    public Seq2SeqTransformer(ModelConfig config, Rng rng) {
        super(config);
        if (config.type() != ModelType.TRANSFORMER || config.kind() != SyntheticTask.Kind.SEQ2SEQ) {
            throw new IllegalArgumentException("Seq2SeqTransformer: needs a transformer on a sequence-to-sequence task, got " + config.type() + " on "
                    + config.kind());
        }
        srcEmbed = child("srcEmbed", new ValueEmbedding(config.seqLen(), config.dModel(), rng));
        tgtEmbed = child("tgtEmbed", new ValueEmbedding(config.seqLen(), config.dModel(), rng));
        transformer = child("transformer", new EncoderDecoder(new Encoder(config.layers(), i -> TransformerParts.encoderLayer(config, rng)),
                new Decoder(config.layers(), i -> TransformerParts.decoderLayer(config, true, rng))));
        head = child("head", TransformerParts.head(config, rng));
    }

    /** The encoder-decoder stacks. */
    public EncoderDecoder transformer() {
        return transformer;
    }

    @Override
    public Variable loss(Tensor inputs, Tensor targets) {
        checkInputs(inputs);
        int b = inputs.dim(0), t = inputs.dim(1);
        checkTargets(inputs, targets, t);
        Tensor shifted = Tensor.concat(1, Tensor.zeros(DType.F32, b, 1), targets.narrow(1, 0, t - 1));
        Variable h = transformer.forward(srcEmbed.forward(Variable.constant(inputs), 0), null, tgtEmbed.forward(Variable.constant(shifted), 0), null);
        return Losses.mse(head.forward(h).reshape(b, t), targets);
    }

    @Override
    protected Tensor predictImpl(Tensor inputs) {
        int b = inputs.dim(0), t = inputs.dim(1);
        Variable memory = transformer.encoder().forward(srcEmbed.forward(Variable.constant(inputs), 0), null);
        KvCache[] caches = transformer.decoder().newCaches();
        Tensor prev = Tensor.zeros(DType.F32, b, 1);
        Tensor[] out = new Tensor[t];
        for (int i = 0; i < t; i++) {
            Variable h = transformer.decoder().forward(tgtEmbed.forward(Variable.constant(prev), i), null, memory, null, caches);
            prev = head.forward(h).value().reshape(b, 1);
            out[i] = prev;
        }
        return Tensor.concat(1, out);
    }
}
