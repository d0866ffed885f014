package dev.tessera.app.lm;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.moe.SparseMoE;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.ModuleList;
import dev.tessera.nn.attention.LinearAttention;
import dev.tessera.nn.attention.LinearAttentionState;
import dev.tessera.nn.generate.CausalLm;
import dev.tessera.nn.layers.Embedding;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.layers.RmsNorm;
import dev.tessera.nn.transformer.LearnedPositions;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoder-only MoE language model: token embedding plus learned positions, {@code layers} pre-norm
 * blocks of causal linear attention (phi = elu + 1, grouped kv heads) and a sparse top-k mixture of
 * experts, a final RMS norm and a linear head.
 *
 * <pre>
 * h = embed(tokens) + pos
 * per block:  h = h + LinearAttention(shift(RMSNorm(h)), causal)
 *             h = h + SparseMoE(shift(RMSNorm(h)))  top-k of E experts, capacity in training, dropless in eval
 * logits = head(RMSNorm(h))
 * </pre>
 * where {@code shift} is the optional token shift of {@link Block} (learned per-channel mix with the
 * previous position).
 *
 * <p>Decoding keeps one {@link State} per block: the {@link LinearAttentionState} (running sums, constant
 * size per step) and the previous position's sublayer inputs; the MoE runs dropless in eval mode, so
 * cached decoding equals full recompute.
 *
 * <pre>{@code
 * var lm = new LmModel(LmConfig.small(256), DType.F32);
 * Variable logits = lm.forward(tokens);            // I32 [B, T] -> [B, T, V]
 * int[] next = Generator.expanding(lm.eval(), prompt, 50, Sampler.greedy(), true);
 * }</pre>
 */
public final class LmModel extends Module implements CausalLm<LmModel.State[]> {
    private final LmConfig config;
    private final Embedding embed;
    private final LearnedPositions pos;
    private final ModuleList<Block> blocks;
    private final RmsNorm norm;
    private final Linear head;

    /**
     * One pre-norm block: linear attention then the sparse MoE, each with a residual. With token shift,
     * each sublayer's normalized input is first mixed with the previous position's, per channel
     * ({@code u_t = h_t + mu * (h_{t-1} - h_t)}, mu learned, 0.5 at start, as in RWKV): elu+1 linear
     * attention cannot single out the previous position (its weights are smooth and positive), and
     * without the shift a byte-level model stalls near the bigram entropy.
     */
    static final class Block extends Module {
        final RmsNorm ln1, ln2;
        final LinearAttention attn;
        final SparseMoE moe;
        final Parameter muAttn, muFfn;

        Block(LmConfig c, DType dtype, Rng rng) {
            ln1 = child("ln1", new RmsNorm(c.dModel(), 1e-6, true, dtype));
            attn = child("attn", new LinearAttention(c.dModel(), c.heads(), c.kvHeads(), false, dtype, rng));
            ln2 = child("ln2", new RmsNorm(c.dModel(), 1e-6, true, dtype));
            var o = new SparseMoE.Options(c.experts(), c.topK(), c.capacityFactor(), c.balanceAlpha(), 0.0, c.biasGamma());
            moe = child("moe", new SparseMoE(c.dModel(), c.intermediate(), o, dtype, rng)).withEvalCapacityFactor(0);
            muAttn = c.tokenShift() ? param("shift_attn", Tensor.full(dtype, 0.5, c.dModel())) : null;
            muFfn = c.tokenShift() ? param("shift_ffn", Tensor.full(dtype, 0.5, c.dModel())) : null;
        }

        /** Full forward; {@code state} (nullable) is continued and updated when decoding. */
        Variable forward(Variable x, State state) {
            Variable h = ln1.forward(x);
            if (muAttn != null) h = mix(h, muAttn, state == null ? null : state.lastAttn, state, true);
            x = x.add(state == null ? attn.forward(h, null, true) : attn.forward(h, state.attention));
            Variable f = ln2.forward(x);
            if (muFfn != null) f = mix(f, muFfn, state == null ? null : state.lastFfn, state, false);
            return x.add(moe.forward(f));
        }

