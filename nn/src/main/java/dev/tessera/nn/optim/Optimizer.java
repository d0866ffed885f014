package dev.tessera.nn.optim;

import dev.tessera.nn.Parameter;
import dev.tessera.nn.schedule.LrSchedule;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of the optimizers: parameter groups, a step counter, lazily created per-parameter state
 * tensors and a state dict for exact resume. Subclasses implement {@link #update}, which changes
 * the parameter value in place.
 *
 * <p>Parameters are numbered in group order; the state dict holds {@code "step"} (F64 [1]),
 * {@code "groups.<g>.lr"} and {@code "groups.<g>.weight_decay"} (F64 [1]) and, per parameter
 * {@code i} that has been updated, {@code "state.<i>.step"} and {@code "state.<i>.<name>"} for each
 * state tensor (e.g. {@code exp_avg}).
 *
 * <pre>{@code
 * var opt = new AdamW(model.parameters(), 1e-3, 0.01);
 * for (...) {
 *     opt.zeroGrad();
 *     Losses.mse(model.forward(x), y).backward();
 *     opt.step(schedule);              // sets lr = schedule.lr(opt.stepCount()), then updates
 * }
 * }</pre>
 */
public abstract class Optimizer {
    private final List<ParamGroup> groups;
    private final double baseLr;
    private final Parameter[] params;
    private final int[] groupOf;
    private final Map<String, Tensor>[] state;
    private final long[] paramSteps;
    private long step;

    /**
     * Registers the parameter groups and validates the defaults; subclasses add their own
     * hyper-parameters.
     *
     * @param groups      the parameter groups (unset lr / weight decay taken from the defaults)
     * @param lr          the default learning rate, also the reference for {@link #setLr}
     * @param weightDecay the default weight decay
     */
    @SuppressWarnings("unchecked")
    protected Optimizer(List<ParamGroup> groups, double lr, double weightDecay) {
        String op = getClass().getSimpleName();
        ParamGroup.checkLr(op, lr);
        ParamGroup.checkDecay(op, weightDecay);
        if (groups == null || groups.isEmpty()) throw new IllegalArgumentException(op + ": no parameter groups given");
        List<ParamGroup> resolved = new ArrayList<>();
        List<Parameter> all = new ArrayList<>();
        List<Integer> gi = new ArrayList<>();
        IdentityHashMap<Parameter, Boolean> seen = new IdentityHashMap<>();
        for (ParamGroup g : groups) {
            ParamGroup r = g.resolve(lr, weightDecay);
            for (Parameter p : r.params()) {
                if (seen.put(p, Boolean.TRUE) != null) {
                    throw new IllegalArgumentException(op + ": parameter " + p + " appears in more than one group or twice");
                }
                all.add(p);
                gi.add(resolved.size());
            }
            resolved.add(r);
        }
        this.groups = Collections.unmodifiableList(resolved);
        this.baseLr = lr;
        this.params = all.toArray(new Parameter[0]);
        this.groupOf = gi.stream().mapToInt(Integer::intValue).toArray();
        this.state = new Map[params.length];
        this.paramSteps = new long[params.length];
    }

    /** One group holding {@code params}. */
    protected static List<ParamGroup> single(java.util.Collection<Parameter> params) {
        return List.of(ParamGroup.of(List.copyOf(params)));
    }

    /** The parameter groups, with their current learning rates. */
    public List<ParamGroup> groups() {
        return groups;
    }

    /** Number of completed {@link #step()} calls. */
    public long stepCount() {
        return step;
    }

    /**
     * Sets the learning rate of the default group to {@code lr}; every group's rate is scaled by
     * the same factor, {@code group.lr = lr * group.initialLr / defaultLr}.
     */
    public void setLr(double lr) {
        ParamGroup.checkLr("setLr", lr);
        for (ParamGroup g : groups) g.setLr(baseLr == 0 ? lr : lr * g.initialLr() / baseLr);
    }

    /** The current learning rate of the first group. */
    public double lr() {
        return groups.getFirst().lr();
    }

    /** Drops the gradients of all parameters. */
    public void zeroGrad() {
        for (Parameter p : params) p.zeroGrad();
    }

    /** Updates every parameter that has a gradient, then increments the step counter. */
    public void step() {
        step++;
        for (int i = 0; i < params.length; i++) {
            Parameter p = params[i];
            if (!p.requiresGrad() || p.grad() == null) continue;
            if (state[i] == null) state[i] = new LinkedHashMap<>();
            paramSteps[i]++;
            update(groups.get(groupOf[i]), p, state[i], paramSteps[i]);
        }
    }

    /** Sets the learning rate from {@code schedule} at the current step count, then steps. */
    public void step(LrSchedule schedule) {
        setLr(schedule.lr(step));
        step();
    }

    /**
     * Updates one parameter in place.
     *
     * @param group its group (learning rate, weight decay)
     * @param p     the parameter, with a non-null gradient
     * @param state its state tensors by name (create them with {@link #zerosState})
     * @param step  how many updates this parameter has had, including this one (1-based)
     */
    protected abstract void update(ParamGroup group, Parameter p, Map<String, Tensor> state, long step);

    /** The state tensor {@code name}, created as zeros shaped like the parameter on first use. */
    protected static Tensor zerosState(Map<String, Tensor> state, String name, Parameter p) {
        return state.computeIfAbsent(name, k -> p.value().zerosLike());
    }

    // ------------------------------------------------------------------ state dict

    /** The step counters, learning rates and state tensors (live tensors, not copies). */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("step", scalar(step));
        for (int g = 0; g < groups.size(); g++) {
            out.put("groups." + g + ".lr", scalar(groups.get(g).lr()));
            out.put("groups." + g + ".weight_decay", scalar(groups.get(g).weightDecay()));
        }
        for (int i = 0; i < params.length; i++) {
            if (state[i] == null) continue;
            out.put("state." + i + ".step", scalar(paramSteps[i]));
            for (var e : state[i].entrySet()) out.put("state." + i + "." + e.getKey(), e.getValue());
        }
        return out;
    }

    /**
     * Restores a {@link #stateDict()} (copies tensors onto the parameters' devices). Throws naming
     * every unknown key or mismatched shape; nothing is changed when it throws.
     */
    public void loadStateDict(Map<String, Tensor> sd) {
        List<String> problems = new ArrayList<>();
        if (!sd.containsKey("step")) problems.add("missing key 'step'");
        for (String k : sd.keySet()) {
            if (k.equals("step")) continue;
            String[] parts = k.split("\\.", 3);
            if (parts.length == 3 && parts[0].equals("groups")) {
                int g = parseIndex(parts[1]);
                if (g < 0 || g >= groups.size() || !(parts[2].equals("lr") || parts[2].equals("weight_decay"))) {
                    problems.add("unexpected key '" + k + "' (" + groups.size() + " groups)");
                }
            } else if (parts.length == 3 && parts[0].equals("state")) {
                int i = parseIndex(parts[1]);
                if (i < 0 || i >= params.length) problems.add("unexpected key '" + k + "' (" + params.length + " parameters)");
                else if (!parts[2].equals("step") && !Shape.same(sd.get(k).shape(), params[i].shape())) {
                    problems.add(k + ": checkpoint " + Shape.str(sd.get(k).shape()) + ", parameter " + Shape.str(params[i].shape()));
                }
            } else {
                problems.add("unexpected key '" + k + "'");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("loadStateDict: cannot load into " + getClass().getSimpleName() + ": " + problems);
        }
        step = (long) sd.get("step").item();
        for (int g = 0; g < groups.size(); g++) {
            Tensor lr = sd.get("groups." + g + ".lr"), wd = sd.get("groups." + g + ".weight_decay");
            if (lr != null) groups.get(g).setLr(lr.item());
            if (wd != null) groups.get(g).setWeightDecay(wd.item());
        }
        java.util.Arrays.fill(state, null);
        java.util.Arrays.fill(paramSteps, 0);
        for (var e : sd.entrySet()) {
            String[] parts = e.getKey().split("\\.", 3);
            if (!parts[0].equals("state")) continue;
            int i = parseIndex(parts[1]);
            if (state[i] == null) state[i] = new LinkedHashMap<>();
            if (parts[2].equals("step")) {
                paramSteps[i] = (long) e.getValue().item();
            } else {
                Tensor like = params[i].value();
                Tensor t = Tensor.empty(like.dtype(), like.device(), like.shape());
                state[i].put(parts[2], t.copyFrom(e.getValue().to(like.device())));
            }
        }
    }

    private static int parseIndex(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException ex) {
            return -1;
        }
    }

    private static Tensor scalar(double v) {
        return Tensor.of(new double[] {v}, 1);
    }

    /** True when the fused AdamW kernel applies: contiguous F32 or F64 parameter and gradient of one dtype. */
    static boolean fusable(Tensor p, Tensor g) {
        return (p.dtype() == DType.F32 || p.dtype() == DType.F64) && g.dtype() == p.dtype() && p.isContiguous() && g.isContiguous();
    }
}
