package dev.tessera.lp.data;

import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.VertexEnumerator;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fills one shard: matrices drawn from the shard's own random stream (seeded by the master seed
 * and the shard index), each labelled exactly by {@link VertexEnumerator} for all m in one pass;
 * a matrix contributes the rows {@code m = mMin, mMin+1, ..} up to {@code n-k}, stopping at its
 * first infinite m-height (finite labels only). The matrix that reaches the shard's row count
 * contributes only the prefix that fits. Matrices cycle through the {@code (n, k)} pairs.
 *
 * <p>Not thread-safe: one instance per thread (it keeps one enumerator per {@code (n, k)}).
 */
final class ShardGenerator {
    private final GenSpec spec;
    private final CodeSampler sampler;
    private final Map<Integer, VertexEnumerator> enumerators = new HashMap<>();
    private final double[] p;
    private final double[] profile;

    /** A generator for the given spec. */
    public ShardGenerator(GenSpec spec) {
        this.spec = spec;
        this.sampler = new CodeSampler(spec.sampler());
        this.p = new double[spec.kMax() * spec.rMax()];
        this.profile = new double[32];
    }

    /** The random stream of shard {@code s}: depends only on the master seed and {@code s}. */
    public static SplittableRandom streamFor(long seed, int shard) {
        long z = seed * 0x9E3779B97F4A7C15L + (shard + 1L) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return new SplittableRandom(z ^ (z >>> 31));
    }

    /** Generates shard {@code s}; {@code progress} (may be null) is advanced by every row written. */
    public Shard generate(int s, AtomicLong progress) {
        int rows = spec.rowsInShard(s);
        Shard out = Shard.allocate(rows, spec.kMax(), spec.rMax());
        SplittableRandom rng = streamFor(spec.seed(), s);
        int[] ns = spec.ns();
        int[] ks = spec.ks();
        int filled = 0;
        int t = 0;
        while (filled < rows) {
            int n = ns[t % ns.length];
            int k = ks[(t / ns.length) % ks.length];
            int r = n - k;
            boolean val = rng.nextDouble() < spec.valFraction();
            sampler.draw(rng, k, r, p);
            VertexEnumerator v = enumerators.computeIfAbsent(n * 64 + k, key -> new VertexEnumerator(n, k));
            v.profile(p, profile);
            int before = filled;
            for (int m = spec.mMin(); m <= r && filled < rows; m++) {
                double h = profile[m];
                if (!Double.isFinite(h)) break;
                out.n()[filled] = n;
                out.k()[filled] = k;
                out.m()[filled] = m;
                int base = filled * spec.kMax() * spec.rMax();
                for (int a = 0; a < k; a++) System.arraycopy(p, a * r, out.p(), base + a * spec.rMax(), r);
                out.log2h()[filled] = Math.log(h) / Math.log(2.0);
                out.val()[filled] = val;
                out.matrix()[filled] = t;
                filled++;
            }
            if (progress != null && filled > before) progress.addAndGet(filled - before);
            t++;
        }
        return out;
    }

    /** Number of matrices drawn for the last shard is the last row's matrix index + 1 (or more when tail matrices were infinite). */
    static int matricesUsed(Shard s) {
        return s.rows() == 0 ? 0 : s.matrix()[s.rows() - 1] + 1;
    }
}
