package dev.tessera.nn;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Base class of every layer and model. A module registers, explicitly and by name, its
 * parameters ({@link #param}), its non-trainable state ({@link #buffer}) and its sub-modules
 * ({@link #child}); everything else (collecting parameters under dotted names, state dicts,
 * train/eval mode, moving to a device) follows from that registry. There is no reflection.
 *
 * <pre>{@code
 * final class TwoLayer extends Module implements Layer {
 *     private final Linear fc1, fc2;
 *     TwoLayer(Rng rng) {
 *         fc1 = child("fc1", new Linear(4, 8, rng));
 *         fc2 = child("fc2", new Linear(8, 1, rng));
 *     }
 *     public Variable forward(Variable x) { return fc2.forward(fc1.forward(x).relu()); }
 * }
 * var model = new TwoLayer(new Rng(0));
 * model.namedParameters().keySet();   // [fc1.weight, fc1.bias, fc2.weight, fc2.bias]
 * }</pre>
 *
 * <p>Names are unique within a module across parameters, buffers and children, non-empty and
 * without dots. A parameter object registered twice (weight tying) is reported once by
 * {@link #parameters()}, {@link #namedParameters()} and {@link #numParameters()}, under its first
 * name, but appears under every name in {@link #stateDict()}.
 */
public abstract class Module {
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** A module with nothing registered, in training mode. */
    protected Module() {}

    // ------------------------------------------------------------------ registration

    /** Registers a sub-module under {@code name} and returns it. */
    protected <M extends Module> M child(String name, M m) {
        checkName(name);
        Objects.requireNonNull(m, () -> "child '" + name + "': module is null");
        if (m == this) throw new IllegalArgumentException("child '" + name + "': a module cannot contain itself");
        children.put(name, m);
        return m;
    }

    /** Registers a trainable parameter with initial value {@code init} (kept, not copied) and returns it. */
    protected Parameter param(String name, Tensor init) {
        return param(name, new Parameter(name, init));
    }

    /** Registers an existing parameter (weight tying: the same object may be registered by several modules). */
    protected Parameter param(String name, Parameter p) {
        checkName(name);
        Objects.requireNonNull(p, () -> "param '" + name + "': parameter is null");
        params.put(name, p);
        return p;
    }

    /** Registers non-trainable state saved in the state dict (e.g. running statistics, a step count). */
    protected void buffer(String name, Tensor t) {
        checkName(name);
        buffers.put(name, Objects.requireNonNull(t, () -> "buffer '" + name + "': tensor is null"));
    }

    /** The buffer registered under {@code name}. */
    protected Tensor buffer(String name) {
        Tensor t = buffers.get(name);
        if (t == null) throw new IllegalArgumentException("buffer: no buffer '" + name + "' in " + getClass().getSimpleName()
                + " (buffers: " + buffers.keySet() + ")");
        return t;
    }

    /** Replaces a registered buffer (same shape) by another tensor. */
    protected void setBuffer(String name, Tensor t) {
        Tensor old = buffer(name);
        if (!Shape.same(old.shape(), t.shape())) {
            throw new IllegalArgumentException("setBuffer '" + name + "': shape " + Shape.str(t.shape()) + " differs from "
                    + Shape.str(old.shape()));
        }
        buffers.put(name, t);
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("register: name must be non-empty and contain no '.', got '" + name + "'");
        }
        if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("register: name '" + name + "' already used in " + getClass().getSimpleName());
        }
    }

    // ------------------------------------------------------------------ traversal

    /** Direct sub-modules by name, in registration order (read-only). */
    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** This module's own parameters by local name, in registration order (read-only). */
    public Map<String, Parameter> ownParameters() {
        return Collections.unmodifiableMap(params);
    }

    /** Every parameter of this module and its descendants under dotted names, each object once. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        IdentityHashMap<Parameter, Boolean> seen = new IdentityHashMap<>();
        visit("", (prefix, m) -> m.params.forEach((n, p) -> {
            if (seen.put(p, Boolean.TRUE) == null) out.put(prefix + n, p);
        }));
        return out;
    }

    /** Every parameter, each object once, in {@link #namedParameters()} order. */
    public List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Every module in the tree (this one first, depth first) under dotted names ("" for this module). */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        visit("", (prefix, m) -> out.put(prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1), m));
        return out;
    }

    /** Depth-first pre-order walk; {@code prefix} is the dotted path followed by '.' (empty at the root). */
    private void visit(String prefix, BiConsumer<String, Module> f) {
        f.accept(prefix, this);
        children.forEach((n, c) -> c.visit(prefix + n + ".", f));
    }

    /** Total number of parameter elements (tied parameters counted once). */
    public long numParameters() {
        long n = 0;
        for (Parameter p : parameters()) n += p.numel();
        return n;
    }

    /** Drops the gradient of every parameter. */
    public void zeroGrad() {
        for (Parameter p : parameters()) p.zeroGrad();
    }

    // ------------------------------------------------------------------ modes

    /** Switches this module and all descendants to training mode; returns this. */
    public Module train() {
        return setTraining(true);
    }

    /** Switches this module and all descendants to evaluation mode (no dropout); returns this. */
    public Module eval() {
        return setTraining(false);
    }

    /** Sets the mode recursively; returns this. */
    public Module setTraining(boolean on) {
        visit("", (p, m) -> m.training = on);
        return this;
    }

    /** Whether this module is in training mode. */
    public boolean isTraining() {
        return training;
    }

    // ------------------------------------------------------------------ state dict

    /**
     * Parameters and buffers under dotted names, in registration order. The tensors are the live
     * values (no copies): an optimizer step changes them; copy them for a snapshot.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        visit("", (prefix, m) -> {
            m.params.forEach((n, p) -> out.put(prefix + n, p.value()));
            m.buffers.forEach((n, t) -> out.put(prefix + n, t));
        });
        return out;
    }

    /**
     * Copies tensors into the parameters and buffers with the same names (converting dtype and
     * device, in place). All problems are collected and reported together: a shape mismatch always
     * fails; with {@code strict}, missing and unexpected keys fail too. Nothing is modified when
     * the load fails.
     *
     * @return the keys of {@code state} that were not used (empty when strict)
     */
    public List<String> loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>(), mismatched = new ArrayList<>(), unexpected = new ArrayList<>();
        for (var e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) missing.add(e.getKey());
            else if (!Shape.same(src.shape(), e.getValue().shape())) {
                mismatched.add(e.getKey() + ": checkpoint " + Shape.str(src.shape()) + ", model " + Shape.str(e.getValue().shape()));
            }
        }
        for (String k : state.keySet()) if (!own.containsKey(k)) unexpected.add(k);
        if (!mismatched.isEmpty() || (strict && (!missing.isEmpty() || !unexpected.isEmpty()))) {
            StringBuilder b = new StringBuilder("loadStateDict: cannot load into " + getClass().getSimpleName());
            if (strict && !missing.isEmpty()) b.append("; missing keys ").append(missing);
            if (strict && !unexpected.isEmpty()) b.append("; unexpected keys ").append(unexpected);
            if (!mismatched.isEmpty()) b.append("; shape mismatches ").append(mismatched);
            throw new IllegalArgumentException(b.toString());
        }
        for (var e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src != null) {
                Tensor dst = e.getValue();
                dst.copyFrom(src.to(dst.device()));
            }
        }
        return unexpected;
    }

    /** {@link #loadStateDict(Map, boolean)} with {@code strict = true}. */
    public void loadStateDict(Map<String, Tensor> state) {
        loadStateDict(state, true);
    }

    // ------------------------------------------------------------------ conversion

    /**
     * Moves every parameter and buffer to {@code device} (gradients are dropped); returns this.
     * The {@link Parameter} objects stay the same, so an optimizer built earlier keeps working as
     * long as it has not stepped yet (its state is created on the first step, like the values);
     * move the model before training starts.
     */
    public Module to(Device device) {
        return convert(t -> t.to(device));
    }

    /** Converts every floating parameter and buffer to {@code dtype} (gradients are dropped); returns this. */
    public Module to(DType dtype) {
        if (!dtype.isFloating()) throw new IllegalArgumentException("Module.to: expected a floating dtype, got " + dtype);
        return convert(t -> t.dtype().isFloating() ? t.to(dtype) : t);
    }

    private Module convert(java.util.function.UnaryOperator<Tensor> f) {
        IdentityHashMap<Parameter, Boolean> done = new IdentityHashMap<>();
        visit("", (prefix, m) -> {
            m.params.values().forEach(p -> {
                if (done.put(p, Boolean.TRUE) == null) p.replace(f.apply(p.value()));
            });
            m.buffers.replaceAll((n, t) -> f.apply(t));
        });
        return this;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + numParameters() + " parameters)";
    }
}
