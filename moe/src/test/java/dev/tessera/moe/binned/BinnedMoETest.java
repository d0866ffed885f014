package dev.tessera.moe.binned;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BinnedMoETest {
    private static final ScoreBins BINS = ScoreBins.of(0, 10, 4, 8);

    @Test
    void binsFollowTheThresholds() {
        assertEquals(3, BINS.count());
        assertEquals(0, BINS.bin(0));
        assertEquals(0, BINS.bin(3.999));
        assertEquals(1, BINS.bin(4));
        assertEquals(1, BINS.bin(7.5));
        assertEquals(2, BINS.bin(8));
        assertEquals(2, BINS.bin(10));
        assertEquals(2, BINS.bin(12));      // outside the range: end bins
        assertEquals(0, BINS.bin(-1));
        assertArrayEquals(new int[] {2, 1, 1}, BINS.counts(new double[] {0, 1, 5, 9}));
        assertEquals("[0, 4) [4, 8) [8, 10]", String.join(" ", BINS.label(0), BINS.label(1), BINS.label(2)));
        assertEquals(10, BINS.clip(11));
        assertThrows(IllegalArgumentException.class, () -> ScoreBins.of(0, 10, 8, 4));
        var e = assertThrows(IllegalArgumentException.class, () -> ScoreBins.of(0, 10, 0, 4));
        assertTrue(e.getMessage().contains("strictly inside"), e.getMessage());
    }

    @Test
    void forwardIsTheGateWeightedSumOfExpertsAtTheTemperature() {
        var cfg = new BinnedMoE.Config(5, BINS, 8, 6, 1, 0.0, 2.0);
        var moe = new BinnedMoE(cfg, new Rng(3));
        moe.setTargetStats(new double[] {2, 6, 9}, new double[] {1, 1.5, 0.5});
        moe.eval();
        Tensor x = Tensor.randn(new Rng(4), DType.F32, 7, 5);
        try (var g = Grad.disabled()) {
            double[] logits = moe.gateLogits(Variable.constant(x)).value().toDoubleArray();
            double[] outs = moe.expertOutputs(Variable.constant(x)).value().toDoubleArray();
            double[] y = moe.forward(Variable.constant(x)).value().toDoubleArray();
            for (int i = 0; i < 7; i++) {
                double z = 0, want = 0;
                for (int b = 0; b < 3; b++) z += Math.exp(logits[i * 3 + b] / 2);
                for (int b = 0; b < 3; b++) {
                    double raw = moe.expertRaw(b, Variable.constant(x.narrow(0, i, 1))).value().item();
                    assertEquals(new double[] {2, 6, 9}[b] + new double[] {1, 1.5, 0.5}[b] * raw, outs[i * 3 + b], 1e-5);
                    want += Math.exp(logits[i * 3 + b] / 2) / z * outs[i * 3 + b];
                }
                assertEquals(want, y[i], 1e-5);
            }
            BinnedMoE.Prediction p = moe.predict(x, 3);
            for (int i = 0; i < 7; i++) assertEquals(y[i], p.score()[i], 1e-5);
            moe.setTemperature(0.25);   // sharper gating, same formula
            BinnedMoE.Prediction sharp = moe.predict(x, 4);
            for (int i = 0; i < 7; i++) {
                double z = 0, want = 0;
                for (int b = 0; b < 3; b++) z += Math.exp(logits[i * 3 + b] / 0.25);
                for (int b = 0; b < 3; b++) {
                    assertEquals(Math.exp(logits[i * 3 + b] / 0.25) / z, sharp.gates()[b][i], 1e-5);
                    want += sharp.gates()[b][i] * sharp.experts()[b][i];
                }
                assertEquals(want, sharp.score()[i], 1e-5);
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> moe.predict(Tensor.zeros(DType.F32, 2, 4), 8));
        assertTrue(e.getMessage().contains("[n, 5]"), e.getMessage());
        assertEquals(cfg, BinnedMoE.Config.fromMap(cfg.toMap()));
    }

    /** Rows whose bin is set by x0 and whose score inside the bin follows a different feature per bin. */
    private static Object[] regimes(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 4];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            int bin = r.nextDouble() < 0.6 ? 1 : r.nextBoolean() ? 0 : 2;   // imbalanced: 20 / 60 / 20 %
            double t = r.nextDouble();
            x[i * 4] = (float) (bin - 1 + 0.15 * r.nextGaussian());
            for (int j = 1; j < 4; j++) x[i * 4 + j] = (float) r.nextGaussian();
            x[i * 4 + 1 + bin] = (float) (2 * t - 1);
            y[i] = new double[] {0, 4, 8}[bin] + new double[] {4, 4, 2}[bin] * (bin == 1 ? 1 - t : t);
        }
        return new Object[] {Tensor.of(x, n, 4), y};
    }

    @Test
    void trainedMixtureClassifiesBinsAndRegressesWithinThem() {
        Object[] tr = regimes(900, 1), va = regimes(300, 2);
        Tensor x = (Tensor) tr[0], xv = (Tensor) va[0];
        double[] y = (double[]) tr[1], yv = (double[]) va[1];
        var moe = new BinnedMoE(new BinnedMoE.Config(4, BINS, 16, 24, 2, 0.1, 1.0), new Rng(5));
        var opt = new BinnedMoETrainer.Options(25, 64, 5e-3, 1e-4, 0.0, true, false, 0, 0.3, 9);
        var h = BinnedMoETrainer.fit(moe, x, y, xv, yv, opt, null, null);
        int[] counts = BINS.counts(y);
        assertArrayEquals(counts, h.binCounts());
        for (int b = 0; b < 3; b++) assertEquals(900.0 / (3 * counts[b]), h.classWeights()[b], 1e-12);
        // the experts de-standardize with their bin's mean
        double[] mean = new double[3];
        for (double v : y) mean[BINS.bin(v)] += v;
        for (int b = 0; b < 3; b++) assertEquals(mean[b] / counts[b], moe.centers()[b], 1e-4);
        assertEquals(0, h.fineTuneLoss().length);
        assertTrue(h.gateValAcc()[opt.epochs() - 1] > 0.97, "gate accuracy " + h.gateValAcc()[opt.epochs() - 1]);
        assertTrue(h.gateLoss()[opt.epochs() - 1] < h.gateLoss()[0]);
        double se = 0;
        BinnedMoE.Prediction p = moe.predict(xv, 128);
        for (int i = 0; i < yv.length; i++) se += (p.score()[i] - yv[i]) * (p.score()[i] - yv[i]);
        double rmse = Math.sqrt(se / yv.length);
        assertTrue(rmse < 0.5, "validation RMSE " + rmse);    // the score spread is about 3
        for (int b = 0; b < 3; b++) assertTrue(h.expertValMse()[b][opt.epochs() - 1] < 0.2, "expert " + b + " val mse " + h.expertValMse()[b][opt.epochs() - 1]);
    }

    @Test
    void entropyRegularizerSpreadsTheGateAndBalancedSamplingDropsClassWeights() {
        Object[] tr = regimes(600, 3);
        Tensor x = (Tensor) tr[0];
        double[] y = (double[]) tr[1];
        double[] ent = new double[2];
        double[] coefs = {0.0, -2.0};
        for (int k = 0; k < 2; k++) {
            var moe = new BinnedMoE(new BinnedMoE.Config(4, BINS, 16, 8, 1, 0.0, 1.0), new Rng(6));
            var opt = new BinnedMoETrainer.Options(15, 64, 1e-2, 0, coefs[k], false, k == 1, 0, 0.3, 9);
            var h = BinnedMoETrainer.fit(moe, x, y, null, null, opt, null, null);
            assertArrayEquals(new double[] {1, 1, 1}, h.classWeights());
            assertEquals(0, h.gateValAcc().length);
            double[][] g = moe.predict(x, 256).gates();
            for (int i = 0; i < y.length; i++) for (double[] gb : g) if (gb[i] > 0) ent[k] -= gb[i] * Math.log(gb[i]) / y.length;
        }
        assertTrue(ent[1] > ent[0] + 0.2, "mean gate entropy without / with the regularizer: " + ent[0] + " / " + ent[1]);
        int[][] rows = BinnedMoETrainer.rowsPerBin(new int[] {0, 2, 2, 1, 0, 2}, 3);
        assertArrayEquals(new int[] {0, 4}, rows[0]);
        assertArrayEquals(new int[] {3}, rows[1]);
        int[] labels = {0, 2, 2, 1, 0, 2};
        int[] batch = BinnedMoETrainer.balancedBatch(rows, 7, new Rng(1));
        for (int i = 0; i < 7; i++) assertEquals(i % 3, labels[batch[i]], "row " + i + " of a balanced batch");
    }

    @Test
    void jointFineTuningLowersTheMixtureError() {
        Object[] tr = regimes(600, 4), va = regimes(300, 5);
        Tensor x = (Tensor) tr[0], xv = (Tensor) va[0];
        double[] y = (double[]) tr[1], yv = (double[]) va[1];
        double[] rmse = new double[2];
        for (int k = 0; k < 2; k++) {
            var moe = new BinnedMoE(new BinnedMoE.Config(4, BINS, 16, 16, 1, 0.0, 1.0), new Rng(8));
            var opt = new BinnedMoETrainer.Options(6, 64, 5e-3, 0, 0, true, false, k == 0 ? 0 : 6, 0.3, 3);
            var h = BinnedMoETrainer.fit(moe, x, y, xv, yv, opt, null, null);
            assertEquals(k == 0 ? 0 : 6, h.fineTuneLoss().length);
            assertEquals(k == 0 ? 0 : 6, h.fineTuneValRmse().length);
            double[] p = moe.predict(xv, 512).score();
            double se = 0;
            for (int i = 0; i < yv.length; i++) se += (BINS.clip(p[i]) - yv[i]) * (BINS.clip(p[i]) - yv[i]);
            rmse[k] = Math.sqrt(se / yv.length);
            if (k == 1) assertEquals(rmse[1], h.fineTuneValRmse()[5], 1e-9);
        }
        assertTrue(rmse[1] < rmse[0], "validation RMSE without / with fine-tuning: " + rmse[0] + " / " + rmse[1]);
    }

    @Test
    void emptyBinsAreReportedWithTheirThresholds() {
        double[] y = {1, 2, 5, 6, 5.5};
        var moe = new BinnedMoE(BinnedMoE.Config.of(2, BINS), new Rng(1));
        var e = assertThrows(IllegalArgumentException.class, () -> BinnedMoETrainer.fit(moe, Tensor.zeros(DType.F32, 5, 2), y, null, null,
                BinnedMoETrainer.Options.defaults(), null, null));
        assertTrue(e.getMessage().contains("[8, 10]") && e.getMessage().contains("[2, 3, 0]"), e.getMessage());
        assertNotNull(moe.toString());
    }
}
