package dev.tessera.nn.optim;

import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An exponential moving average of a module's parameters,
 * {@code shadow = d * shadow + (1 - d) * p} after each {@link #update()}, with
 * {@code d = min(decay, (1 + n) / (10 + n))} when warm-up is on ({@code n} = updates so far), so
 * early averages are not dominated by the initial weights. The shadow starts as a copy of the
 * parameters.
 *
 * <pre>{@code
 * var ema = new Ema(model, 0.999, true);
 * ... opt.step(); ema.update(); ...
 * try (var s = ema.swap()) { evaluate(model); }      // EMA weights inside, trained weights after
 * }</pre>
 */
public final class Ema {
    private final double decay;
    private final boolean warmup;
    private final List<String> names = new ArrayList<>();
    private final List<Parameter> params = new ArrayList<>();
    private final List<Tensor> shadow = new ArrayList<>();
    private long updates;

    /** An average of {@code model}'s parameters with the given decay in [0, 1]. */
    public Ema(Module model, double decay, boolean warmup) {
        if (!(decay >= 0 && decay <= 1)) throw new IllegalArgumentException("Ema: decay must be in [0, 1], got " + decay);
        this.decay = decay;
        this.warmup = warmup;
        for (var e : model.namedParameters().entrySet()) {
            names.add(e.getKey());
            params.add(e.getValue());
            shadow.add(e.getValue().value().copy());
        }
    }

    /** The decay used at the next update. */
    public double currentDecay() {
        return warmup ? Math.min(decay, (1.0 + updates) / (10.0 + updates)) : decay;
    }

    /** Folds the current parameter values into the average (in place). */
    public void update() {
        double d = currentDecay();
        for (int i = 0; i < params.size(); i++) {
            shadow.get(i).scaleInPlace(d).addInPlace(params.get(i).value(), 1 - d);
        }
        updates++;
    }

    /** Number of updates so far. */
    public long updates() {
        return updates;
    }

    /** The averaged value of the parameter named {@code name} (live tensor). */
    public Tensor averaged(String name) {
        int i = names.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("Ema.averaged: no parameter '" + name + "' (have " + names + ")");
        return shadow.get(i);
    }

    /** Copies the averaged values into the parameters (overwriting the trained values). */
    public void copyTo() {
        for (int i = 0; i < params.size(); i++) params.get(i).value().copyFrom(shadow.get(i));
    }

    /** A scope during which the parameters hold the averaged values; closing it swaps them back. */
    public Swap swap() {
        exchange();
        return this::exchange;
    }

    /** Restores the trained values when closed. */
    public interface Swap extends AutoCloseable {
        @Override
        void close();
    }

    private void exchange() {
        for (int i = 0; i < params.size(); i++) {
            Tensor trained = params.get(i).value();
            params.get(i).setValue(shadow.get(i));
            shadow.set(i, trained);
        }
    }

    /** The averages under {@code "<param name>"} and the update count under {@code "num_updates"} (F64 [1]). */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) out.put(names.get(i), shadow.get(i));
        out.put("num_updates", Tensor.of(new double[] {updates}, 1));
        return out;
    }

    /** Restores a {@link #stateDict()}; throws naming missing keys or mismatched shapes. */
    public void loadStateDict(Map<String, Tensor> sd) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            Tensor t = sd.get(names.get(i));
            if (t == null) problems.add("missing '" + names.get(i) + "'");
            else if (!Shape.same(t.shape(), shadow.get(i).shape())) {
                problems.add(names.get(i) + ": " + Shape.str(t.shape()) + " vs " + Shape.str(shadow.get(i).shape()));
            }
        }
        if (!sd.containsKey("num_updates")) problems.add("missing 'num_updates'");
        if (!problems.isEmpty()) throw new IllegalArgumentException("Ema.loadStateDict: " + problems);
        for (int i = 0; i < names.size(); i++) shadow.get(i).copyFrom(sd.get(names.get(i)).to(shadow.get(i).device()));
        updates = (long) sd.get("num_updates").item();
    }
}
