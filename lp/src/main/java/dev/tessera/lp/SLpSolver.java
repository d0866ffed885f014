package dev.tessera.lp;

import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;
import org.ojalgo.optimisation.linear.LinearSolver;

/**
 * The reference m-height: one linear program per {@code (S, i)} (SPEC section 2.1), solved with
 * ojAlgo. For every {@code m}-subset {@code S} of the columns and every {@code i} in {@code S}:
 * maximise {@code c_i = <g_i, u>} over free {@code u} subject to {@code |<g_j, u>| <= 1} for
 * {@code j} outside {@code S}; {@code h_m} is the largest optimum and an unbounded LP means
 * {@code +inf}.
 *
 * <p>Two ojAlgo front ends give the same answers: {@link Api#BUILDER} (the low-level
 * {@code LinearSolver} builder, variables made free explicitly, minimising {@code -c}) and
 * {@link Api#MODEL} (the {@code ExpressionsBasedModel} recipe of SPEC 2.3). Either way the
 * {@code UNBOUNDED} state is tested explicitly: ojAlgo reports it as "feasible" with a
 * finite-looking value.
 *
 * <p>Not thread-safe: one instance per thread.
 */
public final class SLpSolver {
    /** Which ojAlgo interface builds the LPs. */
    public enum Api {
        /** {@code LinearSolver.newBuilder} (about 3x faster). */
        BUILDER,
        /** {@code ExpressionsBasedModel} (the modelling API). */
        MODEL
    }

    private final int n;
    private final int k;
    private final int r;
    private final Api api;
    private final MinimumDistance distance;
    private long lpCount;

    /** A solver for codes of length {@code n} and dimension {@code k} using the builder API. */
    public SLpSolver(int n, int k) {
        this(n, k, Api.BUILDER);
    }

    /** A solver for codes of length {@code n} and dimension {@code k} using the given ojAlgo API. */
    public SLpSolver(int n, int k, Api api) {
        CodeShape.checkNk("SLpSolver", n, k);
        this.n = n;
        this.k = k;
        this.r = n - k;
        this.api = api;
        this.distance = new MinimumDistance(n, k);
    }

    /** Number of LPs solved by this instance so far. */
    public long lpCount() {
        return lpCount;
    }

    /**
     * {@code h_m} of the row-major {@code k x (n-k)} matrix {@code p}: the exact infinity test
     * first (so every LP solved is bounded), then the {@code m C(n,m)} LPs.
     */
    public double mHeight(double[] p, int m) {
        CodeShape.checkM("SLpSolver.mHeight", n, m);
        if (m == 0) return 1.0;
        if (m >= distance.compute(p)) return Double.POSITIVE_INFINITY;
        return solveAll(p, m);
    }

    /**
     * {@code h_m} from the LPs alone, without the rank test: infinity is detected only through an
     * {@code UNBOUNDED} LP. Used to cross-check the infinity test.
     */
    public double mHeightLpOnly(double[] p, int m) {
        CodeShape.checkM("SLpSolver.mHeightLpOnly", n, m);
        if (m == 0) return 1.0;
        return solveAll(p, m);
    }

    private double solveAll(double[] p, int m) {
        double[][] gt = new double[n][k]; // gt[j] = column j of G
        for (int j = 0; j < n; j++) {
            for (int t = 0; t < k; t++) gt[j][t] = j < k ? (t == j ? 1.0 : 0.0) : p[t * r + (j - k)];
        }
        double best = Double.NEGATIVE_INFINITY;
        Subsets subsets = Subsets.of(n, m);
        for (int s = 0; s < subsets.size(); s++) {
            int[] in = subsets.members()[s];
            int[] out = subsets.rest()[s];
            for (int i : in) {
                double z = api == Api.BUILDER ? solveBuilder(gt, i, out) : solveModel(gt, i, out);
                if (z == Double.POSITIVE_INFINITY) return z;
                best = Math.max(best, z);
            }
        }
        return best;
    }

    private double solveBuilder(double[][] gt, int i, int[] out) {
        double[] cost = new double[k];
        for (int t = 0; t < k; t++) cost[t] = -gt[i][t]; // the builder minimises
        LinearSolver.Builder b = LinearSolver.newBuilder(cost);
        b.lower(Double.NEGATIVE_INFINITY); // builder variables default to >= 0: make them free
        b.upper(Double.POSITIVE_INFINITY);
        for (int j : out) {
            double[] row = gt[j];
            double[] neg = new double[k];
            for (int t = 0; t < k; t++) neg[t] = -row[t];
            b.inequality(1.0, row.clone());
            b.inequality(1.0, neg);
        }
        Optimisation.Result res = b.solve();
        lpCount++;
        return value(res, -1.0);
    }

    private double solveModel(double[][] gt, int i, int[] out) {
        ExpressionsBasedModel model = new ExpressionsBasedModel();
        Variable[] u = new Variable[k];
        for (int t = 0; t < k; t++) u[t] = model.newVariable("u" + t).weight(gt[i][t]); // free: no limits set
        for (int j : out) {
            Expression e = model.newExpression("c" + j).lower(-1.0).upper(1.0);
            for (int t = 0; t < k; t++) if (gt[j][t] != 0.0) e.set(u[t], gt[j][t]);
        }
        Optimisation.Result res = model.maximise();
        lpCount++;
        return value(res, 1.0);
    }

    private static double value(Optimisation.Result res, double sign) {
        Optimisation.State state = res.getState();
        if (state == Optimisation.State.UNBOUNDED) return Double.POSITIVE_INFINITY;
        if (!state.isOptimal()) {
            throw new IllegalStateException("SLpSolver: LP ended in state " + state + " although u = 0 is feasible");
        }
        return sign * res.getValue();
    }
}
