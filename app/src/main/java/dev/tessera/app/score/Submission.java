package dev.tessera.app.score;

import dev.tessera.tensor.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes a submission CSV: header {@code ID,score}, one row per test row, scores rounded to 2
 * decimals (half away from zero), {@code \n} line ends. The file is written to a temporary file
 * beside it and renamed, so a reader never sees half a file.
 *
 * <pre>{@code
 * Submission.write(out.resolve("submission.csv"), ids, scores);
 * }</pre>
 */
public final class Submission {
    private Submission() {}

    /** Writes {@code ids[i],round(scores[i], 2)} rows; scores must be finite. */
    public static void write(Path file, long[] ids, double[] scores) {
        if (ids.length != scores.length) {
            throw new IllegalArgumentException("Submission.write: " + ids.length + " IDs but " + scores.length + " scores");
        }
        StringBuilder b = new StringBuilder(16 + 16 * ids.length).append("ID,score\n");
        for (int i = 0; i < ids.length; i++) {
            if (!Double.isFinite(scores[i])) throw new IllegalArgumentException("Submission.write: score of ID " + ids[i] + " is " + scores[i]);
            b.append(ids[i]).append(',').append(format(scores[i])).append('\n');
        }
        try {
            AtomicFiles.writeString(file, b.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("Submission.write: cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** A score with exactly two decimals, rounded half away from zero ({@code 2.345 -> "2.35"}, never {@code "-0.00"}). */
    static String format(double v) {
        double r = new java.math.BigDecimal(Double.toString(v)).setScale(2, java.math.RoundingMode.HALF_UP).doubleValue();
        return String.format(Locale.ROOT, "%.2f", r == 0 ? 0.0 : r);
    }
}
