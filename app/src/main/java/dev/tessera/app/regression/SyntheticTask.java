package dev.tessera.app.regression;

import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * The built-in synthetic tasks of the regression recipe, each a pure function of its seed.
 *
 * <ul>
 *   <li>{@link #SUM} (regression): x ~ U(-1, 1)^T, target {@code sum(x)}.</li>
 *   <li>{@link #SINE} (autoregressive): {@code x_t = A sin(w t + phi) + noise}, A ~ U(0.5, 1.5),
 *       w ~ U(0.3, 0.9) rad per step, phi ~ U(0, 2 pi), noise ~ N(0, sigma); given T values, predict
 *       the following ones.</li>
 *   <li>{@link #ARITH} (autoregressive): {@code x_t = a + d t + noise}, a ~ U(-1, 1), d ~ U(-0.1, 0.1).</li>
 *   <li>{@link #REVERSE} and {@link #SORT} (sequence to sequence): x ~ U(-1, 1)^T, target the reversed
 *       or ascending-sorted sequence.</li>
 * </ul>
 *
 * <pre>{@code
 * TaskData d = SyntheticTask.SINE.generate(1024, 16, 1, 0.05, new Rng(7));   // inputs [1024, 16], targets [1024, 1]
 * }</pre>
 */
public enum SyntheticTask {
    /** Sum of a sequence. */
    SUM(Kind.REGRESSION, 16, 0.0),
    /** Continue a noisy sine wave. */
    SINE(Kind.AUTOREGRESSIVE, 16, 0.05),
    /** Continue an arithmetic sequence. */
    ARITH(Kind.AUTOREGRESSIVE, 16, 0.0),
    /** Reverse a sequence. */
    REVERSE(Kind.SEQ2SEQ, 8, 0.0),
    /** Sort a sequence ascending. */
    SORT(Kind.SEQ2SEQ, 8, 0.0);

    /** What a task maps: a sequence to a number, a sequence to its continuation, or a sequence to a sequence. */
    public enum Kind {
        /** Inputs [N, T], targets [N]. */
        REGRESSION,
        /** Inputs (context) [N, T], targets (the next values) [N, H]. */
        AUTOREGRESSIVE,
        /** Inputs [N, T], targets [N, T]. */
        SEQ2SEQ
    }

    private final Kind kind;
    private final int defaultSeqLen;
    private final double defaultNoise;

    SyntheticTask(Kind kind, int defaultSeqLen, double defaultNoise) {
        this.kind = kind;
        this.defaultSeqLen = defaultSeqLen;
        this.defaultNoise = defaultNoise;
    }

    /** The kind of mapping. */
    public Kind kind() {
        return kind;
    }

    /** The sequence length used when none is given. */
    public int defaultSeqLen() {
        return defaultSeqLen;
    }

    /** The observation noise (standard deviation) used when none is given. */
    public double defaultNoise() {
        return defaultNoise;
    }

    /** Whether the task takes a noise level (the autoregressive ones). */
    public boolean hasNoise() {
        return kind == Kind.AUTOREGRESSIVE;
    }

    /** The lower-case name used on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The task named {@code name} (case-insensitive). */
    public static SyntheticTask parse(String name) {
        for (SyntheticTask t : values()) if (t.cliName().equalsIgnoreCase(name)) return t;
        throw new IllegalArgumentException("unknown task '" + name + "', expected one of "
                + Arrays.stream(values()).map(SyntheticTask::cliName).toList());
    }

    /**
     * Draws {@code n} examples.
     *
     * @param seqLen  T, the input length
     * @param horizon the number of values to continue (autoregressive tasks; ignored otherwise)
     * @param noise   observation noise of the autoregressive tasks (ignored otherwise)
     * @param rng     the generator (consumed)
     */
    public TaskData generate(int n, int seqLen, int horizon, double noise, Rng rng) {
        if (n <= 0) throw new IllegalArgumentException(cliName() + ": n must be positive, got " + n);
        if (seqLen < 1 || (kind != Kind.REGRESSION && seqLen < 2)) {
            throw new IllegalArgumentException(cliName() + ": seqLen must be >= " + (kind == Kind.REGRESSION ? 1 : 2) + ", got " + seqLen);
        }
        if (kind == Kind.AUTOREGRESSIVE && horizon < 1) throw new IllegalArgumentException(cliName() + ": horizon must be >= 1, got " + horizon);
        if (!(noise >= 0) || Double.isInfinite(noise)) throw new IllegalArgumentException(cliName() + ": noise must be finite and >= 0, got " + noise);
        int tOut = switch (kind) {
            case REGRESSION -> 1;
            case AUTOREGRESSIVE -> horizon;
            case SEQ2SEQ -> seqLen;
        };
        float[] x = new float[n * seqLen];
        float[] y = new float[n * tOut];
        double[] row = new double[seqLen + (kind == Kind.AUTOREGRESSIVE ? horizon : 0)];
        for (int i = 0; i < n; i++) {
            switch (this) {
                case SUM -> {
                    double s = 0;
                    for (int t = 0; t < seqLen; t++) {
                        row[t] = uniform(rng, -1, 1);
                        s += row[t];
                    }
                    y[i] = (float) s;
                }
                case SINE -> {
                    double a = uniform(rng, 0.5, 1.5), w = uniform(rng, 0.3, 0.9), phi = uniform(rng, 0, 2 * Math.PI);
                    for (int t = 0; t < row.length; t++) row[t] = a * Math.sin(w * t + phi) + noise * rng.nextGaussian();
                }
                case ARITH -> {
                    double a = uniform(rng, -1, 1), d = uniform(rng, -0.1, 0.1);
                    for (int t = 0; t < row.length; t++) row[t] = a + d * t + noise * rng.nextGaussian();
                }
                case REVERSE, SORT -> {
                    for (int t = 0; t < seqLen; t++) row[t] = uniform(rng, -1, 1);
                    double[] out = this == SORT ? row.clone() : new double[seqLen];
                    if (this == SORT) Arrays.sort(out);
                    else for (int t = 0; t < seqLen; t++) out[t] = row[seqLen - 1 - t];
                    for (int t = 0; t < seqLen; t++) y[i * seqLen + t] = (float) out[t];
                }
            }
            for (int t = 0; t < seqLen; t++) x[i * seqLen + t] = (float) row[t];
            if (kind == Kind.AUTOREGRESSIVE) for (int h = 0; h < horizon; h++) y[i * horizon + h] = (float) row[seqLen + h];
        }
        Tensor targets = kind == Kind.REGRESSION ? Tensor.of(y, n) : Tensor.of(y, n, tOut);
        return new TaskData(Tensor.of(x, n, seqLen), targets);
    }

    private static double uniform(Rng rng, double lo, double hi) {
        return lo + (hi - lo) * rng.nextDouble();
    }
}
