package dev.tessera.app.score;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.schedule.WarmupCosine;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;

/**
 * The baseline the binned MoE is measured against: one ReLU MLP regressor on all rows, trained by
 * squared error on the standardized score with the same optimizer, schedule, batch size and epochs
 * as the MoE's parts, sized by {@link #matchingHidden} to the MoE's parameter count.
 *
 * <pre>{@code
 * int hidden = SingleRegressor.matchingHidden(moe.numParameters(), features, 2);
 * SingleRegressor r = SingleRegressor.train(x, y, hidden, 2, 40, 128, 2e-3, 1e-4, 7);
 * double[] pred = r.predict(xVal);
 * }</pre>
 */
public final class SingleRegressor {
    private final Mlp mlp;
    private final double mean, std;

    private SingleRegressor(Mlp mlp, double mean, double std) {
        this.mlp = mlp;
        this.mean = mean;
        this.std = std;
    }

    /** The hidden width {@code H} whose MLP {@code inputs -> H x layers -> 1} has about {@code budget} parameters (at least 1). */
    public static int matchingHidden(long budget, int inputs, int layers) {
        // params(H) = (inputs + 1) H + (layers - 1) (H^2 + H) + H + 1
        double a = layers - 1, b = inputs + 1 + (layers - 1) + 1, c = 1 - budget;
        double h = a == 0 ? -c / b : (-b + Math.sqrt(b * b - 4 * a * c)) / (2 * a);
        return (int) Math.max(1, Math.round(h));
    }

    /** Trains a regressor of {@code layers} hidden layers of {@code hidden} units on {@code x [n, f]} (F32) and {@code y}. */
    public static SingleRegressor train(Tensor x, double[] y, int hidden, int layers, int epochs, int batch, double lr, double weightDecay, long seed) {
        int n = y.length, f = x.dim(1);
        if (x.dim(0) != n) throw new IllegalArgumentException("SingleRegressor: x has " + x.dim(0) + " rows but y has " + n);
        int[] dims = new int[layers + 2];
        dims[0] = f;
        for (int i = 1; i <= layers; i++) dims[i] = hidden;
        dims[layers + 1] = 1;
        Rng rng = new Rng(seed);
        Mlp mlp = new Mlp(dims, Activation.RELU, 0.0, rng);
        double mean = 0, var = 0;
        for (double v : y) mean += v / n;
        for (double v : y) var += (v - mean) * (v - mean) / n;
        double std = Math.max(Math.sqrt(var), 1e-6);
        AdamW opt = new AdamW(mlp.parameters(), lr, weightDecay);
        int steps = Math.max(1, (n + batch - 1) / batch);
        long total = Math.max(2, (long) steps * epochs);
        WarmupCosine sched = new WarmupCosine(lr, lr * 0.05, Math.min(total - 1, Math.max(1, total / 20)), total);
        long step = 0;
        mlp.train();
        for (int ep = 0; ep < epochs; ep++) {
            int[] perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            for (int s = 0; s < steps; s++) {
                int from = s * batch, len = Math.min(batch, n - from);
                int[] idx = new int[len];
                float[] t = new float[len];
                for (int i = 0; i < len; i++) {
                    idx[i] = perm[from + i];
                    t[i] = (float) ((y[idx[i]] - mean) / std);
                }
                Variable pred = mlp.forward(Variable.constant(x.indexSelect(0, Tensor.of(idx, len)))).reshape(-1);
                Variable loss = Losses.mse(pred, Tensor.of(t, len));
                opt.setLr(sched.lr(step++));
                opt.zeroGrad();
                loss.backward();
                opt.step();
            }
        }
        mlp.eval();
        return new SingleRegressor(mlp, mean, std);
    }

    /** Predictions for {@code x [m, f]}. */
    public double[] predict(Tensor x) {
        double[] out = new double[x.dim(0)];
        try (var g = Grad.disabled()) {
            for (int s = 0; s < out.length; s += 4096) {
                int len = Math.min(4096, out.length - s);
                double[] p = mlp.forward(Variable.constant(x.narrow(0, s, len))).value().toDoubleArray();
                for (int i = 0; i < len; i++) out[s + i] = mean + std * p[i];
            }
        }
        return out;
    }

    /** Parameter count. */
    public long numParameters() {
        return mlp.numParameters();
    }
}
