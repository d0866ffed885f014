package dev.tessera.moe;

/**
 * Where each (token, choice) assignment goes: a slot {@code e * capacity + position} of the
 * {@code [E, capacity, d]} expert buffer, or nowhere (dropped). Built by a histogram of the
 * choices, a running per-expert position in priority order, and a capacity test: no one-hot
 * tensors.
 *
 * <p>Priority ("drop by position"): all first choices in token order, then all second choices in
 * token order, and so on (GShard order), so a token's first choice is dropped only after every
 * later-ranked choice of that expert.
 *
 * @param capacity     slots per expert
 * @param slotToken    {@code [E * capacity]}: the token in each slot, {@code -1} for an empty slot
 * @param keptSlot     slot of each kept assignment
 * @param keptToken    token of each kept assignment
 * @param keptChoice   {@code t * k + j} of each kept assignment ({@code t * E + e} for {@link #expertChoice})
 * @param load         assignments per expert before dropping
 * @param kept         assignments per expert after dropping
 */
public record Dispatch(int capacity, int[] slotToken, int[] keptSlot, int[] keptToken, int[] keptChoice, int[] load, int[] kept) {

    /**
     * Plans the dispatch of {@code choice [tokens * k]} (from {@link Routing#topK}) onto
     * {@code experts} experts; {@code capacity < 0} means dropless (capacity = the largest load).
     */
    public static Dispatch plan(int[] choice, int tokens, int experts, int k, int capacity) {
        checkChoice(choice, tokens, experts, k);
        int[] order = new int[tokens * k];
        int i = 0;
        for (int j = 0; j < k; j++) for (int t = 0; t < tokens; t++) order[i++] = t * k + j;
        return place(choice, order, tokens, experts, k, capacity);
    }

    /**
     * Like {@link #plan} but with overflow dropped by probability: within each expert the
     * assignments with the highest {@code priority[t * k + j]} (e.g. the router probability) are
     * kept; equal priorities fall back to the position order of {@link #plan}.
     */
    public static Dispatch planByPriority(int[] choice, double[] priority, int tokens, int experts, int k, int capacity) {
        checkChoice(choice, tokens, experts, k);
        if (priority.length != choice.length) {
            throw new IllegalArgumentException("Dispatch.planByPriority: priority has " + priority.length + " entries, expected " + choice.length);
        }
        Integer[] boxed = new Integer[tokens * k];
        int i = 0;
        for (int j = 0; j < k; j++) for (int t = 0; t < tokens; t++) boxed[i++] = t * k + j;
        // a stable sort keeps the position order among equal priorities
        java.util.Arrays.sort(boxed, (a, b) -> Double.compare(priority[b], priority[a]));
        int[] order = new int[boxed.length];
        for (i = 0; i < order.length; i++) order[i] = boxed[i];
        return place(choice, order, tokens, experts, k, capacity);
    }

    /**
     * Expert-choice routing: each expert takes the {@code min(capacity, tokens)} tokens with the
     * highest {@code scores[t, e]} (row-major {@code [tokens, experts]}), ties to the lower token
     * index. A token may be taken by several experts or by none. In the result {@code keptChoice}
     * holds {@code t * experts + e} (an index into the flattened scores), {@code load} counts the
     * tokens each expert took and {@code kept == load}.
     */
    public static Dispatch expertChoice(double[] scores, int tokens, int experts, int capacity) {
        if (scores.length != (long) tokens * experts) {
            throw new IllegalArgumentException("Dispatch.expertChoice: scores has " + scores.length + " entries, expected " + tokens + " x " + experts);
        }
        if (capacity < 1) throw new IllegalArgumentException("Dispatch.expertChoice: capacity must be positive, got " + capacity);
        int c = Math.min(capacity, tokens);
        double[] byExpert = new double[scores.length];
        for (int t = 0; t < tokens; t++) for (int e = 0; e < experts; e++) byExpert[e * tokens + t] = scores[t * experts + e];
        int[] picks = Routing.topK(byExpert, experts, tokens, c);
        int n = experts * c;
        int[] slotToken = new int[n], keptSlot = new int[n], keptToken = new int[n], keptChoice = new int[n];
        int[] load = new int[experts];
        for (int e = 0; e < experts; e++) {
            load[e] = c;
            for (int p = 0; p < c; p++) {
                int slot = e * c + p, t = picks[slot];
                slotToken[slot] = t;
                keptSlot[slot] = slot;
                keptToken[slot] = t;
                keptChoice[slot] = t * experts + e;
            }
        }
        return new Dispatch(c, slotToken, keptSlot, keptToken, keptChoice, load, load.clone());
    }

    private static void checkChoice(int[] choice, int tokens, int experts, int k) {
        if (choice.length != tokens * k) {
            throw new IllegalArgumentException("Dispatch.plan: choice has " + choice.length + " entries, expected " + tokens + " x " + k);
        }
        for (int c : choice) {
            if (c < 0 || c >= experts) throw new IllegalArgumentException("Dispatch.plan: expert " + c + " not in [0, " + experts + ")");
        }
    }

    /** Places the assignments in priority {@code order}: a running position per expert, kept while below capacity. */
    private static Dispatch place(int[] choice, int[] order, int tokens, int experts, int k, int capacity) {
        int[] load = new int[experts];
        for (int c : choice) load[c]++;
        int cap = capacity;
        if (cap < 0) {
            cap = 0;
            for (int l : load) cap = Math.max(cap, l);
        }
        int[] next = new int[experts];
        int[] slotToken = new int[experts * cap];
        java.util.Arrays.fill(slotToken, -1);
        int n = 0;
        for (int e = 0; e < experts; e++) n += Math.min(load[e], cap);
        int[] keptSlot = new int[n], keptToken = new int[n], keptChoice = new int[n];
        int i = 0;
        for (int a : order) {
            int e = choice[a], t = a / k;
            int pos = next[e]++;
            if (pos >= cap) continue;
            int slot = e * cap + pos;
            slotToken[slot] = t;
            keptSlot[i] = slot;
            keptToken[i] = t;
            keptChoice[i] = a;
            i++;
        }
        int[] kept = new int[experts];
        for (int e = 0; e < experts; e++) kept[e] = Math.min(load[e], cap);
        return new Dispatch(cap, slotToken, keptSlot, keptToken, keptChoice, load, kept);
    }

    /**
     * Capacity {@code ceil(cf * k * tokens / experts)}; {@code cf <= 0} means dropless and gives -1.
     */
    public static int capacity(double cf, int k, int tokens, int experts) {
        if (cf <= 0) return -1;
        return (int) Math.ceil(cf * k * tokens / experts);
    }

    /** Number of dropped assignments. */
    public int dropped() {
        return java.util.Arrays.stream(load).sum() - keptSlot.length;
    }
}
