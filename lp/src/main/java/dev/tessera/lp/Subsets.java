package dev.tessera.lp;

import java.util.ArrayList;
import java.util.List;

/**
 * All {@code k}-subsets of {@code {0..n-1}} in lexicographic order, precomputed once per
 * {@code (n, k)}: the sorted members, the sorted complement and the bit mask of each subset.
 *
 * @param n       ground set size
 * @param k       subset size
 * @param members {@code members[s]} = the sorted elements of subset {@code s}
 * @param rest    {@code rest[s]} = the sorted elements not in subset {@code s}
 * @param masks   {@code masks[s]} = bit {@code j} set iff {@code j} is in subset {@code s}
 */
public record Subsets(int n, int k, int[][] members, int[][] rest, int[] masks) {
    /** Largest ground set supported (subsets are stored as {@code int} bit masks). */
    public static final int MAX_N = 30;

    /** Enumerates the {@code k}-subsets of {@code {0..n-1}}. */
    public static Subsets of(int n, int k) {
        if (n < 0 || n > MAX_N || k < 0 || k > n) {
            throw new IllegalArgumentException("Subsets: need 0 <= k <= n <= " + MAX_N + ", got n=" + n + ", k=" + k);
        }
        List<int[]> out = new ArrayList<>();
        int[] c = new int[k];
        for (int i = 0; i < k; i++) c[i] = i;
        while (true) {
            out.add(c.clone());
            int i = k - 1;
            while (i >= 0 && c[i] == n - k + i) i--;
            if (i < 0) break;
            c[i]++;
            for (int j = i + 1; j < k; j++) c[j] = c[j - 1] + 1;
        }
        int[][] members = out.toArray(new int[0][]);
        int[][] rest = new int[members.length][];
        int[] masks = new int[members.length];
        for (int s = 0; s < members.length; s++) {
            int mask = 0;
            for (int j : members[s]) mask |= 1 << j;
            masks[s] = mask;
            int[] r = new int[n - k];
            int p = 0;
            for (int j = 0; j < n; j++) if ((mask & (1 << j)) == 0) r[p++] = j;
            rest[s] = r;
        }
        return new Subsets(n, k, members, rest, masks);
    }

    /** Number of subsets, {@code C(n, k)}. */
    public int size() {
        return members.length;
    }

    /** Binomial coefficient {@code C(n, k)} (exact for the sizes used here). */
    public static long binomial(int n, int k) {
        if (k < 0 || k > n) return 0;
        long r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return r;
    }
}
