package dev.tessera.app.regression;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.moe.SparseMoE;
import dev.tessera.nn.Module;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model of the regression recipe: a training objective on a batch of {@link TaskData} and the
 * predictions its validation metric is computed from.
 *
 * <ul>
 *   <li>regression: {@code inputs [B, T] -> [B]};</li>
 *   <li>autoregressive: {@code inputs [B, T] -> [B, 1]}, the value after the window; {@link #continueSequence}
 *       rolls it forward by feeding predictions back;</li>
 *   <li>sequence to sequence: {@code inputs [B, T] -> [B, T]}, decoded freely (each output fed back as the next
 *       decoder input).</li>
 * </ul>
 */
public abstract class TaskModel extends Module {
    private final ModelConfig config;
    private Map<String, SparseMoE> moe;

    /** A model for {@code config}. */
    protected TaskModel(ModelConfig config) {
        this.config = config;
    }

    /** Its configuration. */
    public ModelConfig config() {
        return config;
    }

    /**
     * The training objective: mean squared error of the batch (for a transformer on an autoregressive task, over
     * every position of the window; for sequence to sequence, with teacher forcing). Records gradients unless
     * {@link Grad#disabled()} is active.
     */
    public abstract Variable loss(Tensor inputs, Tensor targets);

    /** The predictions the validation metric compares with the targets (see the class comment); records nothing. */
    public final Tensor predict(Tensor inputs) {
        checkInputs(inputs);
        try (var g = Grad.disabled()) {
            return predictImpl(inputs);
        }
    }

    /** {@link #predict} without the checks and the no-grad scope. */
    protected abstract Tensor predictImpl(Tensor inputs);

    /**
     * Continues each window of an autoregressive task by {@code horizon} values, feeding every prediction back
     * as the newest value of a sliding window of length T: {@code context [B, T] -> [B, horizon]}.
     */
    public final Tensor continueSequence(Tensor context, int horizon) {
        if (config.kind() != SyntheticTask.Kind.AUTOREGRESSIVE) {
            throw new IllegalStateException("continueSequence: only autoregressive models continue a sequence, this one is " + config.kind());
        }
        if (horizon < 1) throw new IllegalArgumentException("continueSequence: horizon must be >= 1, got " + horizon);
        checkInputs(context);
        int b = context.dim(0), t = context.dim(1);
        Tensor window = context;
        Tensor[] out = new Tensor[horizon];
        for (int h = 0; h < horizon; h++) {
            out[h] = predict(window);
            window = Tensor.concat(1, window.narrow(1, 1, t - 1), out[h]);
        }
        return Tensor.concat(1, out).reshape(b, horizon);
    }

    /** The sparse MoE layers by dotted name, in registration order (empty without MoE). */
    public final Map<String, SparseMoE> moeLayers() {
        if (moe == null) {
            Map<String, SparseMoE> m = new LinkedHashMap<>();
            namedModules().forEach((name, mod) -> {
                if (mod instanceof SparseMoE s) m.put(name, s);
            });
            moe = Collections.unmodifiableMap(m);
        }
        return moe;
    }

    /** The sum of the MoE layers' auxiliary (balance) losses of the last forward, or null without MoE. */
    public final Variable auxLoss() {
        Variable sum = null;
        for (SparseMoE s : moeLayers().values()) sum = sum == null ? s.auxLoss() : sum.add(s.auxLoss());
        return sum;
    }

    /** Throws unless {@code inputs} is [B, T] with this model's T. */
    protected final void checkInputs(Tensor inputs) {
        if (inputs.rank() != 2 || inputs.dim(1) != config.seqLen()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": inputs must be [B, " + config.seqLen() + "], got "
                    + Shape.str(inputs.shape()));
        }
    }

    /** Throws unless {@code targets} is [B, ...] with {@code expected} trailing dims. */
    protected static void checkTargets(Tensor inputs, Tensor targets, int... trailing) {
        boolean ok = targets.rank() == trailing.length + 1 && targets.dim(0) == inputs.dim(0);
        for (int i = 0; ok && i < trailing.length; i++) ok = trailing[i] < 0 ? targets.dim(i + 1) >= 1 : targets.dim(i + 1) == trailing[i];
        if (!ok) {
            throw new IllegalArgumentException("loss: targets " + Shape.str(targets.shape()) + " do not match inputs " + Shape.str(inputs.shape()));
        }
    }
}
