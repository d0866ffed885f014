package dev.tessera.app.regression;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.transformer.Encoder;
import dev.tessera.nn.transformer.Pooling;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;

/**
 * A transformer for sequence-to-number regression: value tokens ({@link ValueEmbedding}), a pre-LN encoder,
 * mean pooling over the positions and an MLP head.
 */
public final class EncoderRegressor extends TaskModel {
    private final ValueEmbedding embed;
    private final Encoder encoder;
    private final Mlp head;

    /** A model for {@code config} (transformer, regression kind). */
    public EncoderRegressor(ModelConfig config, Rng rng) {
        super(config);
        if (config.type() != ModelType.TRANSFORMER || config.kind() != SyntheticTask.Kind.REGRESSION) {
            throw new IllegalArgumentException("EncoderRegressor: needs a transformer on a regression task, got " + config.type() + " on " + config.kind());
        }
        embed = child("embed", new ValueEmbedding(config.seqLen(), config.dModel(), rng));
        encoder = child("encoder", new Encoder(config.layers(), i -> TransformerParts.encoderLayer(config, rng)));
        head = child("head", TransformerParts.head(config, rng));
    }

    /** The encoder stack. */
    public Encoder encoder() {
        return encoder;
    }

    private Variable out(Tensor inputs) {
        Variable h = encoder.forward(embed.forward(Variable.constant(inputs), 0), null);
        return head.forward(Pooling.MEAN.apply(h, null)).reshape(inputs.dim(0));
    }

    @Override
    public Variable loss(Tensor inputs, Tensor targets) {
        checkInputs(inputs);
        checkTargets(inputs, targets);
        return Losses.mse(out(inputs), targets);
    }

    @Override
    protected Tensor predictImpl(Tensor inputs) {
        return out(inputs).value();
    }
}
