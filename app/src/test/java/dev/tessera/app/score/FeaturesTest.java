package dev.tessera.app.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Pair features, robust scaling, the eigen solver and PCA against hand- and NumPy-computed values. */
class FeaturesTest {
    private static final double S2 = Math.sqrt(2), S5 = Math.sqrt(5);

    @Test
    void pairFeaturesMatchHandComputation() {
        // rows [a | b] with h = 2
        Tensor x = Tensor.of(new double[] {
                3, 4, 4, 3,      // |a| = |b| = 5, a.b = 24
                1, 0, 0, 2,      // orthogonal, |b| = 2 |a|
                0, 0, 1, 1,      // a = 0: cosine guarded to 0
                1, 1, 0, 0}, 4, 4);
        PairFeatures f = PairFeatures.of(x);
        double[][] want = {
                {24.0 / 25, 24, 2, S2, 5, 5, 1, 0},
                {0, 0, 3, S5, 1, 2, 0.5, -1},
                {0, 0, 2, S2, 0, S2, 0, -S2},
                {0, 0, 2, S2, S2, 0, S2 / PairFeatures.EPS, S2}};
        double[] got = f.scalars().toDoubleArray();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 8; j++) {
                assertEquals(want[i][j], got[i * 8 + j], 1e-12 * Math.max(1, Math.abs(want[i][j])), "row " + i + " " + PairFeatures.SCALAR_NAMES.get(j));
            }
        }
        assertArrayEquals(new double[] {1, 1, 1, 2, 1, 1, 1, 1}, f.absDiff().toDoubleArray(), 0);
        assertArrayEquals(new double[] {12, 12, 0, 0, 0, 0, 0, 0}, f.product().toDoubleArray(), 0);
        var e = assertThrows(IllegalArgumentException.class, () -> PairFeatures.of(Tensor.zeros(DType.F32, 3, 5)));
        assertTrue(e.getMessage().contains("[n, 2h]") && e.getMessage().contains("[3,5]"), e.getMessage());
    }

    @Test
    void robustScalerUsesMedianAndInterquartileRange() {
        // column 0: 1 2 3 4 100 -> median 3, q25 2, q75 4; column 1 constant -> scale 1
        Tensor x = Tensor.of(new double[] {1, 7, 2, 7, 3, 7, 4, 7, 100, 7}, 5, 2);
        RobustScaler s = RobustScaler.fit(x, 0);
        assertArrayEquals(new double[] {3, 7}, s.medians(), 0);
        assertArrayEquals(new double[] {2, 1}, s.scales(), 0);
        assertArrayEquals(new float[] {-1, 0, -0.5f, 0, 0, 0, 0.5f, 0, 48.5f, 0}, s.transform(x).toFloatArray(), 0);
        RobustScaler clipped = RobustScaler.fit(x, 10);
        assertEquals(10f, clipped.transform(x).toFloatArray()[8]);
        assertEquals(-10f, clipped.transform(Tensor.of(new double[] {-1000, 7}, 1, 2)).toFloatArray()[0]);
        // even count: NumPy's linear interpolation (np.percentile([1, 2, 3, 4], 25) == 1.75)
        RobustScaler even = RobustScaler.fit(Tensor.of(new double[] {4, 1, 3, 2}, 4, 1), 0);
        assertArrayEquals(new double[] {2.5}, even.medians(), 0);
        assertArrayEquals(new double[] {1.5}, even.scales(), 0);
    }

    @Test
    void eigenSolverMatchesHandCaseAndJacobiReference() {
        SymmetricEigen two = SymmetricEigen.of(new double[][] {{2, 1}, {1, 2}});
        assertArrayEquals(new double[] {3, 1}, two.values(), 1e-14);
        double r = 1 / S2;
        assertArrayEquals(new double[] {r, r}, two.vector(0), 1e-14);
        assertArrayEquals(new double[] {r, -r}, two.vector(1), 1e-14);

        Rng rng = new Rng(17);
        for (int n : new int[] {1, 3, 17, 40}) {
            double[] g = Tensor.randn(rng, DType.F64, n, n).toDoubleArray();
            double[][] a = new double[n][n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i][j] = g[i * n + j] + g[j * n + i];
            SymmetricEigen fast = SymmetricEigen.of(a), ref = SymmetricEigen.jacobi(a);
            assertArrayEquals(ref.values(), fast.values(), 1e-10, "n = " + n);
            for (int j = 0; j < n; j++) {
                assertArrayEquals(ref.vector(j), fast.vector(j), 1e-8, "n = " + n + " vector " + j);
            }
            checkDecomposition(a, fast);
            checkDecomposition(a, ref);
        }
        // repeated eigenvalues (eigenvectors not unique): check A V = V diag and orthonormality only
        double[][] rep = {{2, 0, 0}, {0, 2, 0}, {0, 0, 5}};
        checkDecomposition(rep, SymmetricEigen.of(rep));
        assertArrayEquals(new double[] {5, 2, 2}, SymmetricEigen.of(rep).values(), 1e-14);
        double[][] zero = new double[4][4];
        assertArrayEquals(new double[4], SymmetricEigen.of(zero).values(), 0);
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[][] {{1, 2}, {3, 1}}));
    }

    private static void checkDecomposition(double[][] a, SymmetricEigen e) {
        int n = a.length;
        double scale = 1;
        for (double[] row : a) for (double x : row) scale = Math.max(scale, Math.abs(x));
        for (int j = 0; j < n; j++) {
            double[] v = e.vector(j);
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int k = 0; k < n; k++) av += a[i][k] * v[k];
                assertEquals(e.values()[j] * v[i], av, 1e-10 * scale * n, "A v = lambda v, vector " + j);
            }
            for (int k = 0; k < n; k++) {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += v[i] * e.vector(k)[i];
                assertEquals(j == k ? 1 : 0, dot, 1e-12 * n, "orthonormality " + j + ", " + k);
            }
        }
    }

    @Test
    void pcaMatchesNumpy() {
        Tensor x = Tensor.of(new double[] {2, 0, 1, 1, 1, 0, 0, 2, 1, 3, 1, 2, 1, 0, 0, 2, 3, 1}, 6, 3);
        Pca pca = Pca.fit(x, 2);
        // numpy: np.linalg.eigh(np.cov(X, rowvar=False)), descending, largest-magnitude entry positive
        assertArrayEquals(new double[] {1.4459309439640629, 1.375568151203622}, pca.explainedVariance(), 1e-13);
        assertArrayEquals(new double[] {0.4766805309771636, 0.45348400589130394}, pca.explainedVarianceRatio(), 1e-13);
        double[] w = pca.weights().toDoubleArray();
        double[] want = {0.4190694350125158, 0.7595826645022963, 0.7897909012176452, -0.5752097896768562, 0.44789635072426126, 0.3035916231510666};
        assertArrayEquals(want, w, 1e-12);
        double[] z = pca.transform(x).toDoubleArray();
        double[] wantZ = {-0.637238608793618, 1.1014680240659915, -0.7144134933127498, -0.5369160532642275, 0.10420432361664067,
                -1.5681168842923134, 1.0195180781608042, 1.589432522042498, -1.504204394530395, 0.03829373641262865, 1.7321340948593176,
                -0.6241613449645771};
        assertArrayEquals(wantZ, z, 1e-12);
        assertEquals(DType.F32, pca.transform(x.to(DType.F32)).dtype());
        var e = assertThrows(IllegalArgumentException.class, () -> Pca.fit(x, 4));
        assertTrue(e.getMessage().contains("[1, 3]"), e.getMessage());
    }

    @Test
    void pipelineFitsOnTrainAndAppliesToOtherRows() {
        Tensor train = Tensor.randn(new Rng(1), DType.F32, 300, 24), test = Tensor.randn(new Rng(2), DType.F32, 50, 24);
        ScoreFeatures full = ScoreFeatures.fit(train, 0, 0);
        assertEquals(8 + 12 + 12, full.features());
        assertEquals("product_11", full.names().get(31));
        ScoreFeatures f = ScoreFeatures.fit(train, 4, 10);
        assertEquals(8 + 4 + 4, f.features());
        assertEquals("absdiff_pc0", f.names().get(8));
        Tensor zt = f.transform(train);
        assertArrayEquals(new int[] {300, 16}, zt.shape());
        assertEquals(DType.F32, zt.dtype());
        // on its own training rows every column has median 0 (up to float32 rounding)
        double[] med = RobustScaler.fit(zt, 0).medians();
        for (double m : med) assertEquals(0, m, 1e-5);
        // the transform of other rows uses the training statistics, not theirs
        Tensor zs = f.transform(test);
        assertArrayEquals(new int[] {50, 16}, zs.shape());
        assertTrue(zs.abs().max().item() <= 10);
        var e = assertThrows(IllegalArgumentException.class, () -> f.transform(Tensor.zeros(DType.F32, 2, 20)));
        assertTrue(e.getMessage().contains("[m, 24]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScoreFeatures.fit(train, 13, 0));
    }
}
