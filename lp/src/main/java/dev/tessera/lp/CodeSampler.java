package dev.tessera.lp;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Draws parity matrices {@code P} the way the course data was drawn (SPEC sections 6 and 10):
 * no all-zero column (the whole matrix is redrawn, scale included, as the reference generator does).
 *
 * <pre>{@code
 * CodeSampler s = new CodeSampler(CodeSampler.Kind.INTSCALE);
 * double[] p = new double[4 * 5];
 * s.draw(new SplittableRandom(1), 4, 5, p);   // row-major 4 x 5
 * }</pre>
 */
public final class CodeSampler {
    /** The sampling distributions. */
    public enum Kind {
        /** Per-matrix scale {@code a = round(10^U)}, {@code U ~ Uniform(0,2)}; integers uniform in {@code [-a, a]} (2026 course data). */
        INTSCALE,
        /** Integers uniform in {@code [-100, 100]} (2025 course data). */
        INT100,
        /** Reals uniform in {@code (-100, 100)}. */
        REAL100;

        /** The lower-case name used on the command line and in dataset files. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** True when every drawn entry is an integer. */
        public boolean integral() {
            return this != REAL100;
        }

        /** Parses {@code intscale | int100 | real100}. */
        public static Kind parse(String s) {
            for (Kind k : values()) if (k.id().equals(s.trim().toLowerCase(Locale.ROOT))) return k;
            throw new IllegalArgumentException("CodeSampler: unknown sampler '" + s + "' (expected intscale, int100 or real100)");
        }
    }

    private final Kind kind;

    /** A sampler of the given kind. */
    public CodeSampler(Kind kind) {
        this.kind = kind;
    }

    /** The distribution drawn from. */
    public Kind kind() {
        return kind;
    }

    /** Fills {@code out[0 .. k*r)} with a row-major {@code k x r} matrix that has no all-zero column. */
    public void draw(SplittableRandom rng, int k, int r, double[] out) {
        if (k < 1 || r < 1 || out.length < k * r) {
            throw new IllegalArgumentException("CodeSampler.draw: need k, r >= 1 and out of " + (k * r) + " values, got k=" + k
                    + ", r=" + r + ", out " + out.length);
        }
        do {
            switch (kind) {
                case INTSCALE -> fillInt(rng, (int) Math.round(Math.pow(10.0, 2.0 * rng.nextDouble())), k * r, out);
                case INT100 -> fillInt(rng, 100, k * r, out);
                case REAL100 -> {
                    for (int i = 0; i < k * r; i++) out[i] = rng.nextDouble(-100.0, 100.0);
                }
            }
        } while (hasZeroColumn(out, k, r));
    }

    private static void fillInt(SplittableRandom rng, int a, int len, double[] out) {
        for (int i = 0; i < len; i++) out[i] = rng.nextInt(-a, a + 1);
    }

    /** True when some column of the row-major {@code k x r} matrix is all zero. */
    public static boolean hasZeroColumn(double[] p, int k, int r) {
        for (int t = 0; t < r; t++) {
            boolean zero = true;
            for (int i = 0; i < k && zero; i++) zero = p[i * r + t] == 0.0;
            if (zero) return true;
        }
        return false;
    }
}
