package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.ops.UnaryOp;
import java.util.Arrays;

/**
 * Fused kernels of the CPU backend: softmax and log-softmax (with their backward kernels) along
 * any dimension, layer norm and RMS norm over the last dimension (forward and backward),
 * cross-entropy with ignore index and label smoothing, and the AdamW step.
 *
 * <p>Every op works on rows: the reduced dimension is moved last and made contiguous (a no-op
 * when it already is), rows are spread over {@link Parallel}, and each row runs a float32 kernel
 * on the {@link F32Kernels} row kernels (float64 plain loops for F64; BF16 computes in float32 and
 * rounds the result back).
 *
 * <p>Norm backward kernels reduce dgamma/dbeta over rows deterministically: rows are cut into a
 * number of fixed blocks that depends only on the row count, each block accumulates its own
 * float64 partial sums, and the partials are added in block order, so the bits do not depend on
 * the thread count.
 */
final class CpuFused {
    private CpuFused() {}

    /** Largest number of row blocks the norm backward kernels split dgamma/dbeta partial sums into. */
    private static final int MAX_BLOCKS = 64;
    /** Fewest rows per block (small inputs use fewer blocks). */
    private static final int MIN_BLOCK_ROWS = 8;

    // ------------------------------------------------------------------ softmax family

    /** Softmax along {@code dim}: exp(x - max) / sum. A row holding only -inf gives NaN, as in PyTorch. */
    static Tensor softmax(Tensor x, int dim) {
        return softmaxLike(x, dim, false);
    }

    /** Log-softmax along {@code dim}: (x - max) - log(sum(exp(x - max))). */
    static Tensor logSoftmax(Tensor x, int dim) {
        return softmaxLike(x, dim, true);
    }

    private static Tensor softmaxLike(Tensor x, int dim, boolean log) {
        DType ct = computeType(x.dtype());
        Tensor xr = rowsOf(x, dim, ct);
        Tensor out = CpuBackend.alloc(ct, xr.shape());
        int n = x.dim(dim);
        int rows = n == 0 ? 0 : xr.numel() / n;
        if (rows > 0) {
            if (ct == DType.F32) {
                float[] a = CpuBackend.st(xr).f32(), o = CpuBackend.st(out).f32();
                Parallel.forRange(rows, CpuIndexing.grain(4L * n), (s, e) -> {
                    if (log) CpuBackend.k().logSoftmaxRows(a, s * n, o, s * n, e - s, n);
                    else CpuBackend.k().softmaxRows(a, s * n, o, s * n, e - s, n);
                });
            } else {
                double[] a = CpuBackend.st(xr).f64(), o = CpuBackend.st(out).f64();
                Parallel.forRange(rows, CpuIndexing.grain(4L * n), (s, e) -> {
                    for (int r = s; r < e; r++) softmaxRow64(a, r * n, o, r * n, n, log);
                });
            }
        }
        return back(out, x.rank(), dim, x.dtype());
    }

    /** dL/dx = y * (gy - sum(gy * y)) for y = softmax(x). */
    static Tensor softmaxBackward(Tensor y, Tensor gy, int dim) {
        return softmaxBackwardLike("softmaxBackward", y, gy, dim, false);
    }

    /** dL/dx = gy - exp(y) * sum(gy) for y = logSoftmax(x). */
    static Tensor logSoftmaxBackward(Tensor y, Tensor gy, int dim) {
        return softmaxBackwardLike("logSoftmaxBackward", y, gy, dim, true);
    }

