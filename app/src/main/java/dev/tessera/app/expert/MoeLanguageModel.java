package dev.tessera.app.expert;

import dev.tessera.autograd.Variable;
import dev.tessera.moe.SparseMoE;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Embedding;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.transformer.Decoder;
import dev.tessera.nn.transformer.DecoderLayer;
import dev.tessera.nn.transformer.LearnedPositions;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small decoder-only language model whose every feed-forward block is a token-choice
 * {@link SparseMoE}: token embedding + learned positions, pre-LN causal decoder layers, final
 * layer norm and an untied output head.
 *
 * <pre>{@code
 * var lm = new MoeLanguageModel(MoeLanguageModel.Config.SMALL, new Rng(0));
 * Variable logits = lm.forward(tokens);          // I32 [B, T] -> [B, T, vocab]
 * Variable loss = ce.add(lm.auxLoss());          // Switch balance loss of every MoE layer
 * }</pre>
 */
public final class MoeLanguageModel extends Module {

    /**
     * Model shape.
     *
     * @param vocab          vocabulary size
     * @param dModel         width
     * @param heads          attention heads
     * @param layers         decoder layers (one MoE each)
     * @param expertHidden   hidden width of each expert
     * @param experts        experts per MoE layer
     * @param topK           experts per token
     * @param capacityFactor capacity factor ({@code <= 0}: dropless)
     * @param alpha          Switch balance-loss weight
     * @param maxContext     longest sequence
     */
    public record Config(int vocab, int dModel, int heads, int layers, int expertHidden, int experts, int topK, double capacityFactor,
                         double alpha, int maxContext) {
        /** The recipe's model: 64 tokens, width 64, 4 heads, 2 layers of 32 experts (hidden 64), top-2, cf 1.25, alpha 0.01. */
        public static final Config SMALL = new Config(64, 64, 4, 2, 64, 32, 2, 1.25, 0.01, 64);

        /** The configuration as a map (checkpoint metadata). */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("vocab", vocab);
            m.put("dModel", dModel);
            m.put("heads", heads);
            m.put("layers", layers);
            m.put("expertHidden", expertHidden);
            m.put("experts", experts);
            m.put("topK", topK);
            m.put("capacityFactor", capacityFactor);
            m.put("alpha", alpha);
            m.put("maxContext", maxContext);
            return m;
        }
    }

    private final Config config;
    private final Embedding embed;
    private final LearnedPositions pos;
    private final Decoder decoder;
    private final Linear head;
    private final List<SparseMoE> moes = new ArrayList<>();

    /** A freshly initialised model. */
    public MoeLanguageModel(Config c, Rng rng) {
        this.config = c;
        var moeOptions = new SparseMoE.Options(c.experts(), c.topK(), c.capacityFactor(), c.alpha(), 0.0, 0.0);
        this.embed = child("embed", new Embedding(c.vocab(), c.dModel(), DType.F32, rng));
        this.pos = child("pos", new LearnedPositions(c.maxContext(), c.dModel(), DType.F32, rng));
        this.decoder = child("decoder", new Decoder(c.layers(), i -> {
            SparseMoE moe = new SparseMoE(c.dModel(), c.expertHidden(), moeOptions, DType.F32, rng);
            moes.add(moe);
            return new DecoderLayer(c.dModel(), c.heads(), c.heads(), moe, 0.0, true, false, DType.F32, rng);
        }));
        this.head = child("head", new Linear(c.dModel(), c.vocab(), false, DType.F32, rng));
    }

    /** The configuration. */
    public Config config() {
        return config;
    }

    /** The MoE layers, first to last. */
    public List<SparseMoE> moeLayers() {
        return List.copyOf(moes);
    }

    /** Logits {@code [B, T, vocab]} for I32 tokens {@code [B, T]}. */
    public Variable forward(Tensor tokens) {
        return head.forward(decoder.forward(pos.forward(embed.forward(tokens)), null, null, null));
    }

    /** The sum of the MoE layers' auxiliary losses of the last forward. */
    public Variable auxLoss() {
        Variable a = moes.get(0).auxLoss();
        for (int i = 1; i < moes.size(); i++) a = a.add(moes.get(i).auxLoss());
        return a;
    }
}
