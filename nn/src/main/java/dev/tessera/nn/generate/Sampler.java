package dev.tessera.nn.generate;

import dev.tessera.tensor.Rng;
import java.util.Arrays;
import java.util.Objects;

/**
 * Picks the next token from a row of logits: greedy (argmax, ties to the lower index), or sampling at a
 * temperature after optional top-k and top-p (nucleus) filtering. Filtering order: temperature, top-k,
 * softmax, top-p (smallest prefix of the descending distribution whose mass reaches p, at least one
 * token), renormalize, draw.
 *
 * <pre>{@code
 * Sampler s = Sampler.sample(0.8, 40, 0.95, new Rng(1));
 * int next = s.next(logitsRow);
 * }</pre>
 */
public final class Sampler {
    private final double temperature, topP;
    private final int topK;
    private final Rng rng;
    private final double[] u = new double[1];

    private Sampler(double temperature, int topK, double topP, Rng rng) {
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.rng = rng;
    }

    /** Argmax decoding. */
    public static Sampler greedy() {
        return new Sampler(0, 0, 1, null);
    }

    /**
     * Sampling at {@code temperature > 0}; {@code topK <= 0} disables top-k, {@code topP >= 1} disables top-p.
     */
    public static Sampler sample(double temperature, int topK, double topP, Rng rng) {
        if (!(temperature > 0)) throw new IllegalArgumentException("Sampler: temperature must be > 0 (use greedy()), got " + temperature);
        if (!(topP > 0)) throw new IllegalArgumentException("Sampler: topP must be > 0, got " + topP);
        return new Sampler(temperature, topK, topP, Objects.requireNonNull(rng, "Sampler: rng is null"));
    }

    /** Whether this sampler is greedy. */
    public boolean isGreedy() {
        return rng == null;
    }

    /** The next token for one row of logits. */
    public int next(double[] logits) {
        if (logits.length == 0) throw new IllegalArgumentException("Sampler.next: empty logits");
        if (isGreedy()) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        // descending logit, ties to the lower index, so filtering is deterministic
        Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Double.compare(logits[b], logits[a]) : Integer.compare(a, b));
        int keep = topK > 0 ? Math.min(topK, order.length) : order.length;
        double max = logits[order[0]] / temperature, z = 0;
        double[] p = new double[keep];
        for (int i = 0; i < keep; i++) z += p[i] = Math.exp(logits[order[i]] / temperature - max);
        for (int i = 0; i < keep; i++) p[i] /= z;
        if (topP < 1) {
            double mass = 0;
            int n = 0;
            while (n < keep && mass < topP) mass += p[n++];
            keep = Math.max(1, n);
        }
        double total = 0;
        for (int i = 0; i < keep; i++) total += p[i];
        rng.fillUniform(u, 0, 1, 0.0, 1.0);
        double target = u[0] * total, acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[i];
            if (target < acc) return order[i];
        }
        return order[keep - 1];   // rounding left target at the top of the range
    }
}
