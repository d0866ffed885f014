package dev.tessera.nn.optim;

import dev.tessera.nn.Parameter;
import java.util.Collections;
import java.util.List;

/**
 * Parameters that share a learning rate and weight decay. A group created with {@link #of} takes
 * the optimizer's defaults; {@link #withLr} and {@link #withWeightDecay} override them (e.g. no
 * decay on biases and norms). The learning rate changes during training ({@link Optimizer#setLr}
 * scales every group by the same factor, keeping their ratios).
 *
 * <pre>{@code
 * var opt = new AdamW(List.of(ParamGroup.of(weights), ParamGroup.of(biases).withWeightDecay(0)), 1e-3, 0.01);
 * }</pre>
 */
public final class ParamGroup {
    private final List<Parameter> params;
    private double lr, initialLr, weightDecay;

    private ParamGroup(List<Parameter> params, double lr, double weightDecay) {
        if (params == null || params.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("ParamGroup: null parameter list or entry");
        }
        this.params = List.copyOf(params);
        this.lr = lr;
        this.initialLr = lr;
        this.weightDecay = weightDecay;
    }

    /** A group using the optimizer's default learning rate and weight decay. */
    public static ParamGroup of(List<Parameter> params) {
        return new ParamGroup(params, Double.NaN, Double.NaN);
    }

    /** This group with its own initial learning rate. */
    public ParamGroup withLr(double lr) {
        checkLr("ParamGroup.withLr", lr);
        return new ParamGroup(params, lr, weightDecay);
    }

    /** This group with its own weight decay. */
    public ParamGroup withWeightDecay(double weightDecay) {
        checkDecay("ParamGroup.withWeightDecay", weightDecay);
        return new ParamGroup(params, lr, weightDecay);
    }

    /** Fills unset values from the optimizer's defaults (called once by the optimizer). */
    ParamGroup resolve(double defaultLr, double defaultDecay) {
        return new ParamGroup(params, Double.isNaN(lr) ? defaultLr : lr, Double.isNaN(weightDecay) ? defaultDecay : weightDecay);
    }

    /** The parameters (read-only). */
    public List<Parameter> params() {
        return Collections.unmodifiableList(params);
    }

    /** The current learning rate. */
    public double lr() {
        return lr;
    }

    /** The learning rate the group started with. */
    public double initialLr() {
        return initialLr;
    }

    /** Sets the current learning rate. */
    public void setLr(double lr) {
        checkLr("ParamGroup.setLr", lr);
        this.lr = lr;
    }

    /** The weight decay. */
    public double weightDecay() {
        return weightDecay;
    }

    /** Sets the weight decay. */
    public void setWeightDecay(double weightDecay) {
        checkDecay("ParamGroup.setWeightDecay", weightDecay);
        this.weightDecay = weightDecay;
    }

    static void checkLr(String op, double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException(op + ": learning rate must be finite and >= 0, got " + lr);
    }

    static void checkDecay(String op, double wd) {
        if (!(wd >= 0) || Double.isInfinite(wd)) throw new IllegalArgumentException(op + ": weight decay must be finite and >= 0, got " + wd);
    }
}
