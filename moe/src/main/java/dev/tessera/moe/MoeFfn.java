package dev.tessera.moe;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;

/**
 * Factory of the sparse MoE feed-forward block a transformer layer uses in place of its MLP
 * ({@code --moe [--experts 8] [--top-k 2] [--capacity-factor 1.25] [--alpha 0.01]}).
 *
 * <pre>{@code
 * SparseMoE ffn = MoeFfn.of(384, 1024, MoeFfn.Config.DEFAULT, DType.F32, rng);
 * Variable y = x.add(ffn.forward(norm(x)));     // residual; add ffn.auxLoss() to the loss
 * }</pre>
 */
public final class MoeFfn {
    private MoeFfn() {}

    /**
     * The command-line settings.
     *
     * @param experts        number of experts
     * @param topK           experts per token
     * @param capacityFactor capacity factor ({@code <= 0}: dropless)
     * @param alpha          Switch load-balancing loss weight
     */
    public record Config(int experts, int topK, double capacityFactor, double alpha) {
        /** 8 experts, top-2, capacity factor 1.25, alpha 0.01. */
        public static final Config DEFAULT = new Config(8, 2, 1.25, 0.01);
    }

    /** A token-choice sparse MoE {@code dModel -> hidden -> dModel} per expert, dropping by position. */
    public static SparseMoE of(int dModel, int hidden, Config config, DType dtype, Rng rng) {
        var o = new SparseMoE.Options(config.experts(), config.topK(), config.capacityFactor(), config.alpha(), 0.0, 0.0);
        return new SparseMoE(dModel, hidden, o, dtype, rng);
    }
}
