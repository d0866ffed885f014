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
 * @param keptChoice   {@code t * k + j} of each kept assignment
 * @param load         assignments per expert before dropping
 * @param kept         assignments per expert after dropping
 */
public record Dispatch(int capacity, int[] slotToken, int[] keptSlot, int[] keptToken, int[] keptChoice, int[] load, int[] kept) {

    /**
     * Plans the dispatch of {@code choice [tokens * k]} (from {@link Routing#topK}) onto
     * {@code experts} experts; {@code capacity < 0} means dropless (capacity = the largest load).
     */
    public static Dispatch plan(int[] choice, int tokens, int experts, int k, int capacity) {
        if (choice.length != tokens * k) {
            throw new IllegalArgumentException("Dispatch.plan: choice has " + choice.length + " entries, expected " + tokens + " x " + k);
        }
        int[] load = new int[experts];
        for (int c : choice) {
            if (c < 0 || c >= experts) throw new IllegalArgumentException("Dispatch.plan: expert " + c + " not in [0, " + experts + ")");
            load[c]++;
        }
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
        for (int j = 0; j < k; j++) {
            for (int t = 0; t < tokens; t++) {
                int e = choice[t * k + j];
                int pos = next[e]++;
                if (pos >= cap) continue;
                int slot = e * cap + pos;
                slotToken[slot] = t;
                keptSlot[i] = slot;
                keptToken[i] = t;
                keptChoice[i] = t * k + j;
                i++;
            }
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
