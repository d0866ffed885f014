package dev.tessera.app.mheight;

import dev.tessera.autograd.Variable;
import dev.tessera.moe.DenseMoE;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Embedding;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.transformer.Encoder;
import dev.tessera.nn.transformer.EncoderLayer;
import dev.tessera.nn.transformer.Pooling;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The m-height model: column tokens (see {@link Features}) plus n/k/m embeddings and global features,
 * a Transformer encoder without positional encoding, masked mean pooling and a {@link DenseMoE} head.
 * It predicts log2 h as the log2 of the minimum-support lower bound on h_m (see {@link Features}) plus a
 * learned correction.
 */
public final class MHeightModel extends Module {
    private static final int MAX_INDEX = Features.MAX_N + 1;
    private final MHeightConfig config;
    private final Linear tokenProj;
    private final Linear globalProj;
    private final Embedding nEmb;
    private final Embedding kEmb;
    private final Embedding mEmb;
    private final Encoder encoder;
    private final DenseMoE head;

    private MHeightModel(MHeightConfig c) {
        this.config = c;
        Rng rng = new Rng(c.seed());
        int d = c.dModel();
        tokenProj = child("tokenProj", new Linear(Features.TOKEN_FEATURES, d, rng));
        globalProj = child("globalProj", new Linear(Features.GLOBAL_FEATURES, d, rng));
        nEmb = child("nEmb", new Embedding(MAX_INDEX, d, rng));
        kEmb = child("kEmb", new Embedding(MAX_INDEX, d, rng));
        mEmb = child("mEmb", new Embedding(MAX_INDEX, d, rng));
        encoder = child("encoder", new Encoder(c.layers(), i -> EncoderLayer.standard(d, c.heads(), c.heads(), c.ffHidden(), 0.0, DType.F32, rng)));
        List<Layer> experts = new ArrayList<>();
        for (int e = 0; e < c.experts(); e++) experts.add(new Mlp(new int[] {d, c.expertHidden(), 1}, Activation.GELU, 0.0, rng));
        head = child("head", new DenseMoE(new Linear(d, c.experts(), rng), experts, DenseMoE.Options.DEFAULT, rng));
    }

    /** A freshly initialised model. */
    public static MHeightModel create(MHeightConfig config) {
        return new MHeightModel(config);
    }

    /** Its configuration. */
    public MHeightConfig config() {
        return config;
    }

    /** The device of the parameters (where {@link #forward} runs; move the model with {@link #to(Device)}). */
    public Device device() {
        return tokenProj.weight().value().device();
    }

    /** Predicted log2 h, shape [B], on {@link #device()}; the batch is copied there. */
    public Variable forward(Features.Batch b) {
        int bs = b.size(), t = b.tokens(), d = config.dModel();
        Device dev = device();
        Variable tok = tokenProj.forward(Variable.constant(Tensor.of(b.tok(), bs, t, Features.TOKEN_FEATURES).to(dev)));
        Variable g = globalProj.forward(Variable.constant(Tensor.of(b.global(), bs, Features.GLOBAL_FEATURES).to(dev)))
                .add(nEmb.forward(Tensor.of(b.n(), bs).to(dev)))
                .add(kEmb.forward(Tensor.of(b.k(), bs).to(dev)))
                .add(mEmb.forward(Tensor.of(b.m(), bs).to(dev)));
        Tensor pad = Tensor.of(b.pad(), bs, t).to(dev);
        Variable x = tok.add(g.reshape(bs, 1, d));
        Variable h = encoder.forward(x, pad);
        Variable pooled = Pooling.MASKED_MEAN.apply(h, pad).add(g);
        Variable out = head.forward(pooled).reshape(bs);
        return out.add(Variable.constant(Tensor.of(b.lowerBound(), bs).to(dev)));
    }
}
