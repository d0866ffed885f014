package dev.tessera.moe.predict;

import java.util.Arrays;
import java.util.List;

/**
 * How well a ranking of experts anticipates a router's choices, accumulated over tokens.
 *
 * <p>For a token let {@code S} be the router's k chosen experts and {@code P_m} the m experts the
 * predictor scores highest (ties to the lower expert index, NaN last). With {@code m' = min(m, E)}
 * (requests above E are clipped to E, and {@link Result} keeps both numbers):
 * <ul>
 *   <li><b>top-m accuracy</b> = mean over tokens of {@code |S ∩ P_m'| / min(k, m')}. For m = 1
 *       it is the rate at which the predicted first expert is one of the chosen ones; for
 *       {@code m >= k} it is the fraction of the chosen experts found among the top m (recall).
 *       Random baseline: {@code m' k / (E min(k, m'))}, i.e. {@code k/E} for m = 1 and
 *       {@code m'/E} for {@code m >= k}.</li>
 *   <li><b>coverage@N</b> = fraction of tokens with {@code S ⊆ P_N'} (fetching the top N experts
 *       would have served every choice). Random baseline: {@code C(N', k) / C(E, k)} (0 when
 *       {@code N' < k}).</li>
 * </ul>
 * The random baselines are the exact expectations for a ranking drawn uniformly at random
 * independently of S: {@code |S ∩ P_m|} is then hypergeometric with mean {@code m k / E}, and
 * {@code S ⊆ P_N} has probability {@code C(E - k, N - k) / C(E, N) = C(N, k) / C(E, k)}.
 *
 * <pre>{@code
 * var m = new RoutingMetrics(32, 2, RoutingMetrics.TOP, RoutingMetrics.COVERAGE);
 * m.add(scores, chosen, rows);              // scores [rows * E], chosen [rows * k]
 * RoutingMetrics.Result r = m.result();     // r.topAccuracy()[0] is top-1 accuracy
 * }</pre>
 */
public final class RoutingMetrics {
    /** The top-m accuracies reported by default: m = 1 and 5. */
    public static final List<Integer> TOP = List.of(1, 5);
    /** The coverage sizes reported by default: N = 10, 15 and 20. */
    public static final List<Integer> COVERAGE = List.of(10, 15, 20);

    private final int experts, k;
    private final int[] top, coverage, topEff, coverageEff;
    private final double[] topSum;
    private final long[] coverageHits;
    private long tokens;

    /** An empty accumulator for a layer of {@code experts} experts choosing {@code k} each. */
    public RoutingMetrics(int experts, int k, List<Integer> top, List<Integer> coverage) {
        if (experts <= 0 || k < 1 || k > experts) throw new IllegalArgumentException("RoutingMetrics: need 1 <= k <= experts, got k " + k + ", experts " + experts);
        this.experts = experts;
        this.k = k;
        this.top = positive("top", top);
        this.coverage = positive("coverage", coverage);
        this.topEff = Arrays.stream(this.top).map(m -> Math.min(m, experts)).toArray();
        this.coverageEff = Arrays.stream(this.coverage).map(n -> Math.min(n, experts)).toArray();
        this.topSum = new double[this.top.length];
        this.coverageHits = new long[this.coverage.length];
    }

    private static int[] positive(String what, List<Integer> v) {
        int[] a = v.stream().mapToInt(Integer::intValue).toArray();
        for (int x : a) if (x < 1) throw new IllegalArgumentException("RoutingMetrics: " + what + " sizes must be >= 1, got " + v);
        return a;
    }

