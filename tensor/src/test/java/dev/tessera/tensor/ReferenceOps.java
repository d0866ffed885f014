package dev.tessera.tensor;

import dev.tessera.tensor.internal.cpu.CpuStorage;
import java.util.Arrays;
import java.util.Comparator;

/**
 * A small float64 reference library for op tests: naive loops over row-major {@code double[]}
 * arrays with explicit shapes, written for clarity rather than speed and independent of every
 * kernel under test (it reads tensors straight from their storage through shape, strides and
 * offset). Index arrays are {@code int[]} in row-major order.
 *
 * <p>Example: {@code double[] want = ReferenceOps.softmax(ReferenceOps.values(x), x.shape(), 1);}
 */
public final class ReferenceOps {
    private ReferenceOps() {}

    // ------------------------------------------------------------------ shapes and reading

    /** Number of elements of a shape. */
    public static int numel(int[] shape) {
        int n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /** Row-major multi-index of linear index {@code i}. */
    public static int[] unravel(int i, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = i % shape[d];
            i /= shape[d];
        }
        return idx;
    }

    /** Row-major linear index of a multi-index. */
    public static int ravel(int[] idx, int[] shape) {
        int r = 0;
        for (int d = 0; d < shape.length; d++) r = r * shape[d] + idx[d];
        return r;
    }

    /** All elements of a CPU tensor in row-major order, read from its storage (any layout, any dtype). */
    public static double[] values(Tensor t) {
        int[] sh = t.shape(), st = t.strides();
        CpuStorage s = (CpuStorage) t.storage();
        double[] v = new double[t.numel()];
        for (int i = 0; i < v.length; i++) {
            int[] idx = unravel(i, sh);
            int pos = t.offset();
            for (int d = 0; d < idx.length; d++) pos += idx[d] * st[d];
            v[i] = s.get(pos);
        }
        return v;
    }

    /** Elements of an I32 tensor in row-major order. */
    public static int[] ints(Tensor t) {
        double[] v = values(t);
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (int) v[i];
        return r;
    }

    /** {@code shape} with dimension {@code dim} replaced by {@code size}. */
    public static int[] withDim(int[] shape, int dim, int size) {
        int[] r = shape.clone();
        r[dim] = size;
        return r;
    }

    // ------------------------------------------------------------------ indexing

    /** torch.gather: out[p] = x[p with p[dim] = index[p]]; out has the index shape. */
    public static double[] gather(double[] x, int[] xs, int dim, int[] index, int[] is) {
        double[] out = new double[index.length];
        for (int i = 0; i < out.length; i++) {
            int[] p = unravel(i, is);
            p[dim] = index[i];
            out[i] = x[ravel(p, xs)];
        }
        return out;
    }

    /** torch.scatter_add out of place: base plus src[p] at p with p[dim] = index[p], in row-major order of p. */
    public static double[] scatterAdd(double[] base, int[] bs, int dim, int[] index, int[] is, double[] src, int[] ss) {
        double[] out = base.clone();
        for (int i = 0; i < index.length; i++) {
            int[] p = unravel(i, is);
            double v = src[ravel(p, ss)];
            p[dim] = index[i];
            out[ravel(p, bs)] += v;
        }
        return out;
    }

    /** torch.index_select along dim with a 1-d index. */
    public static double[] indexSelect(double[] x, int[] xs, int dim, int[] index) {
        int[] os = withDim(xs, dim, index.length);
        double[] out = new double[numel(os)];
        for (int i = 0; i < out.length; i++) {
            int[] p = unravel(i, os);
            p[dim] = index[p[dim]];
            out[i] = x[ravel(p, xs)];
        }
        return out;
    }

    /** index_add into zeros of {@code shape}: out[p with p[dim] = index[p[dim]]] += src[p]. */
    public static double[] indexAdd(int[] shape, int dim, int[] index, double[] src, int[] ss) {
        double[] out = new double[numel(shape)];
        for (int i = 0; i < src.length; i++) {
            int[] p = unravel(i, ss);
            p[dim] = index[p[dim]];
            out[ravel(p, shape)] += src[i];
        }
        return out;
    }

    /** One-hot rows: out[i * classes + index[i]] = 1. */
    public static double[] oneHot(int[] index, int classes) {
        double[] out = new double[index.length * classes];
        for (int i = 0; i < index.length; i++) out[i * classes + index[i]] = 1;
        return out;
    }

    /**
     * Stable sort order of every line along {@code dim}: the returned int[] has x's shape and holds,
     * at position j of a line, the original position of the j-th element. NaN ranks above every
     * number and -0.0 equals +0.0 (PyTorch's order); ties keep their original order.
     */
    public static int[] sortIndices(double[] x, int[] xs, int dim, boolean descending) {
        int[] out = new int[x.length];
        int n = xs[dim];
        for (int i = 0; i < x.length; i++) {
            int[] p = unravel(i, xs);
            if (p[dim] != 0) continue;
            Integer[] order = new Integer[n];
            double[] line = new double[n];
            for (int j = 0; j < n; j++) {
                order[j] = j;
                p[dim] = j;
                line[j] = x[ravel(p, xs)];
            }
            Comparator<Integer> byValue = (a, b) -> compareTotal(line[a], line[b]);
            Arrays.sort(order, descending ? byValue.reversed() : byValue);
            for (int j = 0; j < n; j++) {
                p[dim] = j;
                out[ravel(p, xs)] = order[j];
            }
        }
        return out;
    }

