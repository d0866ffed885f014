package dev.tessera.app.score;

import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;

/**
 * A seeded synthetic score data set with three regimes, for running the score recipe without files.
 *
 * <p>Each row is a pair of embeddings {@code [a | b]} of size {@code h} each and a score in
 * {@code [0, 10]}. A row draws its regime (low / medium / high with probabilities 0.30 / 0.45 /
 * 0.25) and a position {@code t ~ U(0, 1)} inside it; its score is
 * {@code base + width * t + N(0, 0.3^2)}, clipped to {@code [0, 10]}, with base 0 / 4 / 8 and width
 * 4 / 4 / 2. The embeddings encode the regime and {@code t} differently per regime, so a single
 * smooth regressor has to learn three unrelated maps:
 * <ul>
 *   <li>the regime sets the norm ratio {@code |b| / |a| = m * exp(0.12 z)} with {@code m} 0.5 / 1 / 2;</li>
 *   <li>low: the cosine of a and b rises with t ({@code -0.6 + 1.2 t}); medium: it falls with t
 *       ({@code 0.6 - 1.2 t}); high: the cosine is uniform noise in [-0.6, 0.6] and t sets the text
 *       norm {@code |a| = 0.5 + t} (uniform in [0.5, 1.5], carrying nothing, in the other regimes);
 *       the cosine gets N(0, 0.05^2) noise and is clamped to [-0.95, 0.95];</li>
 *   <li>directions: {@code a} is a random direction scaled to {@code |a|}; {@code b} is
 *       {@code |b| (c a/|a| + sqrt(1 - c^2) u)} with {@code u} a random unit vector orthogonal to a.</li>
 * </ul>
 *
 * <pre>{@code
 * SyntheticScores.Data d = SyntheticScores.generate(5000, 16, 42);   // d.x() [5000, 32], d.y(), d.regime()
 * }</pre>
 */
public final class SyntheticScores {
    private static final double[] P = {0.30, 0.45, 0.25};
    private static final double[] BASE = {0, 4, 8}, WIDTH = {4, 4, 2}, RATIO = {0.5, 1.0, 2.0};

    private SyntheticScores() {}

    /**
     * Generated rows.
     *
     * @param x      float32 {@code [rows, 2h]}
     * @param y      scores in [0, 10]
     * @param regime 0 (low), 1 (medium) or 2 (high) per row
     */
    public record Data(Tensor x, double[] y, int[] regime) {}

    /** {@code rows} rows with embedding halves of {@code half} (>= 2) dimensions, reproducible from {@code seed}. */
    public static Data generate(int rows, int half, long seed) {
        if (rows < 1) throw new IllegalArgumentException("SyntheticScores: rows must be >= 1, got " + rows);
        if (half < 2) throw new IllegalArgumentException("SyntheticScores: embedding half must be >= 2, got " + half);
        Rng rng = new Rng(seed);
        float[] x = new float[rows * 2 * half];
        double[] y = new double[rows];
        int[] regime = new int[rows];
        double[] g = new double[half], u = new double[half];
        for (int i = 0; i < rows; i++) {
            double pick = rng.nextDouble();
            int r = pick < P[0] ? 0 : pick < P[0] + P[1] ? 1 : 2;
            double t = rng.nextDouble();
            double na = r == 2 ? 0.5 + t : 0.5 + rng.nextDouble();
            double nb = na * RATIO[r] * Math.exp(0.12 * rng.nextGaussian());
            double c = switch (r) {
                case 0 -> -0.6 + 1.2 * t;
                case 1 -> 0.6 - 1.2 * t;
                default -> -0.6 + 1.2 * rng.nextDouble();
            };
            c = Math.max(-0.95, Math.min(0.95, c + 0.05 * rng.nextGaussian()));
            unit(g, rng);
            // u: a random direction with its component along g removed
            unit(u, rng);
            double proj = 0;
            for (int k = 0; k < half; k++) proj += u[k] * g[k];
            double norm = 0;
            for (int k = 0; k < half; k++) {
                u[k] -= proj * g[k];
                norm += u[k] * u[k];
            }
            norm = Math.sqrt(norm);
            double s = Math.sqrt(1 - c * c);
            int base = i * 2 * half;
            for (int k = 0; k < half; k++) {
                x[base + k] = (float) (na * g[k]);
                x[base + half + k] = (float) (nb * (c * g[k] + s * u[k] / norm));
            }
            y[i] = Math.max(0, Math.min(10, BASE[r] + WIDTH[r] * t + 0.3 * rng.nextGaussian()));
            regime[i] = r;
        }
        return new Data(Tensor.of(x, rows, 2 * half), y, regime);
    }

    private static void unit(double[] v, Rng rng) {
        double n;
        do {
            n = 0;
            for (int k = 0; k < v.length; k++) {
                v[k] = rng.nextGaussian();
                n += v[k] * v[k];
            }
        } while (n < 1e-12);
        n = Math.sqrt(n);
        for (int k = 0; k < v.length; k++) v[k] /= n;
    }
}
