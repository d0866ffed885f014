package dev.tessera.app.score;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Exact principal component analysis: the covariance of the centered rows is formed in float64 with
 * tensor ops ({@code Xc^T Xc / (n - 1)}, one GEMM) and fully eigen-decomposed
 * ({@link SymmetricEigen#of}); the components are the eigenvectors of the {@code k} largest
 * eigenvalues, each with its largest-magnitude entry positive (a deterministic sign, so a model fitted
 * twice projects the same way).
 *
 * <pre>{@code
 * Pca pca = Pca.fit(train, 16);            // train [n, d]
 * Tensor z = pca.transform(test);          // [m, 16], in the input's floating dtype
 * pca.explainedVarianceRatio();            // fraction of the total variance per component
 * }</pre>
 */
public final class Pca {
    private final Tensor mean;         // [d] F64
    private final Tensor components;   // [d, k] F64
    private final double[] variance;   // [k]
    private final double totalVariance;

    private Pca(Tensor mean, Tensor components, double[] variance, double totalVariance) {
        this.mean = mean;
        this.components = components;
        this.variance = variance;
        this.totalVariance = totalVariance;
    }

    /**
     * Fits {@code k} components to the rows of {@code x [n, d]} (any floating dtype).
     *
     * @throws IllegalArgumentException unless {@code 1 <= k <= d} and {@code n >= 2}
     */
    public static Pca fit(Tensor x, int k) {
        if (x.rank() != 2) throw new IllegalArgumentException("Pca.fit: x must be [n, d], got " + Shape.str(x.shape()));
        int n = x.dim(0), d = x.dim(1);
        if (k < 1 || k > d) throw new IllegalArgumentException("Pca.fit: k must be in [1, " + d + "] for " + d + " columns, got " + k);
        if (n < 2) throw new IllegalArgumentException("Pca.fit: need at least 2 rows, got " + n);
        Tensor x64 = x.to(DType.F64);
        Tensor mean = x64.mean(0);
        Tensor xc = x64.sub(mean);
        double[] cov = xc.mT().matmul(xc).div(n - 1).toDoubleArray();
        double[][] c = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double v = 0.5 * (cov[i * d + j] + cov[j * d + i]);   // exact symmetry despite summation order
                c[i][j] = v;
                c[j][i] = v;
            }
        }
        SymmetricEigen eig = SymmetricEigen.of(c);
        double total = 0;
        for (int i = 0; i < d; i++) total += c[i][i];
        double[] w = new double[d * k];
        double[] var = new double[k];
        for (int j = 0; j < k; j++) {
            var[j] = Math.max(0, eig.values()[j]);
            for (int i = 0; i < d; i++) w[i * k + j] = eig.vectors()[i][j];
        }
        return new Pca(mean, Tensor.of(w, d, k), var, total);
    }

    /**
     * A fitted PCA rebuilt from its parts (as {@link #mean()}, {@link #weights()}, {@link #explainedVariance()} and the total
     * variance give them), e.g. read back from a checkpoint.
     *
     * @throws IllegalArgumentException when the shapes do not fit together
     */
    static Pca restore(Tensor mean, Tensor components, double[] variance, double totalVariance) {
        if (mean.rank() != 1 || components.rank() != 2 || components.dim(0) != mean.dim(0) || variance.length != components.dim(1)) {
            throw new IllegalArgumentException("Pca: mean " + Shape.str(mean.shape()) + ", components " + Shape.str(components.shape()) + " and "
                    + variance.length + " variances do not fit together (expected [d], [d, k] and k)");
        }
        return new Pca(mean.to(DType.F64), components.to(DType.F64), variance.clone(), totalVariance);
    }

    /** The total variance of the fitted rows (the trace of their covariance). */
    public double totalVariance() {
        return totalVariance;
    }

    /** Projects {@code x [m, d]} on the components: {@code (x - mean) W}, {@code [m, k]} in x's floating dtype. */
    public Tensor transform(Tensor x) {
        if (x.rank() != 2 || x.dim(1) != mean.dim(0)) {
            throw new IllegalArgumentException("Pca.transform: x must be [m, " + mean.dim(0) + "], got " + Shape.str(x.shape()));
        }
        DType out = x.dtype().isFloating() ? x.dtype() : DType.F32;
        return x.to(DType.F64).sub(mean).matmul(components).to(out);
    }

    /** Number of components. */
    public int components() {
        return components.dim(1);
    }

    /** Input columns. */
    public int inputs() {
        return mean.dim(0);
    }

    /** The components as columns {@code [d, k]} (float64). */
    public Tensor weights() {
        return components;
    }

    /** The fitted column means {@code [d]} (float64). */
    public Tensor mean() {
        return mean;
    }

    /** The variance along each component (the top eigenvalues of the covariance). */
    public double[] explainedVariance() {
        return variance.clone();
    }

    /** Each component's share of the total variance (0 for all when the data is constant). */
    public double[] explainedVarianceRatio() {
        double[] r = new double[variance.length];
        for (int i = 0; i < r.length; i++) r[i] = totalVariance > 0 ? variance[i] / totalVariance : 0;
        return r;
    }

    @Override
    public String toString() {
        double s = 0;
        for (double r : explainedVarianceRatio()) s += r;
        return String.format("Pca(%d -> %d, %.1f %% of the variance)", inputs(), components(), 100 * s);
    }
}
