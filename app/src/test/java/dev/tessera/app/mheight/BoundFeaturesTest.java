package dev.tessera.app.mheight;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The minimum-support bound as a feature, the bound-fit baseline and their place in the evaluation table. */
class BoundFeaturesTest {
    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    @Test
    void featuresCarryTheBoundOfTheRowsM() {
        // k = 1: the only codewords are multiples of (1, 3, -1, 2): h_1 = 3 / 2, h_2 = 3
        int[] n = {4, 4}, k = {1, 1}, m = {1, 2};
        double[][] p = {{3, -1, 2}, {3, -1, 2}};
        Features.Batch b = Features.build(n, k, m, p);
        assertEquals(log2(1.5), b.lowerBound()[0], 1e-6);
        assertEquals(log2(3), b.lowerBound()[1], 1e-6);
        assertEquals(log2(1.5) / 8, b.global()[3], 1e-6);
        assertEquals(log2(3) / 8, b.global()[Features.GLOBAL_FEATURES + 3], 1e-6);
        // the max column 1-norm (3) stays the first global feature
        assertEquals(log2(3) / 8, b.global()[0], 1e-6);
        Features.Batch given = Features.build(n, k, m, p, new double[] {log2(1.5), log2(3)});
        assertArrayEquals(b.global(), given.global());
        assertArrayEquals(b.lowerBound(), given.lowerBound());
        var e = assertThrows(IllegalArgumentException.class, () -> Features.build(n, k, m, p, new double[1]));
        assertTrue(e.getMessage().contains("1 values for 2 rows"), e.getMessage());
    }

    @Test
    void codeLengthIsLimitedToWhatTheBoundEnumerates() {
        assertEquals(null, Features.unsupported(30, 6, 5));
        assertEquals("n must be in k+1..30, got n = 31 with k = 4", Features.unsupported(31, 4, 2));
    }

    @Test
    void aProvablyInfiniteHeightIsPredictedInfinite() {
        // (1, 3, 0, 2) has three nonzeros, so h_3 is infinite; h_2 = 3 / 1 is finite
        Rows rows = new Rows(new int[] {4, 4}, new int[] {1, 1}, new int[] {3, 2}, new double[][] {{3, 0, 2}, {3, 0, 2}}, new double[] {0, 0});
        assertEquals(Features.INFINITE_LOG2_BOUND, Features.build(rows.n(), rows.k(), rows.m(), rows.p()).lowerBound()[0]);
        MHeightModel model = MHeightModel.create(new MHeightConfig(16, 2, 1, 32, 2, 8, 3));
        double[] pred = Predictor.predict(model, rows, 2, 8);
        assertEquals(Double.POSITIVE_INFINITY, pred[0]);
        assertTrue(Double.isFinite(pred[1]), "finite row: " + pred[1]);
    }

    @Test
    void boundFitIsAPerGroupLeastSquaresLine() {
        // group (9,4,2): y = 2 + 3 x exactly; group (9,4,3): one bound value, so the group mean
        int[] n = {9, 9, 9, 9, 9}, k = {4, 4, 4, 4, 4}, m = {2, 2, 2, 3, 3};
        double[][] p = new double[5][20];
        Rows train = new Rows(n, k, m, p, new double[] {5, 8, 11, 1, 3});
        BoundFit fit = BoundFit.fit(train, new double[] {1, 2, 3, 5, 5});
        Rows test = new Rows(new int[] {9, 9, 9}, new int[] {4, 4, 5}, new int[] {2, 3, 2}, new double[3][], new double[3]);
        // an unseen group (9,5,2) falls back to the bound itself
        assertArrayEquals(new double[] {14, 2, 7}, fit.predict(test, new double[] {4, 9, 7}), 1e-9);
    }

    @Test
    void evaluationReportsTheBoundFitBesideTheModel() {
        Rows rows = new Rows(new int[] {9, 9}, new int[] {4, 4}, new int[] {2, 2}, new double[2][20], new double[] {1, 3});
        // model errors 1 and 1 (MSE 1); bound fit errors 2 and 0 (MSE 2); constant baseline 0 -> errors 1 and 3 (MSE 5)
        Evaluation.Result r = Evaluation.evaluate(rows, new double[] {2, 2}, Map.of(90402, 0.0), new double[] {3, 3});
        assertEquals(1.0, r.macro(), 1e-12);
        assertEquals(5.0, r.baseMacro(), 1e-12);
        assertTrue(r.table().contains("bound fit (per-group line on the log2 minimum-support bound): macro log2-MSE 2.0000, ratio 0.400; model / bound fit 0.500"),
                r.table());
        assertTrue(r.table().lines().anyMatch(l -> l.endsWith("2.0000") && l.contains("0.200")), r.table());
    }
}
