package dev.tessera.moe.binned;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;

/**
 * Isotonic (monotone non-decreasing) calibration of predictions, fitted by pool-adjacent-violators
 * (PAV) on held-out (prediction, truth) pairs, as scikit-learn's {@code IsotonicRegression} with
 * {@code out_of_bounds="clip"}.
 *
 * <p>Fit: pairs are sorted by prediction; tied predictions are pooled first into one point (their
 * weighted mean truth, summed weight); then PAV merges adjacent blocks while a block's mean exceeds
 * its successor's, leaving the weighted least-squares non-decreasing fit. Apply: linear
 * interpolation between the fitted points; predictions outside the fitted range take the value at
 * the nearest end (constant extrapolation); the result is finally clipped to the score range
 * {@code [lo, hi]}.
 *
 * <pre>{@code
 * var cal = IsotonicCalibrator.fit(valPred, valTruth, null, 0, 10);
 * double[] calibrated = cal.apply(testPred);
 * }</pre>
 */
public final class IsotonicCalibrator {
    private final double[] x, y;
    private final double lo, hi;

    private IsotonicCalibrator(double[] x, double[] y, double lo, double hi) {
        this.x = x;
        this.y = y;
        this.lo = lo;
        this.hi = hi;
    }

    /**
     * Fits the calibrator.
     *
     * @param predicted model outputs (finite)
     * @param truth     targets (finite), same length
     * @param weights   positive finite sample weights, or null for all ones
     * @param lo        lowest calibrated score (output clipping)
     * @param hi        highest calibrated score
     */
    public static IsotonicCalibrator fit(double[] predicted, double[] truth, double[] weights, double lo, double hi) {
        int n = predicted.length;
        if (truth.length != n) {
            throw new IllegalArgumentException("IsotonicCalibrator.fit: predicted has " + n + " values but truth has " + truth.length);
        }
        if (weights != null && weights.length != n) {
            throw new IllegalArgumentException("IsotonicCalibrator.fit: predicted has " + n + " values but weights has " + weights.length);
        }
        if (n == 0) throw new IllegalArgumentException("IsotonicCalibrator.fit: no points to fit");
        if (!(lo <= hi)) throw new IllegalArgumentException("IsotonicCalibrator.fit: need lo <= hi, got [" + lo + ", " + hi + "]");
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(predicted[i]) || !Double.isFinite(truth[i])) {
                throw new IllegalArgumentException("IsotonicCalibrator.fit: non-finite pair at index " + i + ": predicted "
                        + predicted[i] + ", truth " + truth[i]);
            }
            if (weights != null && !(weights[i] > 0 && Double.isFinite(weights[i]))) {
                throw new IllegalArgumentException("IsotonicCalibrator.fit: weight at index " + i + " must be positive and finite, got " + weights[i]);
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(predicted[a], predicted[b]));

        // pool ties: one point per distinct prediction
        double[] ux = new double[n], uy = new double[n], uw = new double[n];
        int m = 0;
        for (int k = 0; k < n; k++) {
            int i = order[k];
            double w = weights == null ? 1 : weights[i];
            if (m > 0 && ux[m - 1] == predicted[i]) {
                uy[m - 1] += w * truth[i];
                uw[m - 1] += w;
            } else {
                ux[m] = predicted[i];
                uy[m] = w * truth[i];
                uw[m] = w;
                m++;
            }
        }
        for (int j = 0; j < m; j++) uy[j] /= uw[j];

        // PAV over blocks kept on a stack: mean, weight and the index of the block's first point
        double[] mean = new double[m], weight = new double[m];
        int[] start = new int[m];
        int top = -1;
        for (int j = 0; j < m; j++) {
            top++;
            mean[top] = uy[j];
            weight[top] = uw[j];
            start[top] = j;
            while (top > 0 && mean[top - 1] > mean[top]) {
                double w = weight[top - 1] + weight[top];
                mean[top - 1] = (mean[top - 1] * weight[top - 1] + mean[top] * weight[top]) / w;
                weight[top - 1] = w;
                top--;
            }
        }
        // knots: the first and last point of each block (the interior of a flat block adds nothing)
        double[] kx = new double[2 * (top + 1)], ky = new double[2 * (top + 1)];
        int k = 0;
        for (int b = 0; b <= top; b++) {
            int first = start[b], last = b < top ? start[b + 1] - 1 : m - 1;
            kx[k] = ux[first];
            ky[k++] = mean[b];
            if (last != first) {
                kx[k] = ux[last];
                ky[k++] = mean[b];
            }
        }
        return new IsotonicCalibrator(Arrays.copyOf(kx, k), Arrays.copyOf(ky, k), lo, hi);
    }

    /** Rebuilds a calibrator from {@link #knotsX()}, {@link #knotsY()} and the score range (e.g. from a checkpoint). */
    public static IsotonicCalibrator of(double[] knotsX, double[] knotsY, double lo, double hi) {
        if (knotsX.length != knotsY.length || knotsX.length == 0) {
            throw new IllegalArgumentException("IsotonicCalibrator.of: need equal, non-zero numbers of knots, got "
                    + knotsX.length + " and " + knotsY.length);
        }
        for (int i = 1; i < knotsX.length; i++) {
            if (!(knotsX[i] > knotsX[i - 1]) || !(knotsY[i] >= knotsY[i - 1])) {
                throw new IllegalArgumentException("IsotonicCalibrator.of: knots must have increasing x and non-decreasing y (index " + i + ")");
            }
        }
        if (!(lo <= hi)) throw new IllegalArgumentException("IsotonicCalibrator.of: need lo <= hi, got [" + lo + ", " + hi + "]");
        return new IsotonicCalibrator(knotsX.clone(), knotsY.clone(), lo, hi);
    }

    /** The calibrated value of one prediction (NaN stays NaN). */
    public double apply(double p) {
        if (Double.isNaN(p)) return p;
        double v;
        int last = x.length - 1;
        if (p <= x[0]) v = y[0];
        else if (p >= x[last]) v = y[last];
        else {
            int i = Arrays.binarySearch(x, p);
            if (i >= 0) v = y[i];
            else {
                int hiIdx = -i - 1, loIdx = hiIdx - 1;
                double t = (p - x[loIdx]) / (x[hiIdx] - x[loIdx]);
                v = y[loIdx] + t * (y[hiIdx] - y[loIdx]);
            }
        }
        return Math.max(lo, Math.min(hi, v));
    }

    /** Calibrates every prediction. */
    public double[] apply(double[] p) {
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) out[i] = apply(p[i]);
        return out;
    }

    /** Calibrates a tensor of predictions elementwise (result in F64, same shape). */
    public Tensor apply(Tensor p) {
        double[] v = apply(p.toDoubleArray());
        return Tensor.of(v, p.shape()).to(DType.F64);
    }

    /** The x of the fitted knots (strictly increasing). */
    public double[] knotsX() {
        return x.clone();
    }

    /** The fitted value at each knot (non-decreasing, before output clipping). */
    public double[] knotsY() {
        return y.clone();
    }

    /** Lowest calibrated score. */
    public double lo() {
        return lo;
    }

    /** Highest calibrated score. */
    public double hi() {
        return hi;
    }

    @Override
    public String toString() {
        return "IsotonicCalibrator(" + x.length + " knots over [" + x[0] + ", " + x[x.length - 1] + "], output [" + lo + ", " + hi + "])";
    }
}
