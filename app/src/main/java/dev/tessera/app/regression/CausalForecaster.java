package dev.tessera.app.regression;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.transformer.Decoder;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;

/**
 * A decoder-only transformer that predicts, at every position of a window, the value that follows it (causal
 * self-attention, so position t sees only values 0..t). It trains on all T positions at once; its prediction
 * for the window is the one at the last position.
 */
public final class CausalForecaster extends TaskModel {
    private final ValueEmbedding embed;
    private final Decoder decoder;
    private final Mlp head;

    /** A model for {@code config} (transformer, autoregressive kind). */
    public CausalForecaster(ModelConfig config, Rng rng) {
        super(config);
        if (config.type() != ModelType.TRANSFORMER || config.kind() != SyntheticTask.Kind.AUTOREGRESSIVE) {
            throw new IllegalArgumentException("CausalForecaster: needs a transformer on an autoregressive task, got " + config.type() + " on "
                    + config.kind());
        }
        embed = child("embed", new ValueEmbedding(config.seqLen(), config.dModel(), rng));
        decoder = child("decoder", new Decoder(config.layers(), i -> TransformerParts.decoderLayer(config, false, rng)));
        head = child("head", TransformerParts.head(config, rng));
    }

    /** The decoder stack. */
    public Decoder decoder() {
        return decoder;
    }

    /** Next-value predictions at every position: {@code [B, T] -> [B, T]}. */
    private Variable out(Tensor inputs) {
        int b = inputs.dim(0), t = inputs.dim(1);
        Variable h = decoder.forward(embed.forward(Variable.constant(inputs), 0), null, null, null);
        return head.forward(h).reshape(b, t);
    }

    @Override
    public Variable loss(Tensor inputs, Tensor targets) {
        checkInputs(inputs);
        checkTargets(inputs, targets, -1);
        int t = inputs.dim(1);
        // the value after position i is inputs[i + 1], and after the last position the first target
        Tensor next = Tensor.concat(1, inputs.narrow(1, 1, t - 1), targets.narrow(1, 0, 1));
        return Losses.mse(out(inputs), next);
    }

    @Override
    protected Tensor predictImpl(Tensor inputs) {
        int t = inputs.dim(1);
        return out(inputs).value().narrow(1, t - 1, 1).contiguous();
    }
}
