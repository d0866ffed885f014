package dev.tessera.nn.layers;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.tensor.Rng;
import java.util.Objects;

/**
 * Inverted dropout: in training mode each element is zeroed with probability {@code p} and the
 * rest scaled by {@code 1/(1-p)}; in evaluation mode (or with {@code p = 0}) the input passes
 * unchanged. The masks come from a generator this module owns (no hidden global state); save
 * {@code rng().state()} and restore it with {@link #setRng} to resume exactly.
 *
 * <pre>{@code
 * var drop = new Dropout(0.1, 1234L);
 * Variable y = drop.forward(x);        // model.eval() turns it off
 * }</pre>
 */
public final class Dropout extends Module implements Layer {
    private final double p;
    private Rng rng;

    /** Dropout with probability {@code p} in [0, 1) and a generator seeded with {@code seed}. */
    public Dropout(double p, long seed) {
        this(p, new Rng(seed));
    }

    /** Dropout drawing its masks from {@code rng} (which it then owns). */
    public Dropout(double p, Rng rng) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        this.p = p;
        this.rng = Objects.requireNonNull(rng, "Dropout: rng is null");
    }

    /** The drop probability. */
    public double p() {
        return p;
    }

    /** The generator the masks are drawn from. */
    public Rng rng() {
        return rng;
    }

    /** Replaces the generator (e.g. {@code Rng.fromState(saved)} on resume). */
    public void setRng(Rng rng) {
        this.rng = Objects.requireNonNull(rng, "Dropout.setRng: rng is null");
    }

    @Override
    public Variable forward(Variable x) {
        if (!isTraining() || p == 0) return x;
        return x.dropout(p, rng);
    }

    @Override
    public String toString() {
        return "Dropout(" + p + ")";
    }
}
