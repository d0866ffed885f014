package dev.tessera.app.score;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Per-column robust scaling {@code (x - median) / IQR}, with the interquartile range
 * {@code q75 - q25} (quantiles by linear interpolation, NumPy's default), as scikit-learn's
 * {@code RobustScaler}: a column whose IQR is 0 is only centered. Fitted on training rows only and
 * then applied unchanged to validation and test rows, so no statistic leaks from them. Optionally the
 * scaled values are clipped to {@code [-clip, clip]} (0 = no clipping), which keeps a few extreme
 * rows (for example a near-zero norm in a ratio) from dominating a network's input.
 *
 * <pre>{@code
 * RobustScaler s = RobustScaler.fit(train, 10);
 * Tensor z = s.transform(test);
 * }</pre>
 */
public final class RobustScaler {
    private final double[] median, scale;
    private final double clip;

    private RobustScaler(double[] median, double[] scale, double clip) {
        this.median = median;
        this.scale = scale;
        this.clip = clip;
    }

    /** Fits the medians and IQRs of the columns of {@code x [n, f]} ({@code n >= 1}); {@code clip} 0 disables clipping. */
    public static RobustScaler fit(Tensor x, double clip) {
        if (x.rank() != 2 || x.dim(0) < 1) throw new IllegalArgumentException("RobustScaler.fit: x must be [n >= 1, f], got " + Shape.str(x.shape()));
        if (!(clip >= 0)) throw new IllegalArgumentException("RobustScaler.fit: clip must be >= 0, got " + clip);
        Tensor sorted = x.to(DType.F64).sort(0, false).values();
        double[] q25 = quantile(sorted, 0.25), q50 = quantile(sorted, 0.5), q75 = quantile(sorted, 0.75);
        double[] scale = new double[q50.length];
        for (int j = 0; j < scale.length; j++) {
            double iqr = q75[j] - q25[j];
            scale[j] = iqr > 0 && Double.isFinite(iqr) ? iqr : 1.0;
        }
        return new RobustScaler(q50, scale, clip);
    }

    /**
     * A fitted scaler rebuilt from {@link #medians()}, {@link #scales()} and {@link #clip()} (e.g. read back from a checkpoint).
     *
     * @throws IllegalArgumentException when the arrays differ in length, a scale is not positive or the clip is negative
     */
    static RobustScaler restore(double[] median, double[] scale, double clip) {
        if (median.length != scale.length || median.length == 0) {
            throw new IllegalArgumentException("RobustScaler: need as many medians as scales (at least one), got " + median.length + " and " + scale.length);
        }
        for (double v : scale) if (!(v > 0 && Double.isFinite(v))) throw new IllegalArgumentException("RobustScaler: scales must be positive, got " + v);
        if (!(clip >= 0)) throw new IllegalArgumentException("RobustScaler: clip must be >= 0, got " + clip);
        return new RobustScaler(median.clone(), scale.clone(), clip);
    }

    /** Quantile {@code q} of every column of a column-sorted matrix, linear interpolation between order statistics. */
    static double[] quantile(Tensor sorted, double q) {
        int n = sorted.dim(0);
        double pos = q * (n - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(n - 1, lo + 1);
        double frac = pos - lo;
        double[] a = sorted.select(0, lo).toDoubleArray(), b = sorted.select(0, hi).toDoubleArray();
        double[] out = new double[a.length];
        for (int j = 0; j < out.length; j++) out[j] = frac == 0 ? a[j] : a[j] + frac * (b[j] - a[j]);
        return out;
    }

    /** Scales {@code x [m, f]}; the result is float32. */
    public Tensor transform(Tensor x) {
        if (x.rank() != 2 || x.dim(1) != median.length) {
            throw new IllegalArgumentException("RobustScaler.transform: x must be [m, " + median.length + "], got " + Shape.str(x.shape()));
        }
        Tensor z = x.to(DType.F64).sub(Tensor.of(median, median.length)).div(Tensor.of(scale, scale.length));
        if (clip > 0) z = z.clamp(-clip, clip);
        return z.to(DType.F32);
    }

    /** The fitted medians. */
    public double[] medians() {
        return median.clone();
    }

    /** The fitted scales (IQR, or 1 where the IQR is 0). */
    public double[] scales() {
        return scale.clone();
    }

    /** The clipping bound (0: none). */
    public double clip() {
        return clip;
    }
}