    private static Tensor softmaxBackwardLike(String op, Tensor y, Tensor gy, int dim, boolean log) {
        requireSameShape(op, "y", y, "gy", gy);
        DType ct = computeType(y.dtype());
        Tensor yr = rowsOf(y, dim, ct), gr = rowsOf(gy, dim, ct);
        Tensor out = CpuBackend.alloc(ct, yr.shape());
        int n = y.dim(dim);
        int rows = n == 0 ? 0 : yr.numel() / n;
        if (rows > 0) {
            if (ct == DType.F32) {
                float[] a = CpuBackend.st(yr).f32(), g = CpuBackend.st(gr).f32(), o = CpuBackend.st(out).f32();
                Parallel.forRange(rows, CpuIndexing.grain(4L * n), (s, e) -> {
                    if (log) CpuBackend.k().logSoftmaxBackwardRows(a, s * n, g, s * n, o, s * n, e - s, n);
                    else CpuBackend.k().softmaxBackwardRows(a, s * n, g, s * n, o, s * n, e - s, n);
                });
            } else {
                double[] a = CpuBackend.st(yr).f64(), g = CpuBackend.st(gr).f64(), o = CpuBackend.st(out).f64();
                Parallel.forRange(rows, CpuIndexing.grain(4L * n), (s, e) -> {
                    for (int r = s; r < e; r++) {
                        int off = r * n;
                        double acc = 0;
                        for (int j = off; j < off + n; j++) acc += log ? g[j] : g[j] * a[j];
                        for (int j = off; j < off + n; j++) o[j] = log ? g[j] - Math.exp(a[j]) * acc : a[j] * (g[j] - acc);
                    }
                });
            }
        }
        return back(out, y.rank(), dim, y.dtype());
    }

