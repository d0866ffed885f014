package dev.tessera.lp.data;

import java.util.SplittableRandom;

/**
 * The exact invariances of the m-height (SPEC section 4) as data augmentation: permuting the rows
 * of {@code P}, permuting its columns, and negating any rows or columns leave every {@code h_m}
 * unchanged (row operations act as {@code [I|DP] ~ [D^-1|P]}, a signed permutation of coordinates).
 * Scaling {@code P} is not an invariance and is never applied.
 */
public final class Augment {
    private Augment() {
    }

    /**
     * Writes into {@code out} the row-major {@code k x r} matrix
     * {@code out[i][t] = rowSign[i] * colSign[t] * p[rowPerm[i]][colPerm[t]]}.
     */
    public static void apply(double[] p, int k, int r, int[] rowPerm, int[] colPerm, boolean[] negRow, boolean[] negCol, double[] out) {
        if (p == out) throw new IllegalArgumentException("Augment.apply: out must not alias p");
        for (int i = 0; i < k; i++) {
            int src = rowPerm[i] * r;
            for (int t = 0; t < r; t++) {
                double v = p[src + colPerm[t]];
                if (negRow[i] != negCol[t]) v = -v;
                out[i * r + t] = v;
            }
        }
    }

    /** A uniformly random row permutation, column permutation and sign pattern applied to {@code p}. */
    public static void random(double[] p, int k, int r, SplittableRandom rng, double[] out) {
        int[] rows = permutation(k, rng);
        int[] cols = permutation(r, rng);
        boolean[] nr = new boolean[k];
        boolean[] nc = new boolean[r];
        for (int i = 0; i < k; i++) nr[i] = rng.nextBoolean();
        for (int t = 0; t < r; t++) nc[t] = rng.nextBoolean();
        apply(p, k, r, rows, cols, nr, nc, out);
    }

    /** A uniformly random permutation of {@code 0..n-1} (Fisher-Yates). */
    public static int[] permutation(int n, SplittableRandom rng) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
