package dev.tessera.moe.binned;

import java.util.Arrays;

/**
 * Ordinal bins of a bounded score: {@code thresholds t_1 < ... < t_{B-1}} strictly inside the
 * score range {@code [lo, hi]} cut it into {@code B} bins {@code [lo, t_1), [t_1, t_2), ...,
 * [t_{B-1}, hi]}. A score equal to a threshold belongs to the upper bin.
 *
 * <pre>{@code
 * var bins = ScoreBins.of(0, 10, 4, 8);   // [0, 4), [4, 8), [8, 10]
 * bins.bin(7.99);                          // 1
 * bins.bin(8.0);                           // 2
 * }</pre>
 *
 * @param lo         lowest score
 * @param hi         highest score
 * @param thresholds bin edges, strictly increasing and strictly inside {@code (lo, hi)}
 */
public record ScoreBins(double lo, double hi, double[] thresholds) {
    /** Validates the range and the thresholds. */
    public ScoreBins {
        if (!(Double.isFinite(lo) && Double.isFinite(hi) && lo < hi)) {
            throw new IllegalArgumentException("ScoreBins: score range must be finite with lo < hi, got [" + lo + ", " + hi + "]");
        }
        thresholds = thresholds.clone();
        for (int i = 0; i < thresholds.length; i++) {
            double t = thresholds[i];
            if (!(t > lo && t < hi)) {
                throw new IllegalArgumentException("ScoreBins: threshold " + t + " must lie strictly inside the score range ["
                        + lo + ", " + hi + "]");
            }
            if (i > 0 && !(t > thresholds[i - 1])) {
                throw new IllegalArgumentException("ScoreBins: thresholds must be strictly increasing, got " + Arrays.toString(thresholds));
            }
        }
    }

    /** Bins over {@code [lo, hi]} cut at the given thresholds. */
    public static ScoreBins of(double lo, double hi, double... thresholds) {
        return new ScoreBins(lo, hi, thresholds);
    }

    /** A defensive copy of the thresholds. */
    @Override
    public double[] thresholds() {
        return thresholds.clone();
    }

    /** Number of bins ({@code thresholds + 1}). */
    public int count() {
        return thresholds.length + 1;
    }

    /** The bin of a score: the number of thresholds {@code <= y} (scores outside the range fall in the end bins). */
    public int bin(double y) {
        if (Double.isNaN(y)) throw new IllegalArgumentException("ScoreBins.bin: score is NaN");
        int b = 0;
        while (b < thresholds.length && y >= thresholds[b]) b++;
        return b;
    }

    /** The bin of every score. */
    public int[] bins(double[] y) {
        int[] out = new int[y.length];
        for (int i = 0; i < y.length; i++) out[i] = bin(y[i]);
        return out;
    }

    /** Rows per bin. */
    public int[] counts(double[] y) {
        int[] c = new int[count()];
        for (double v : y) c[bin(v)]++;
        return c;
    }

    /** Lower edge of bin {@code b}. */
    public double lower(int b) {
        check(b);
        return b == 0 ? lo : thresholds[b - 1];
    }

    /** Upper edge of bin {@code b}. */
    public double upper(int b) {
        check(b);
        return b == thresholds.length ? hi : thresholds[b];
    }

    /** A label such as {@code [4, 8)} (the last bin is closed: {@code [8, 10]}). */
    public String label(int b) {
        return "[" + fmt(lower(b)) + ", " + fmt(upper(b)) + (b == thresholds.length ? "]" : ")");
    }

    /** Clips a score to {@code [lo, hi]}. */
    public double clip(double y) {
        return Math.max(lo, Math.min(hi, y));
    }

    private void check(int b) {
        if (b < 0 || b >= count()) throw new IllegalArgumentException("ScoreBins: bin " + b + " out of range [0, " + count() + ")");
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScoreBins b && b.lo == lo && b.hi == hi && Arrays.equals(b.thresholds, thresholds);
    }

    @Override
    public int hashCode() {
        return Double.hashCode(lo) * 31 * 31 + Double.hashCode(hi) * 31 + Arrays.hashCode(thresholds);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("ScoreBins(");
        for (int b = 0; b < count(); b++) s.append(b == 0 ? "" : " ").append(label(b));
        return s.append(')').toString();
    }
}
