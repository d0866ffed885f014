package dev.tessera.moe;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;

/**
 * Factory of the sparse MoE feed-forward block a transformer layer uses in place of its MLP
 * ({@code --moe [--experts 8] [--top-k 2] [--capacity-factor 1.25] [--alpha 0.01] [--z-loss 0]
 * [--aux-free [--aux-free-rate 0.001]]}).
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
     * @param zLossCoef      router z-loss weight (0: off)
     * @param biasGamma      update rate of the auxiliary-loss-free balancing bias (0: off); the caller
     *                       moves it after each optimizer step with {@link SparseMoE#updateBalancer()}
     */
    public record Config(int experts, int topK, double capacityFactor, double alpha, double zLossCoef, double biasGamma) {
        /** 8 experts, top-2, capacity factor 1.25, alpha 0.01, no z-loss, no auxiliary-loss-free bias. */
        public static final Config DEFAULT = new Config(8, 2, 1.25, 0.01);

        /** The usual update rate of the auxiliary-loss-free bias (DeepSeek-V3's 0.001). */
        public static final double DEFAULT_BIAS_GAMMA = 1e-3;

        /** Without router z-loss and auxiliary-loss-free balancing. */
        public Config(int experts, int topK, double capacityFactor, double alpha) {
            this(experts, topK, capacityFactor, alpha, 0.0, 0.0);
        }
    }

    /**
     * A token-choice sparse MoE {@code dModel -> hidden -> dModel} per expert, dropping by position, with the
     * config's balance loss, z-loss and (when {@code biasGamma > 0}) auxiliary-loss-free balancer.
     */
    public static SparseMoE of(int dModel, int hidden, Config config, DType dtype, Rng rng) {
        var o = new SparseMoE.Options(config.experts(), config.topK(), config.capacityFactor(), config.alpha(), config.zLossCoef(), config.biasGamma());
        return new SparseMoE(dModel, hidden, o, dtype, rng);
    }
}
