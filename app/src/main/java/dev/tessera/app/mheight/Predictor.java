package dev.tessera.app.mheight;

import dev.tessera.autograd.Grad;
import dev.tessera.lp.data.Augment;
import java.util.SplittableRandom;

/** Batched inference with optional test-time augmentation (averaging log2 predictions). */
public final class Predictor {
    private Predictor() {
    }

    /** Predicted log2 h for every row; {@code tta} = 1 (identity only) or more (identity plus random exact invariances). */
    public static double[] predict(MHeightModel model, Rows rows, int tta, int batchSize) {
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
                    float[] pred = model.forward(Features.build(n, k, m, p)).value().toFloatArray();
                    for (int i = 0; i < b; i++) out[s + i] += pred[i] / (double) tta;
                }
            }
        } finally {
            model.setTraining(was);
        }
        return out;
    }
}
