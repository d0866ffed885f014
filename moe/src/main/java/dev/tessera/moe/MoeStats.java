package dev.tessera.moe;

import dev.tessera.nn.train.MetricsSink;

/**
 * Routing statistics of one forward of a sparse MoE layer.
 *
 * @param load                   assignments per expert before dropping
 * @param kept                   assignments per expert after dropping
 * @param capacity               slots per expert used by the forward
 * @param maxViolation           {@code max load / mean load - 1} (0 for perfect balance)
 * @param droppedFraction        dropped assignments / all {@code k * tokens} assignments
 * @param realizedCapacityFactor {@code capacity * E / (k * tokens)}: the factor the capacity
 *                               actually corresponds to (after rounding up, or the one a
 *                               dropless forward needed)
 */
public record MoeStats(int[] load, int[] kept, int capacity, double maxViolation, double droppedFraction, double realizedCapacityFactor) {

    /** Statistics of a dispatch of {@code tokens} tokens with {@code k} choices each. */
    public static MoeStats of(Dispatch d, int tokens, int k) {
        int e = d.load().length;
        long total = (long) tokens * k;
        int max = 0;
        for (int l : d.load()) max = Math.max(max, l);
        double mean = (double) total / e;
        double violation = total == 0 ? 0 : max / mean - 1;
        double dropped = total == 0 ? 0 : (double) d.dropped() / total;
        double realized = total == 0 ? 0 : (double) d.capacity() * e / total;
        return new MoeStats(d.load().clone(), d.kept().clone(), d.capacity(), violation, dropped, realized);
    }

    /**
     * Statistics of an expert-choice dispatch: loads are the tokens each expert took (equal by
     * construction), the dropped fraction is the share of tokens no expert took.
     */
    public static MoeStats ofExpertChoice(Dispatch d, int tokens, int k) {
        boolean[] covered = new boolean[tokens];
        for (int t : d.keptToken()) covered[t] = true;
        int none = 0;
        for (boolean c : covered) if (!c) none++;
        int e = d.load().length;
        double realized = tokens == 0 ? 0 : (double) d.capacity() * e / ((double) tokens * k);
        return new MoeStats(d.load().clone(), d.kept().clone(), d.capacity(), 0.0, tokens == 0 ? 0 : (double) none / tokens, realized);
    }

    /**
     * Writes the statistics as scalars {@code prefix/load/<e>}, {@code prefix/max_violation},
     * {@code prefix/dropped_fraction} and {@code prefix/realized_capacity_factor}.
     */
    public void report(MetricsSink sink, String prefix, long step) {
        for (int i = 0; i < load.length; i++) sink.scalar(prefix + "/load/" + i, step, load[i]);
        sink.scalar(prefix + "/max_violation", step, maxViolation);
        sink.scalar(prefix + "/dropped_fraction", step, droppedFraction);
        sink.scalar(prefix + "/realized_capacity_factor", step, realizedCapacityFactor);
    }
}