        /** {@code h + mu * (shift(h) - h)}; the row before the first is {@code prev} (zeros when null). */
        private static Variable mix(Variable h, Parameter mu, Tensor prev, State state, boolean attnSide) {
            int b = h.dim(0), t = h.dim(1), d = h.dim(2);
            Variable first = Variable.constant(prev != null ? prev : Tensor.zeros(h.dtype(), h.device(), b, 1, d));
            Variable shifted = t == 1 ? first : Variable.concat(1, first, h.narrow(1, 0, t - 1));
            if (state != null) {
                Tensor last = h.value().narrow(1, t - 1, 1).contiguous();
                if (attnSide) state.lastAttn = last;
                else state.lastFfn = last;
            }
            return h.add(shifted.sub(h).mul(mu.var()));
        }
    }

    /**
     * Decoding state of one block: the linear attention's running sums and, with token shift, the last
     * position's normalized sublayer inputs.
     */
    public static final class State {
        final LinearAttentionState attention = new LinearAttentionState();
        Tensor lastAttn, lastFfn;

        /** The attention's recurrent state. */
        public LinearAttentionState attention() {
            return attention;
        }

        /** Positions decoded so far. */
        public int length() {
            return attention.length();
        }
    }

    /** A freshly initialized model (weights from {@code config.seed()}) with parameters of {@code dtype}. */
    public LmModel(LmConfig config, DType dtype) {
        this.config = config;
        Rng rng = new Rng(config.seed());
        embed = child("embed", new Embedding(config.vocab(), config.dModel(), dtype, rng));
        pos = child("pos", new LearnedPositions(config.positions(), config.dModel(), dtype, rng));
        blocks = child("blocks", new ModuleList<>());
        for (int i = 0; i < config.layers(); i++) blocks.add(new Block(config, dtype, rng));
        norm = child("norm", new RmsNorm(config.dModel(), 1e-6, true, dtype));
        head = child("head", new Linear(config.dModel(), config.vocab(), false, dtype, rng));
    }

    /** The shape. */
    public LmConfig config() {
        return config;
    }

    /** The device the parameters live on (token tensors are moved there). */
    public Device device() {
        return head.weight().value().device();
    }

    /** The MoE layer of every block, in order. */
    public List<SparseMoE> moeLayers() {
        List<SparseMoE> out = new ArrayList<>();
        for (Block b : blocks) out.add(b.moe);
        return out;
    }

    /** Logits [B, T, V] of I32 tokens [B, T] (T <= positions), full causal attention. */
    public Variable forward(Tensor tokens) {
        checkTokens(tokens, 0);
        Variable h = pos.forward(embed.forward(tokens));
        for (Block b : blocks) h = b.forward(h, null);
        return head.forward(norm.forward(h));
    }

    /** Sum of the MoE layers' auxiliary losses of the last forward (zero when {@code balanceAlpha == 0}). */
    public Variable auxLoss() {
        Variable sum = null;
        for (Block b : blocks) sum = sum == null ? b.moe.auxLoss() : sum.add(b.moe.auxLoss());
        return sum;
    }

    private void checkTokens(Tensor tokens, int past) {
        if (tokens.rank() != 2 || tokens.dtype() != DType.I32) {
            throw new IllegalArgumentException("LmModel: tokens must be I32 [B, T], got " + tokens.dtype() + " " + java.util.Arrays.toString(tokens.shape()));
        }
        if (past + tokens.dim(1) > config.positions()) {
            throw new IllegalArgumentException("LmModel: position " + (past + tokens.dim(1)) + " exceeds the " + config.positions()
                    + " learned positions");
        }
    }

    @Override
    public Tensor logits(int[] tokens) {
        try (var g = Grad.disabled()) {
            return forward(Tensor.of(tokens, 1, tokens.length).to(device())).value().squeeze(0);
        }
    }

    @Override
    public Tensor logits(int[] newTokens, State[] states) {
        if (states.length != blocks.size()) throw new IllegalArgumentException("LmModel: expected " + blocks.size() + " states, got " + states.length);
        try (var g = Grad.disabled()) {
            int past = states[0].length();
            Tensor t = Tensor.of(newTokens, 1, newTokens.length).to(device());
            checkTokens(t, past);
            Variable h = pos.forward(embed.forward(t), past);
            for (int i = 0; i < states.length; i++) h = blocks.get(i).forward(h, states[i]);
            return head.forward(norm.forward(h)).value().squeeze(0);
        }
    }

    @Override
    public State[] newCache() {
        State[] s = new State[blocks.size()];
        for (int i = 0; i < s.length; i++) s[i] = new State();
        return s;
    }

    @Override
    public int maxContext() {
        return config.positions();
    }
}