    /** PyTorch's sort order: numbers by value (-0.0 == 0.0), NaN after everything. */
    public static int compareTotal(double a, double b) {
        boolean na = Double.isNaN(a), nb = Double.isNaN(b);
        if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
        return a < b ? -1 : (a > b ? 1 : 0);
    }

    /** The first {@code k} entries of every line of a sort order (topk indices). */
    public static int[] firstK(int[] order, int[] xs, int dim, int k) {
        int[] os = withDim(xs, dim, k);
        int[] out = new int[numel(os)];
        for (int i = 0; i < out.length; i++) out[i] = order[ravel(unravel(i, os), xs)];
        return out;
    }

    /** Inclusive cumulative sum along {@code dim}. */
    public static double[] cumsum(double[] x, int[] xs, int dim) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int[] p = unravel(i, xs);
            double acc = x[i];
            if (p[dim] > 0) {
                p[dim]--;
                acc += out[ravel(p, xs)];
            }
            out[i] = acc;
        }
        return out;
    }

    /** Counts of each value, length max(minLength, max + 1). */
    public static double[] bincount(int[] x, int minLength) {
        int max = -1;
        for (int v : x) max = Math.max(max, v);
        double[] out = new double[Math.max(minLength, max + 1)];
        for (int v : x) out[v]++;
        return out;
    }

    // ------------------------------------------------------------------ softmax family

    /** Softmax along {@code dim}. */
    public static double[] softmax(double[] x, int[] xs, int dim) {
        return lineMap(x, xs, dim, (line, out) -> {
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (double v : line) m = Math.max(m, v);
            for (double v : line) s += Math.exp(v - m);
            for (int j = 0; j < line.length; j++) out[j] = Math.exp(line[j] - m) / s;
        });
    }

    /** Log-softmax along {@code dim}. */
    public static double[] logSoftmax(double[] x, int[] xs, int dim) {
        return lineMap(x, xs, dim, (line, out) -> {
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (double v : line) m = Math.max(m, v);
            for (double v : line) s += Math.exp(v - m);
            for (int j = 0; j < line.length; j++) out[j] = line[j] - m - Math.log(s);
        });
    }

    /** dL/dx of softmax through its Jacobian: dx_j = sum_i gy_i * y_i * (delta_ij - y_j), with y = softmax(x). */
    public static double[] softmaxBackward(double[] y, double[] gy, int[] xs, int dim) {
        return lineMap2(y, gy, xs, dim, (yl, gl, out) -> {
            for (int j = 0; j < yl.length; j++) {
                double s = 0;
                for (int i = 0; i < yl.length; i++) s += gl[i] * yl[i] * ((i == j ? 1 : 0) - yl[j]);
                out[j] = s;
            }
        });
    }

    /** dL/dx of log-softmax through its Jacobian: dx_j = sum_i gy_i * (delta_ij - exp(y_j)), with y = logSoftmax(x). */
    public static double[] logSoftmaxBackward(double[] y, double[] gy, int[] xs, int dim) {
        return lineMap2(y, gy, xs, dim, (yl, gl, out) -> {
            for (int j = 0; j < yl.length; j++) {
                double s = 0;
                for (int i = 0; i < yl.length; i++) s += gl[i] * ((i == j ? 1 : 0) - Math.exp(yl[j]));
                out[j] = s;
            }
        });
    }

    // ------------------------------------------------------------------ norms

    /** Layer norm of rows of length n: {out, mean[rows], rstd[rows]}; gamma/beta may be null. */
    public static double[][] layerNorm(double[] x, int n, double[] gamma, double[] beta, double eps) {
        int rows = n == 0 ? 0 : x.length / n;
        double[] out = new double[x.length], mean = new double[rows], rstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            double m = 0, v = 0;
            for (int j = 0; j < n; j++) m += x[r * n + j];
            m /= n;
            for (int j = 0; j < n; j++) v += (x[r * n + j] - m) * (x[r * n + j] - m);
            v /= n;
            mean[r] = m;
            rstd[r] = 1 / Math.sqrt(v + eps);
            for (int j = 0; j < n; j++) {
                out[r * n + j] = (x[r * n + j] - m) * rstd[r] * (gamma == null ? 1 : gamma[j]) + (beta == null ? 0 : beta[j]);
            }
        }
        return new double[][] {out, mean, rstd};
    }

    /**
     * Layer norm backward through the explicit Jacobian d xhat_i / d x_j = rstd * (delta_ij - 1/n -
     * xhat_i xhat_j / n): {dx, dgamma, dbeta}.
     */
    public static double[][] layerNormBackward(double[] x, int n, double[] gamma, double[] gy, double eps) {
        return normBackward(x, n, gamma, gy, eps, true);
    }

    /** RMS norm of rows of length n: {out, rstd[rows]}; gamma may be null. */
    public static double[][] rmsNorm(double[] x, int n, double[] gamma, double eps) {
        int rows = n == 0 ? 0 : x.length / n;
        double[] out = new double[x.length], rstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int j = 0; j < n; j++) ss += x[r * n + j] * x[r * n + j];
            rstd[r] = 1 / Math.sqrt(ss / n + eps);
            for (int j = 0; j < n; j++) out[r * n + j] = x[r * n + j] * rstd[r] * (gamma == null ? 1 : gamma[j]);
        }
        return new double[][] {out, rstd};
    }

    /** RMS norm backward through the Jacobian d xhat_i / d x_j = rstd * (delta_ij - xhat_i xhat_j / n): {dx, dgamma}. */
    public static double[][] rmsNormBackward(double[] x, int n, double[] gamma, double[] gy, double eps) {
        double[][] r = normBackward(x, n, gamma, gy, eps, false);
        return new double[][] {r[0], r[1]};
    }

    private static double[][] normBackward(double[] x, int n, double[] gamma, double[] gy, double eps, boolean centered) {
        int rows = n == 0 ? 0 : x.length / n;
        double[][] fwd = centered ? layerNorm(x, n, null, null, eps) : rmsNorm(x, n, null, eps);
        double[] xhat = fwd[0], rstd = fwd[centered ? 2 : 1];
        double[] dx = new double[x.length], dgamma = new double[n], dbeta = new double[n];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    double jac = rstd[r] * ((i == j ? 1 : 0) - (centered ? 1.0 / n : 0) - xhat[r * n + i] * xhat[r * n + j] / n);
                    s += gy[r * n + i] * (gamma == null ? 1 : gamma[i]) * jac;
                }
                dx[r * n + j] = s;
                dgamma[j] += gy[r * n + j] * xhat[r * n + j];
                dbeta[j] += gy[r * n + j];
            }
        }
        return new double[][] {dx, dgamma, dbeta};
    }

    // ------------------------------------------------------------------ losses and optimizers

    /** Per-row cross-entropy of logits[N, C]: (1-eps)(-logp[t]) + eps mean_c(-logp[c]); 0 where t == ignoreIndex. */
    public static double[] crossEntropy(double[] logits, int c, int[] targets, int ignoreIndex, double eps) {
        double[] lp = logSoftmax(logits, new int[] {targets.length, c}, 1);
        double[] loss = new double[targets.length];
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] == ignoreIndex) continue;
            double mean = 0;
            for (int j = 0; j < c; j++) mean -= lp[r * c + j] / c;
            loss[r] = (1 - eps) * -lp[r * c + targets[r]] + eps * mean;
        }
        return loss;
    }

    /** dL/dlogits of {@link #crossEntropy} given dL/dloss: g * (softmax - target distribution). */
    public static double[] crossEntropyBackward(double[] logits, int c, int[] targets, double[] gLoss, int ignoreIndex,
                                                double eps) {
        double[] p = softmax(logits, new int[] {targets.length, c}, 1);
        double[] dx = new double[logits.length];
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] == ignoreIndex) continue;
            for (int j = 0; j < c; j++) {
                double q = (j == targets[r] ? 1 - eps : 0) + eps / c;
                dx[r * c + j] = gLoss[r] * (p[r * c + j] - q);
            }
        }
        return dx;
    }

    /** One AdamW step in place, textbook form: decay, moments, bias-corrected update. */
    public static void adamW(double[] p, double[] g, double[] m, double[] v, double lr, double b1, double b2,
                             double eps, double wd, long step) {
        for (int i = 0; i < p.length; i++) {
            p[i] -= lr * wd * p[i];
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mhat = m[i] / (1 - Math.pow(b1, step)), vhat = v[i] / (1 - Math.pow(b2, step));
            p[i] -= lr * mhat / (Math.sqrt(vhat) + eps);
        }
    }

    // ------------------------------------------------------------------ line helpers

    private interface LineFn {
        void apply(double[] line, double[] out);
    }

    private interface LineFn2 {
        void apply(double[] a, double[] b, double[] out);
    }

    private static double[] lineMap(double[] x, int[] xs, int dim, LineFn f) {
        return lineMap2(x, x, xs, dim, (a, b, out) -> f.apply(a, out));
    }

    private static double[] lineMap2(double[] x, double[] y, int[] xs, int dim, LineFn2 f) {
        double[] out = new double[x.length];
        int n = xs[dim];
        double[] a = new double[n], b = new double[n], o = new double[n];
        for (int i = 0; i < x.length; i++) {
            int[] p = unravel(i, xs);
            if (p[dim] != 0) continue;
            for (int j = 0; j < n; j++) {
                p[dim] = j;
                a[j] = x[ravel(p, xs)];
                b[j] = y[ravel(p, xs)];
            }
            f.apply(a, b, o);
            for (int j = 0; j < n; j++) {
                p[dim] = j;
                out[ravel(p, xs)] = o[j];
            }
        }
        return out;
    }
}