    private static void softmaxRow64(double[] x, int xo, double[] y, int yo, int n, boolean log) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            double v = x[xo + j];
            if (v != v) { m = v; break; }
            if (v > m) m = v;
        }
        double s = 0;
        for (int j = 0; j < n; j++) s += Math.exp(x[xo + j] - m);
        if (log) {
            double lse = Math.log(s);
            for (int j = 0; j < n; j++) y[yo + j] = x[xo + j] - m - lse;
        } else {
            double inv = 1.0 / s;
            for (int j = 0; j < n; j++) y[yo + j] = Math.exp(x[xo + j] - m) * inv;
        }
    }

    // ------------------------------------------------------------------ layer norm / rms norm

    /**
     * Layer norm over the last dimension: {out, mean, rstd} with mean and rstd shaped as x
     * without its last dimension (biased variance, rstd = 1/sqrt(var + eps), statistics in
     * float64 then stored in the compute dtype: F32 for F32 and BF16 input, F64 for F64).
     */
    static Tensor[] layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        DType ct = computeType(x.dtype());
        int[] shape = x.shape();
        int n = shape[shape.length - 1];
        int[] statShape = Arrays.copyOf(shape, shape.length - 1);
        int rows = Shape.numel(statShape);
        Tensor xr = x.to(ct).contiguous();
        Tensor out = CpuBackend.alloc(ct, shape), mean = CpuBackend.alloc(ct, statShape), rstd = CpuBackend.alloc(ct, statShape);
        Tensor gc = gamma == null ? null : gamma.to(ct).contiguous(), bc = beta == null ? null : beta.to(ct).contiguous();
        if (ct == DType.F32) {
            float[] a = CpuBackend.st(xr).f32(), o = CpuBackend.st(out).f32();
            float[] mu = CpuBackend.st(mean).f32(), rs = CpuBackend.st(rstd).f32();
            float[] g = gc == null ? null : CpuBackend.st(gc).f32(), b = bc == null ? null : CpuBackend.st(bc).f32();
            Parallel.forRange(rows, CpuIndexing.grain(4L * n), (s, e) -> {
                // the row kernel writes statistics from index 0: use chunk-local arrays
                float[] cm = new float[e - s], cr = new float[e - s];
                CpuBackend.k().layerNormRows(a, s * n, g, b, (float) eps, o, s * n, cm, cr, e - s, n);
                System.arraycopy(cm, 0, mu, s, e - s);
                System.arraycopy(cr, 0, rs, s, e - s);
            });
        } else {
            double[] a = CpuBackend.st(xr).f64(), o = CpuBackend.st(out).f64();
            double[] mu = CpuBackend.st(mean).f64(), rs = CpuBackend.st(rstd).f64();
            double[] g = gc == null ? null : CpuBackend.st(gc).f64(), b = bc == null ? null : CpuBackend.st(bc).f64();
            Parallel.forRange(rows, CpuIndexing.grain(4L * n), (s, e) -> {
                for (int r = s; r < e; r++) {
                    int off = r * n;
                    double m = 0;
                    for (int j = off; j < off + n; j++) m += a[j];
                    m /= n;
                    double ss = 0;
                    for (int j = off; j < off + n; j++) ss += (a[j] - m) * (a[j] - m);
                    double rr = 1.0 / Math.sqrt(ss / n + eps);
                    mu[r] = m;
                    rs[r] = rr;
                    for (int j = 0; j < n; j++) {
                        double v = (a[off + j] - m) * rr;
                        if (g != null) v *= g[j];
                        if (b != null) v += b[j];
                        o[off + j] = v;
                    }
                }
            });
        }
        return new Tensor[] {out.to(x.dtype()), mean, rstd};
    }

    /**
     * Layer norm backward: {dx, dgamma, dbeta}; dgamma and dbeta are null unless
     * {@code needGammaBeta}. With xhat = (x - mean) * rstd and g = gy * gamma:
     * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), dgamma = sum_rows gy * xhat,
     * dbeta = sum_rows gy.
     */
    static Tensor[] layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor gy, boolean need) {
        return normBackward("layerNormBackward", x, gamma, mean, rstd, gy, need, true);
    }

    /**
     * RMS norm over the last dimension: {out, rstd} with rstd = 1/sqrt(mean(x^2) + eps) shaped as
     * x without its last dimension; out = x * rstd * gamma.
     */
    static Tensor[] rmsNorm(Tensor x, Tensor gamma, double eps) {
        DType ct = computeType(x.dtype());
        int[] shape = x.shape();
        int n = shape[shape.length - 1];
        int[] statShape = Arrays.copyOf(shape, shape.length - 1);
        int rows = Shape.numel(statShape);
        Tensor xr = x.to(ct).contiguous();
        Tensor out = CpuBackend.alloc(ct, shape), rstd = CpuBackend.alloc(ct, statShape);
        Tensor gc = gamma == null ? null : gamma.to(ct).contiguous();
        if (ct == DType.F32) {
            float[] a = CpuBackend.st(xr).f32(), o = CpuBackend.st(out).f32(), rs = CpuBackend.st(rstd).f32();
            float[] g = gc == null ? null : CpuBackend.st(gc).f32();
            Parallel.forRange(rows, CpuIndexing.grain(3L * n), (s, e) -> {
                float[] cr = new float[e - s];
                CpuBackend.k().rmsNormRows(a, s * n, g, (float) eps, o, s * n, cr, e - s, n);
                System.arraycopy(cr, 0, rs, s, e - s);
            });
        } else {
            double[] a = CpuBackend.st(xr).f64(), o = CpuBackend.st(out).f64(), rs = CpuBackend.st(rstd).f64();
            double[] g = gc == null ? null : CpuBackend.st(gc).f64();
            Parallel.forRange(rows, CpuIndexing.grain(3L * n), (s, e) -> {
                for (int r = s; r < e; r++) {
                    int off = r * n;
                    double ss = 0;
                    for (int j = off; j < off + n; j++) ss += a[j] * a[j];
                    double rr = 1.0 / Math.sqrt(ss / n + eps);
                    rs[r] = rr;
                    for (int j = 0; j < n; j++) o[off + j] = a[off + j] * rr * (g == null ? 1.0 : g[j]);
                }
            });
        }
        return new Tensor[] {out.to(x.dtype()), rstd};
    }

    /**
     * RMS norm backward: {dx, dgamma (null unless needGamma)}. With xhat = x * rstd and
     * g = gy * gamma: dx = rstd * (g - xhat * mean(g * xhat)), dgamma = sum_rows gy * xhat.
     */
    static Tensor[] rmsNormBackward(Tensor x, Tensor gamma, Tensor rstd, Tensor gy, boolean need) {
        Tensor[] r = normBackward("rmsNormBackward", x, gamma, null, rstd, gy, need, false);
        return new Tensor[] {r[0], r[1]};
    }

    private static Tensor[] normBackward(String op, Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor gy,
                                         boolean need, boolean centered) {
        requireSameShape(op, "x", x, "gy", gy);
        int[] shape = x.shape();
        int n = shape[shape.length - 1];
        int rows = Shape.numel(Arrays.copyOf(shape, shape.length - 1));
        if (rstd.numel() != rows || (mean != null && mean.numel() != rows)) {
            throw new IllegalArgumentException(op + ": statistics must have " + rows + " elements for x "
                    + Shape.str(shape) + ", got rstd " + Shape.str(rstd.shape())
                    + (mean == null ? "" : " and mean " + Shape.str(mean.shape())));
        }
        DType ct = computeType(x.dtype());
        Tensor xr = x.to(ct).contiguous(), gr = gy.to(ct).contiguous();
        Tensor mr = mean == null ? null : mean.to(ct).contiguous(), rr = rstd.to(ct).contiguous();
        Tensor gc = gamma == null ? null : gamma.to(ct).contiguous();
        Tensor dx = CpuBackend.alloc(ct, shape);
        int blocks = rows == 0 ? 0 : Math.min(MAX_BLOCKS, Math.max(1, rows / MIN_BLOCK_ROWS));
        double[][] pg = need ? new double[blocks][n] : null;
        double[][] pb = need && centered ? new double[blocks][n] : null;
        int blockGrain = CpuIndexing.grain(6L * n * Math.max(1, rows / Math.max(1, blocks)));
        if (ct == DType.F32) {
            float[] a = CpuBackend.st(xr).f32(), g = CpuBackend.st(gr).f32(), o = CpuBackend.st(dx).f32();
            float[] mu = mr == null ? null : CpuBackend.st(mr).f32(), rs = CpuBackend.st(rr).f32();
            float[] w = gc == null ? null : CpuBackend.st(gc).f32();
            Parallel.forRange(blocks, blockGrain, (s, e) -> {
                for (int blk = s; blk < e; blk++) {
                    int r0 = blockStart(rows, blocks, blk), r1 = blockStart(rows, blocks, blk + 1);
                    // the row kernels read statistics from index 0 and accumulate dgamma/dbeta in place
                    float[] bm = mu == null ? null : Arrays.copyOfRange(mu, r0, r1), br = Arrays.copyOfRange(rs, r0, r1);
                    float[] gG = need ? new float[n] : null, gB = pb == null ? null : new float[n];
                    if (centered) {
                        CpuBackend.k().layerNormBackwardRows(a, r0 * n, w, bm, br, g, r0 * n, o, r0 * n, gG, gB, r1 - r0, n);
                    } else {
                        CpuBackend.k().rmsNormBackwardRows(a, r0 * n, w, br, g, r0 * n, o, r0 * n, gG, r1 - r0, n);
                    }
                    for (int j = 0; j < n; j++) {
                        if (gG != null) pg[blk][j] = gG[j];
                        if (gB != null) pb[blk][j] = gB[j];
                    }
                }
            });
        } else {
            double[] a = CpuBackend.st(xr).f64(), g = CpuBackend.st(gr).f64(), o = CpuBackend.st(dx).f64();
            double[] mu = mr == null ? null : CpuBackend.st(mr).f64(), rs = CpuBackend.st(rr).f64();
            double[] w = gc == null ? null : CpuBackend.st(gc).f64();
            Parallel.forRange(blocks, blockGrain, (s, e) -> {
                for (int blk = s; blk < e; blk++) {
                    double[] accG = need ? pg[blk] : null, accB = pb == null ? null : pb[blk];
                    for (int r = blockStart(rows, blocks, blk); r < blockStart(rows, blocks, blk + 1); r++) {
                        int off = r * n;
                        double m = mu == null ? 0 : mu[r], q = rs[r];
                        double sg = 0, sgx = 0;
                        for (int j = 0; j < n; j++) {
                            double xh = (a[off + j] - m) * q, gyj = g[off + j];
                            double gj = w == null ? gyj : gyj * w[j];
                            sg += gj;
                            sgx += gj * xh;
                            if (accG != null) accG[j] += gyj * xh;
                            if (accB != null) accB[j] += gyj;
                        }
                        double c1 = centered ? sg / n : 0, c2 = sgx / n;
                        for (int j = 0; j < n; j++) {
                            double xh = (a[off + j] - m) * q, gyj = g[off + j];
                            double gj = w == null ? gyj : gyj * w[j];
                            o[off + j] = q * (gj - c1 - xh * c2);
                        }
                    }
                }
            });
        }
        Tensor dgamma = need ? sumBlocks(pg, n, ct) : null;
        Tensor dbeta = need && centered ? sumBlocks(pb, n, ct) : null;
        DType gt = gamma == null ? x.dtype() : gamma.dtype();
        return new Tensor[] {dx.to(x.dtype()), dgamma == null ? null : dgamma.to(gt), dbeta == null ? null : dbeta.to(gt)};
    }

    private static int blockStart(int rows, int blocks, int b) {
        return (int) ((long) rows * b / blocks);
    }

    /** Adds per-block partial sums in block order (fixed, so the result is thread-count independent). */
    private static Tensor sumBlocks(double[][] partial, int n, DType ct) {
        double[] total = new double[n];
        for (double[] p : partial) for (int j = 0; j < n; j++) total[j] += p[j];
        Tensor t = CpuBackend.alloc(ct, new int[] {n});
        CpuStorage s = CpuBackend.st(t);
        for (int j = 0; j < n; j++) s.set(j, total[j]);
        return t;
    }

    // ------------------------------------------------------------------ cross-entropy

    /**
     * Per-row cross-entropy of logits[N, C] against I32 targets[N]: {loss[N], logProbs[N, C]}.
     * loss = (1 - eps) * (-logp[target]) + eps * mean_c(-logp[c]); rows whose target equals
     * {@code ignoreIndex} get loss 0. Any other target outside [0, C) is an error.
     */
    static Tensor[] crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, double ls) {
        int[] t = checkedTargets("crossEntropy", logits, targets, ignoreIndex);
        DType ct = computeType(logits.dtype());
        int nRows = logits.dim(0), c = logits.dim(1);
        Tensor xr = logits.to(ct).contiguous();
        Tensor lp = CpuBackend.alloc(ct, new int[] {nRows, c}), loss = CpuBackend.alloc(ct, new int[] {nRows});
        if (nRows > 0 && c > 0) {
            if (ct == DType.F32) {
                float[] a = CpuBackend.st(xr).f32(), o = CpuBackend.st(lp).f32(), l = CpuBackend.st(loss).f32();
                Parallel.forRange(nRows, CpuIndexing.grain(5L * c), (s, e) -> {
                    CpuBackend.k().logSoftmaxRows(a, s * c, o, s * c, e - s, c);
                    for (int r = s; r < e; r++) {
                        int off = r * c;
                        if (t[r] == ignoreIndex) continue;
                        double smooth = ls == 0 ? 0 : -CpuBackend.k().sumDouble(o, off, c) / c;
                        l[r] = (float) ((1 - ls) * -o[off + t[r]] + ls * smooth);
                    }
                });
            } else {
                double[] a = CpuBackend.st(xr).f64(), o = CpuBackend.st(lp).f64(), l = CpuBackend.st(loss).f64();
                Parallel.forRange(nRows, CpuIndexing.grain(5L * c), (s, e) -> {
                    for (int r = s; r < e; r++) {
                        int off = r * c;
                        softmaxRow64(a, off, o, off, c, true);
                        if (t[r] == ignoreIndex) continue;
                        double smooth = 0;
                        if (ls != 0) {
                            for (int j = off; j < off + c; j++) smooth -= o[j];
                            smooth /= c;
                        }
                        l[r] = (1 - ls) * -o[off + t[r]] + ls * smooth;
                    }
                });
            }
        }
        return new Tensor[] {loss.to(logits.dtype()), lp.to(logits.dtype())};
    }

    /**
     * dL/dlogits = gLoss[i] * (softmax[i, c] - (1 - eps) * [c == target] - eps / C), zero on rows
     * whose target is {@code ignoreIndex}.
     */
    static Tensor crossEntropyBackward(Tensor logProbs, Tensor targets, Tensor gLoss, int ignoreIndex, double ls) {
        int[] t = checkedTargets("crossEntropyBackward", logProbs, targets, ignoreIndex);
        int nRows = logProbs.dim(0), c = logProbs.dim(1);
        if (gLoss.numel() != nRows) {
            throw new IllegalArgumentException("crossEntropyBackward: gLoss must have " + nRows + " elements, got "
                    + Shape.str(gLoss.shape()));
        }
        DType ct = computeType(logProbs.dtype());
        Tensor lr = logProbs.to(ct).contiguous(), gr = gLoss.to(ct).contiguous();
        Tensor dx = CpuBackend.alloc(ct, new int[] {nRows, c});
        if (nRows > 0 && c > 0) {
            double uniform = ls / c, onTarget = 1 - ls;
            if (ct == DType.F32) {
                float[] a = CpuBackend.st(lr).f32(), g = CpuBackend.st(gr).f32(), o = CpuBackend.st(dx).f32();
                float fu = (float) uniform, ft = (float) onTarget;
                Parallel.forRange(nRows, CpuIndexing.grain(4L * c), (s, e) -> {
                    for (int r = s; r < e; r++) {
                        if (t[r] == ignoreIndex) continue;
                        int off = r * c;
                        float gi = g[r];
                        CpuBackend.k().unary(UnaryOp.EXP, a, off, o, off, c);
                        o[off + t[r]] -= ft;
                        for (int j = off; j < off + c; j++) o[j] = (o[j] - fu) * gi;
                    }
                });
            } else {
                double[] a = CpuBackend.st(lr).f64(), g = CpuBackend.st(gr).f64(), o = CpuBackend.st(dx).f64();
                Parallel.forRange(nRows, CpuIndexing.grain(4L * c), (s, e) -> {
                    for (int r = s; r < e; r++) {
                        if (t[r] == ignoreIndex) continue;
                        int off = r * c;
                        for (int j = 0; j < c; j++) {
                            double q = (j == t[r] ? onTarget : 0) + uniform;
                            o[off + j] = g[r] * (Math.exp(a[off + j]) - q);
                        }
                    }
                });
            }
        }
        return dx.to(logProbs.dtype());
    }

    private static int[] checkedTargets(String op, Tensor logits, Tensor targets, int ignoreIndex) {
        if (logits.rank() != 2 || targets.rank() != 1 || targets.dim(0) != logits.dim(0) || targets.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": expected logits [N,C] and I32 targets [N], got logits "
                    + Shape.str(logits.shape()) + " and " + targets.dtype() + " targets " + Shape.str(targets.shape()));
        }
        int[] t = targets.toIntArray();
        int c = logits.dim(1);
        for (int i = 0; i < t.length; i++) {
            if (t[i] != ignoreIndex && (t[i] < 0 || t[i] >= c)) {
                throw new IllegalArgumentException(op + ": target " + t[i] + " at row " + i
                        + " is out of range for dimension 1 of size " + c);
            }
        }
        return t;
    }

    // ------------------------------------------------------------------ AdamW

    /**
     * One AdamW step in place, in PyTorch's order: p *= 1 - lr * wd (decoupled decay first);
     * m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g^2;
     * p -= (lr / (1 - b1^step)) * m / (sqrt(v) / sqrt(1 - b2^step) + eps), which equals
     * lr * mhat / (sqrt(vhat) + eps). F32 computes in float with the bias corrections in double;
     * F64 in double. All four tensors must be contiguous with one floating dtype and equal size.
     */
    static void adamWStep(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double b1, double b2, double eps,
                          double wd, long step) {
        checkAdam(p, g, m, v, step);
        int n = p.numel();
        double bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
        double stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2), decay = 1 - lr * wd;
        int po = p.offset(), go = g.offset(), mo = m.offset(), vo = v.offset();
        if (p.dtype() == DType.F32) {
            float[] pa = CpuBackend.st(p).f32(), ga = CpuBackend.st(g).f32(), ma = CpuBackend.st(m).f32(), va = CpuBackend.st(v).f32();
            float fb1 = (float) b1, fb2 = (float) b2, f1b1 = (float) (1 - b1), f1b2 = (float) (1 - b2);
            float fStep = (float) stepSize, fBc2 = (float) bc2Sqrt, fEps = (float) eps, fDecay = (float) decay;
            F32Kernels k = CpuBackend.k();
            Parallel.forRange(n, CpuBackend.FLAT_GRAIN / 4, (s, e) -> k.adamW(pa, po + s, ga, go + s, ma, mo + s, va, vo + s,
                    e - s, fb1, f1b1, fb2, f1b2, fStep, fBc2, fEps, fDecay));
        } else {
            double[] pa = CpuBackend.st(p).f64(), ga = CpuBackend.st(g).f64(), ma = CpuBackend.st(m).f64(), va = CpuBackend.st(v).f64();
            Parallel.forRange(n, CpuBackend.FLAT_GRAIN / 4, (s, e) -> {
                for (int i = s; i < e; i++) {
                    double gi = ga[go + i];
                    double mi = b1 * ma[mo + i] + (1 - b1) * gi;
                    double vi = b2 * va[vo + i] + (1 - b2) * gi * gi;
                    ma[mo + i] = mi;
                    va[vo + i] = vi;
                    pa[po + i] = pa[po + i] * decay - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps);
                }
            });
        }
    }

    private static void checkAdam(Tensor p, Tensor g, Tensor m, Tensor v, long step) {
        if (step < 1) throw new IllegalArgumentException("adamWStep: step must be >= 1 (1-based), got " + step);
        if (p.dtype() != DType.F32 && p.dtype() != DType.F64) {
            throw new IllegalArgumentException("adamWStep: param must be F32 or F64, got " + p.dtype());
        }
        String[] names = {"param", "grad", "m", "v"};
        Tensor[] ts = {p, g, m, v};
        for (int i = 0; i < ts.length; i++) {
            Tensor t = ts[i];
            if (t.dtype() != p.dtype() || t.numel() != p.numel() || !t.isContiguous()) {
                throw new IllegalArgumentException("adamWStep: " + names[i] + " must be a contiguous " + p.dtype()
                        + " tensor of " + p.numel() + " elements like param " + Shape.str(p.shape()) + ", got "
                        + t.dtype() + " " + Shape.str(t.shape()) + (t.isContiguous() ? "" : " (non-contiguous)"));
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static DType computeType(DType dt) {
        return dt == DType.F64 ? DType.F64 : DType.F32;
    }

    /** x in the compute dtype with {@code dim} moved last, contiguous with offset 0. */
    private static Tensor rowsOf(Tensor x, int dim, DType ct) {
        Tensor t = dim == x.rank() - 1 ? x : x.permute(CpuIndexing.moveLastOrder(x.rank(), dim));
        return t.to(ct).contiguous();
    }

    /** Undoes {@link #rowsOf}: moves the last dimension back to {@code dim}, contiguous, in {@code want}. */
    private static Tensor back(Tensor out, int rank, int dim, DType want) {
        Tensor t = dim == rank - 1 ? out : out.permute(CpuIndexing.inverse(CpuIndexing.moveLastOrder(rank, dim))).contiguous();
        return t.to(want);
    }

    private static void requireSameShape(String op, String an, Tensor a, String bn, Tensor b) {
        if (!Shape.same(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": " + an + " " + Shape.str(a.shape()) + " and " + bn + " "
                    + Shape.str(b.shape()) + " must have the same shape");
        }
    }
}
