package dev.tessera.app.mheight;

import dev.tessera.autograd.Grad;
import dev.tessera.lp.data.Augment;
import java.util.SplittableRandom;

/** Batched inference with optional test-time augmentation (averaging log2 predictions). */
public final class Predictor {
    private Predictor() {
    }

    /**
     * Predicted log2 h for every row; {@code tta} = 1 (identity only) or more (identity plus random exact
     * invariances). Rows whose h_m is provably infinite (a codeword with at most m nonzeros, found by the
     * minimum-support bound) get {@code +inf}.
     */
    public static double[] predict(MHeightModel model, Rows rows, int tta, int batchSize) {
        return predict(model, rows, Features.log2LowerBounds(rows), tta, batchSize);
    }

    /** {@link #predict(MHeightModel, Rows, int, int)} with the rows' {@link Features#log2LowerBounds} already computed. */
    public static double[] predict(MHeightModel model, Rows rows, double[] log2Bounds, int tta, int batchSize) {
        if (log2Bounds.length != rows.size()) {
            throw new IllegalArgumentException("Predictor: log2Bounds has " + log2Bounds.length + " values for " + rows.size() + " rows");
        }
        boolean was = model.isTraining();
        model.eval();
        int total = rows.size();
        double[] out = new double[total];
        SplittableRandom rng = new SplittableRandom(20260);
        try (var g = Grad.disabled()) {
            for (int a = 0; a < tta; a++) {
                for (int s = 0; s < total; s += batchSize) {
                    int b = Math.min(batchSize, total - s);
                    int[] n = new int[b], k = new int[b], m = new int[b];
                    double[][] p = new double[b][];
                    double[] bound = java.util.Arrays.copyOfRange(log2Bounds, s, s + b);
                    for (int i = 0; i < b; i++) {
                        int j = s + i;
                        n[i] = rows.n()[j];
                        k[i] = rows.k()[j];
                        m[i] = rows.m()[j];
                        double[] src = rows.p()[j];
                        if (a == 0) {
                            p[i] = src;
                        } else {
                            p[i] = new double[src.length];
                            Augment.random(src, k[i], n[i] - k[i], rng, p[i]);
                        }
                    }
                    float[] pred = model.forward(Features.build(n, k, m, p, bound)).value().toFloatArray();
                    for (int i = 0; i < b; i++) out[s + i] += pred[i] / (double) tta;
                }
            }
        } finally {
            model.setTraining(was);
        }
        for (int i = 0; i < total; i++) if (log2Bounds[i] == Double.POSITIVE_INFINITY) out[i] = Double.POSITIVE_INFINITY;
        return out;
    }
}