    /**
     * Adds {@code rows} tokens: {@code scores [rows * E]} (row-major, higher = more likely) and the
     * router's choices {@code chosen [rows * k]}.
     */
    public void add(float[] scores, int[] chosen, int rows) {
        if (scores.length < (long) rows * experts || chosen.length < (long) rows * k) {
            throw new IllegalArgumentException("RoutingMetrics.add: scores has " + scores.length + " and chosen " + chosen.length + " entries, need "
                    + rows + " x " + experts + " and " + rows + " x " + k);
        }
        int[] ranks = new int[k];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) ranks[j] = rank(scores, r * experts, experts, check(chosen[r * k + j]));
            accumulate(ranks);
        }
    }

    /** Adds {@code rows} tokens all ranked by the same {@code scores [E]} (a constant predictor, e.g. expert frequencies). */
    public void addFixed(float[] scores, int[] chosen, int rows) {
        if (scores.length != experts || chosen.length < (long) rows * k) {
            throw new IllegalArgumentException("RoutingMetrics.addFixed: scores has " + scores.length + " entries (expected " + experts
                    + ") and chosen " + chosen.length + " (need " + rows + " x " + k + ")");
        }
        int[] rankOf = new int[experts];
        for (int e = 0; e < experts; e++) rankOf[e] = rank(scores, 0, experts, e);
        int[] ranks = new int[k];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) ranks[j] = rankOf[check(chosen[r * k + j])];
            accumulate(ranks);
        }
    }

    private int check(int e) {
        if (e < 0 || e >= experts) throw new IllegalArgumentException("RoutingMetrics: chosen expert " + e + " not in [0, " + experts + ")");
        return e;
    }

    private void accumulate(int[] ranks) {
        int worst = 0;
        for (int rk : ranks) worst = Math.max(worst, rk);
        for (int i = 0; i < top.length; i++) {
            int m = topEff[i], hits = 0;
            for (int rk : ranks) if (rk < m) hits++;
            topSum[i] += (double) hits / Math.min(k, m);
        }
        for (int i = 0; i < coverage.length; i++) if (worst < coverageEff[i]) coverageHits[i]++;
        tokens++;
    }

    /**
     * The 0-based position of expert {@code e} in the descending order of {@code s[off .. off+E)}:
     * the number of experts that come before it (a higher score; an equal score at a lower index;
     * any number when {@code e}'s score is NaN, or a NaN at a lower index).
     */
    static int rank(float[] s, int off, int n, int e) {
        float v = s[off + e];
        boolean vNaN = Float.isNaN(v);
        int r = 0;
        for (int j = 0; j < n; j++) {
            if (j == e) continue;
            float u = s[off + j];
            boolean uNaN = Float.isNaN(u);
            boolean before;
            if (vNaN) before = !uNaN || j < e;
            else before = !uNaN && (u > v || (u == v && j < e));
            if (before) r++;
        }
        return r;
    }

    /** Random-ranking expectation of top-m accuracy for k of E experts (m clipped to E). */
    public static double randomTop(int m, int k, int experts) {
        int me = Math.min(m, experts);
        return (double) me * k / ((double) experts * Math.min(k, me));
    }

    /** Random-ranking probability {@code C(N, k) / C(E, k)} that all k choices lie in the top N (N clipped to E). */
    public static double randomCoverage(int n, int k, int experts) {
        int ne = Math.min(n, experts);
        if (ne < k) return 0.0;
        double p = 1.0;
        for (int i = 0; i < k; i++) p *= (double) (ne - i) / (experts - i);
        return p;
    }

    /** The metrics so far. */
    public Result result() {
        double[] ta = new double[top.length], tr = new double[top.length], ca = new double[coverage.length], cr = new double[coverage.length];
        for (int i = 0; i < top.length; i++) {
            ta[i] = tokens == 0 ? Double.NaN : topSum[i] / tokens;
            tr[i] = randomTop(top[i], k, experts);
        }
        for (int i = 0; i < coverage.length; i++) {
            ca[i] = tokens == 0 ? Double.NaN : (double) coverageHits[i] / tokens;
            cr[i] = randomCoverage(coverage[i], k, experts);
        }
        return new Result(experts, k, tokens, top.clone(), topEff.clone(), ta, tr, coverage.clone(), coverageEff.clone(), ca, cr);
    }

    /**
     * Metrics of one layer, or pooled over layers.
     *
     * @param experts        E (0 when pooled layers differ)
     * @param k              k (0 when pooled layers differ)
     * @param tokens         tokens counted
     * @param top            requested m of each top-m accuracy
     * @param topEffective   m after clipping to E (0 when pooled layers differ)
     * @param topAccuracy    top-m accuracies
     * @param topRandom      their random baselines
     * @param coverage       requested N of each coverage@N
     * @param coverageEffective N after clipping to E (0 when pooled layers differ)
     * @param coverageRate   coverage@N
     * @param coverageRandom their random baselines
     */
    public record Result(int experts, int k, long tokens, int[] top, int[] topEffective, double[] topAccuracy, double[] topRandom, int[] coverage,
                         int[] coverageEffective, double[] coverageRate, double[] coverageRandom) {

        /** Whether any requested size was clipped to E. */
        public boolean clipped() {
            for (int i = 0; i < top.length; i++) if (topEffective[i] != top[i]) return true;
            for (int i = 0; i < coverage.length; i++) if (coverageEffective[i] != coverage[i]) return true;
            return false;
        }

        /**
         * Token-weighted pool of per-layer results with the same requested sizes (metrics and baselines
         * alike are weighted by each layer's tokens).
         */
        public static Result pooled(List<Result> parts) {
            if (parts.isEmpty()) throw new IllegalArgumentException("RoutingMetrics.Result.pooled: no results");
            Result f = parts.get(0);
            long n = 0;
            int e = f.experts, k = f.k;
            int[] te = f.topEffective.clone(), ce = f.coverageEffective.clone();
            double[] ta = new double[f.top.length], tr = new double[f.top.length], ca = new double[f.coverage.length], cr = new double[f.coverage.length];
            for (Result r : parts) {
                if (!Arrays.equals(r.top, f.top) || !Arrays.equals(r.coverage, f.coverage)) {
                    throw new IllegalArgumentException("RoutingMetrics.Result.pooled: results request different sizes");
                }
                if (r.experts != e) e = 0;
                if (r.k != k) k = 0;
                if (!Arrays.equals(r.topEffective, te)) Arrays.fill(te, 0);
                if (!Arrays.equals(r.coverageEffective, ce)) Arrays.fill(ce, 0);
                if (r.tokens == 0) continue;
                n += r.tokens;
                for (int i = 0; i < ta.length; i++) {
                    ta[i] += r.tokens * r.topAccuracy[i];
                    tr[i] += r.tokens * r.topRandom[i];
                }
                for (int i = 0; i < ca.length; i++) {
                    ca[i] += r.tokens * r.coverageRate[i];
                    cr[i] += r.tokens * r.coverageRandom[i];
                }
            }
            for (int i = 0; i < ta.length; i++) {
                ta[i] /= n;
                tr[i] /= n;
            }
            for (int i = 0; i < ca.length; i++) {
                ca[i] /= n;
                cr[i] /= n;
            }
            return new Result(e, k, n, f.top.clone(), te, ta, tr, f.coverage.clone(), ce, ca, cr);
        }
    }
}
