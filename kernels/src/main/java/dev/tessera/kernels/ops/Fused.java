package dev.tessera.kernels.ops;

import dev.tessera.kernels.memory.DeviceBlock;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;

/**
 * Fused ops with the CPU backend's contracts: softmax family, layer/RMS norm (forward, backward
 * with deterministic dgamma/dbeta over the CPU's row blocks), cross-entropy, dropout and AdamW.
 * Rows are formed like the CPU does (dimension moved last, compute dtype F32 or F64, contiguous).
 */
public final class Fused {
    private static final String M = "fused";
    private static final int MAX_BLOCKS = 64, MIN_BLOCK_ROWS = 8;
    private final Gpu g;
    private final Indexing idx;

    /** Fused ops on a device. */
    public Fused(Gpu g, Indexing idx) {
        this.g = g;
        this.idx = idx;
    }

    private static DType ct(DType dt) {
        return dt == DType.F64 ? DType.F64 : DType.F32;
    }

    private static String sfx(DType ct) {
        return ct == DType.F64 ? "_f64" : "_f32";
    }

    private static Tensor rowsOf(Tensor x, int dim, DType ct) {
        Tensor t = dim == x.rank() - 1 ? x : x.permute(Sorting.moveLast(x.rank(), dim));
        return t.to(ct).contiguous();
    }

    private static Tensor back(Tensor out, int rank, int dim, DType want) {
        Tensor t = dim == rank - 1 ? out : out.permute(Sorting.inverse(Sorting.moveLast(rank, dim))).contiguous();
        return t.to(want);
    }

    // ------------------------------------------------------------------ softmax family

    /** Softmax (or log-softmax) along dim. */
    public Tensor softmax(Tensor x, int dim, boolean log) {
        DType ct = ct(x.dtype());
        Tensor xr = rowsOf(x, dim, ct);
        Tensor out = g.alloc(ct, xr.shape());
        int n = x.dim(dim);
        int rows = n == 0 ? 0 : xr.numel() / n;
        if (rows > 0) {
            g.launchGrid(M, "softmax" + sfx(ct), rows, 1, Gpu.rowBlock(n), 0, (a, k) -> k.i32(n).ptr(Gpu.ptr(xr))
                    .ptr(Gpu.ptr(out)).i32(log ? 1 : 0));
        }
        return back(out, x.rank(), dim, x.dtype());
    }

    /** Backward of softmax (log = false) or log-softmax (log = true) given the output y. */
    public Tensor softmaxBackward(String op, Tensor y, Tensor gy, int dim, boolean log) {
        requireSameShape(op, "y", y, "gy", gy);
        DType ct = ct(y.dtype());
        Tensor yr = rowsOf(y, dim, ct), gr = rowsOf(gy, dim, ct);
        Tensor out = g.alloc(ct, yr.shape());
        int n = y.dim(dim);
        int rows = n == 0 ? 0 : yr.numel() / n;
        if (rows > 0) {
            g.launchGrid(M, "softmax_bwd" + sfx(ct), rows, 1, Gpu.rowBlock(n), 0, (a, k) -> k.i32(n).ptr(Gpu.ptr(yr))
                    .ptr(Gpu.ptr(gr)).ptr(Gpu.ptr(out)).i32(log ? 1 : 0));
        }
        return back(out, y.rank(), dim, y.dtype());
    }

    // ------------------------------------------------------------------ norms

    /** Layer norm (centered) or RMS norm over the last dimension: {out, mean (layer norm only), rstd}. */
    public Tensor[] norm(Tensor x, Tensor gamma, Tensor beta, double eps, boolean centered) {
        DType ct = ct(x.dtype());
        int[] shape = x.shape();
        int n = shape[shape.length - 1];
        int[] statShape = Arrays.copyOf(shape, shape.length - 1);
        int rows = Shape.numel(statShape);
        Tensor xr = x.to(ct).contiguous();
        Tensor out = g.alloc(ct, shape), rstd = g.alloc(ct, statShape);
        Tensor mean = centered ? g.alloc(ct, statShape) : null;
        Tensor gc = gamma == null ? null : gamma.to(ct).contiguous(), bc = beta == null ? null : beta.to(ct).contiguous();
        if (rows > 0) {
            g.launchGrid(M, "norm_fwd" + sfx(ct), rows, 1, Gpu.rowBlock(n), 0, (a, k) -> k.i32(n).ptr(Gpu.ptr(xr))
                    .ptr(gc == null ? 0 : Gpu.ptr(gc)).ptr(bc == null ? 0 : Gpu.ptr(bc)).ptr(Gpu.ptr(out))
                    .ptr(mean == null ? 0 : Gpu.ptr(mean)).ptr(Gpu.ptr(rstd)).f64(eps).i32(centered ? 1 : 0));
        }
        Tensor o = out.to(x.dtype());
        return centered ? new Tensor[] {o, mean, rstd} : new Tensor[] {o, rstd};
    }

    /** Norm backward: {dx, dgamma or null, dbeta or null (centered only)}. */
    public Tensor[] normBackward(String op, Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor gy, boolean need,
                                 boolean centered) {
        requireSameShape(op, "x", x, "gy", gy);
        int[] shape = x.shape();
        int n = shape[shape.length - 1];
        int rows = Shape.numel(Arrays.copyOf(shape, shape.length - 1));
        if (rstd.numel() != rows || (mean != null && mean.numel() != rows)) {
            throw new IllegalArgumentException(op + ": statistics must have " + rows + " elements for x "
                    + Shape.str(shape) + ", got rstd " + Shape.str(rstd.shape())
                    + (mean == null ? "" : " and mean " + Shape.str(mean.shape())));
        }
        DType ct = ct(x.dtype());
        Tensor xr = x.to(ct).contiguous(), gr = gy.to(ct).contiguous();
        Tensor mr = mean == null ? null : mean.to(ct).contiguous(), rr = rstd.to(ct).contiguous();
        Tensor gc = gamma == null ? null : gamma.to(ct).contiguous();
        Tensor dx = g.alloc(ct, shape);
        if (rows > 0) {
            g.launchGrid(M, "norm_bwd" + sfx(ct), rows, 1, Gpu.rowBlock(n), 0, (a, k) -> k.i32(n).ptr(Gpu.ptr(xr))
                    .ptr(Gpu.ptr(gr)).ptr(gc == null ? 0 : Gpu.ptr(gc)).ptr(mr == null ? 0 : Gpu.ptr(mr)).ptr(Gpu.ptr(rr))
                    .ptr(Gpu.ptr(dx)).i32(centered ? 1 : 0));
        }
        Tensor dgamma = null, dbeta = null;
        if (need) {
            dgamma = g.alloc(ct, new int[] {n});
            dbeta = centered ? g.alloc(ct, new int[] {n}) : null;
            int blocks = rows == 0 ? 0 : Math.min(MAX_BLOCKS, Math.max(1, rows / MIN_BLOCK_ROWS));
            if (blocks == 0 || n == 0) {
                if (n > 0) {
                    g.dev().fill8(Gpu.ptr(dgamma), (byte) 0, (long) n * ct.byteSize());
                    if (dbeta != null) g.dev().fill8(Gpu.ptr(dbeta), (byte) 0, (long) n * ct.byteSize());
                }
            } else {
                DeviceBlock pg = g.scratch(8L * blocks * n), pb = centered ? g.scratch(8L * blocks * n) : null;
                final int fb = blocks;
                g.launchGrid(M, "norm_params" + sfx(ct), (n + 255) / 256, blocks, 256, 0, (a, k) -> k.i32(rows).i32(n)
                        .i32(fb).ptr(Gpu.ptr(xr)).ptr(Gpu.ptr(gr)).ptr(mr == null ? 0 : Gpu.ptr(mr)).ptr(Gpu.ptr(rr))
                        .ptr(pg.ptr()).ptr(pb == null ? 0 : pb.ptr()));
                Tensor dg = dgamma, db = dbeta;
                g.launch(M, "norm_params_finish", n, (a, k) -> k.i32(n).i32(fb).ptr(pg.ptr()).ptr(Gpu.ptr(dg)).i32(ct.ordinal()));
                if (db != null) {
                    g.launch(M, "norm_params_finish", n, (a, k) -> k.i32(n).i32(fb).ptr(pb.ptr()).ptr(Gpu.ptr(db))
                            .i32(ct.ordinal()));
                }
                g.free(pg);
                if (pb != null) g.free(pb);
            }
        }
        DType gt = gamma == null ? x.dtype() : gamma.dtype();
        return new Tensor[] {dx.to(x.dtype()), dgamma == null ? null : dgamma.to(gt), dbeta == null ? null : dbeta.to(gt)};
    }

    // ------------------------------------------------------------------ cross-entropy

    private void checkTargets(String op, Tensor logits, Tensor targets, int ignoreIndex) {
        if (logits.rank() != 2 || targets.rank() != 1 || targets.dim(0) != logits.dim(0) || targets.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": expected logits [N,C] and I32 targets [N], got logits "
                    + Shape.str(logits.shape()) + " and " + targets.dtype() + " targets " + Shape.str(targets.shape()));
        }
        int c = logits.dim(1);
        idx.check(targets, c, ignoreIndex, (v, p) -> op + ": target " + v + " at row " + p
                + " is out of range for dimension 1 of size " + c);
    }

    /** {loss[N], logProbs[N, C]}. */
    public Tensor[] crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, double ls) {
        checkTargets("crossEntropy", logits, targets, ignoreIndex);
        DType ct = ct(logits.dtype());
        int rows = logits.dim(0), c = logits.dim(1);
        Tensor xr = logits.to(ct).contiguous(), tc = targets.contiguous();
        Tensor lp = g.alloc(ct, new int[] {rows, c}), loss = g.alloc(ct, new int[] {rows});
        if (rows > 0 && c > 0) {
            g.launchGrid(M, "xent" + sfx(ct), rows, 1, Gpu.rowBlock(c), 0, (a, k) -> k.i32(c).ptr(Gpu.ptr(xr))
                    .ptr(Gpu.ptr(tc)).i32(ignoreIndex).f64(ls).ptr(Gpu.ptr(lp)).ptr(Gpu.ptr(loss)));
        } else if (rows > 0) {
            g.dev().fill8(Gpu.ptr(loss), (byte) 0, (long) rows * ct.byteSize());
        }
        return new Tensor[] {loss.to(logits.dtype()), lp.to(logits.dtype())};
    }

    /** dL/dlogits. */
    public Tensor crossEntropyBackward(Tensor logProbs, Tensor targets, Tensor gLoss, int ignoreIndex, double ls) {
        checkTargets("crossEntropyBackward", logProbs, targets, ignoreIndex);
        int rows = logProbs.dim(0), c = logProbs.dim(1);
        if (gLoss.numel() != rows) {
            throw new IllegalArgumentException("crossEntropyBackward: gLoss must have " + rows + " elements, got "
                    + Shape.str(gLoss.shape()));
        }
        DType ct = ct(logProbs.dtype());
        Tensor lr = logProbs.to(ct).contiguous(), gr = gLoss.to(ct).contiguous(), tc = targets.contiguous();
        Tensor dx = g.alloc(ct, new int[] {rows, c});
        if (rows > 0 && c > 0) {
            g.launchGrid(M, "xent_bwd" + sfx(ct), rows, 1, Gpu.rowBlock(c), 0, (a, k) -> k.i32(c).ptr(Gpu.ptr(lr))
                    .ptr(Gpu.ptr(tc)).ptr(Gpu.ptr(gr)).i32(ignoreIndex).f64(ls).ptr(Gpu.ptr(dx)));
        }
        return dx.to(logProbs.dtype());
    }

    /**
     * Cross-entropy forward and backward in one pass over F32 logits [N, C] (no log-probabilities
     * kept): {loss [N], dlogits [N, C]} with dlogits = gLoss[r] (softmax - (1 - ls) onehot - ls / C),
     * as {@link #crossEntropy} followed by {@link #crossEntropyBackward}. {@code gLoss} [N] may be null
     * for a constant {@code gScale} (1 / N for a mean loss). With {@code inPlace} the gradient overwrites
     * the logits (which must then be contiguous), saving a logits-sized buffer.
     */
    public Tensor[] crossEntropyWithGrad(Tensor logits, Tensor targets, int ignoreIndex, double ls, Tensor gLoss, double gScale,
                                         boolean inPlace) {
        checkTargets("crossEntropyWithGrad", logits, targets, ignoreIndex);
        if (logits.dtype() != DType.F32) {
            throw new IllegalArgumentException("crossEntropyWithGrad: logits must be F32, got " + logits.dtype());
        }
        int rows = logits.dim(0), c = logits.dim(1);
        if (gLoss != null && gLoss.numel() != rows) {
            throw new IllegalArgumentException("crossEntropyWithGrad: gLoss must have " + rows + " elements, got " + Shape.str(gLoss.shape()));
        }
        if (inPlace && !logits.isContiguous()) {
            throw new IllegalArgumentException("crossEntropyWithGrad: in place needs contiguous logits, got strides "
                    + Arrays.toString(logits.strides()));
        }
        Tensor x = logits.contiguous(), tc = targets.contiguous();
        Tensor gl = gLoss == null ? null : gLoss.to(DType.F32).contiguous();
        Tensor loss = g.alloc(DType.F32, new int[] {rows});
        Tensor dx = inPlace ? x : g.alloc(DType.F32, new int[] {rows, c});
        if (rows > 0 && c > 0) {
            g.launchGrid(M, "xent_fused_f32", rows, 1, Gpu.rowBlock(c), 0, (a, k) -> k.i32(c).ptr(Gpu.ptr(x)).ptr(Gpu.ptr(tc))
                    .i32(ignoreIndex).f64(ls).ptr(gl == null ? 0 : Gpu.ptr(gl)).f32((float) gScale).ptr(Gpu.ptr(loss)).ptr(Gpu.ptr(dx)));
        } else if (rows > 0) {
            g.dev().fill8(Gpu.ptr(loss), (byte) 0, 4L * rows);
        }
        return new Tensor[] {loss, dx};
    }

    // ------------------------------------------------------------------ AdamW

    /** One AdamW step in place (the CPU's formula and float rounding). */
    public void adamW(Tensor p, Tensor gr, Tensor m, Tensor v, double lr, double b1, double b2, double eps, double wd,
                      long step) {
        if (step < 1) throw new IllegalArgumentException("adamWStep: step must be >= 1 (1-based), got " + step);
        if (p.dtype() != DType.F32 && p.dtype() != DType.F64) {
            throw new IllegalArgumentException("adamWStep: param must be F32 or F64, got " + p.dtype());
        }
        String[] names = {"param", "grad", "m", "v"};
        Tensor[] ts = {p, gr, m, v};
        for (int i = 0; i < ts.length; i++) {
            Tensor t = ts[i];
            if (t.dtype() != p.dtype() || t.numel() != p.numel() || !t.isContiguous()) {
                throw new IllegalArgumentException("adamWStep: " + names[i] + " must be a contiguous " + p.dtype()
                        + " tensor of " + p.numel() + " elements like param " + Shape.str(p.shape()) + ", got "
                        + t.dtype() + " " + Shape.str(t.shape()) + (t.isContiguous() ? "" : " (non-contiguous)"));
            }
        }
        long n = p.numel();
        if (n == 0) return;
        double bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
        double stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2), decay = 1 - lr * wd;
        if (p.dtype() == DType.F32) {
            g.launch(M, "adamw_f32", n, (a, k) -> k.i64(n).ptr(Gpu.ptr(p)).ptr(Gpu.ptr(gr)).ptr(Gpu.ptr(m)).ptr(Gpu.ptr(v))
                    .f32((float) b1).f32((float) b2).f32((float) (1 - b1)).f32((float) (1 - b2)).f32((float) stepSize)
                    .f32((float) bc2Sqrt).f32((float) eps).f32((float) decay));
        } else {
            g.launch(M, "adamw_f64", n, (a, k) -> k.i64(n).ptr(Gpu.ptr(p)).ptr(Gpu.ptr(gr)).ptr(Gpu.ptr(m)).ptr(Gpu.ptr(v))
                    .f64(b1).f64(b2).f64(stepSize).f64(bc2Sqrt).f64(eps).f64(decay));
        }
    }

    // ------------------------------------------------------------------ random

    /** Fills dst (floating, any layout) with uniform or normal values in row-major element order. */
    public void fill(String op, Tensor dst, Rng rng, double a, double b, boolean normal) {
        DType dt = dst.dtype();
        if (!dt.isFloating()) throw new IllegalArgumentException(op + ": expected a floating dtype, got " + dt);
        int n = dst.numel();
        boolean direct = dt != DType.BF16 && dst.isContiguous();
        Tensor buf = direct ? dst : g.alloc(dt == DType.F64 ? DType.F64 : DType.F32, dst.shape());
        boolean wide = buf.dtype() == DType.F64;
        long base = rng.reserveBlocks(wide ? Rng.blocksForDoubles(n) : Rng.blocksForFloats(n));
        if (n > 0) {
            int k0 = (int) rng.seed(), k1 = (int) (rng.seed() >>> 32);
            long stream = rng.stream();
            String fn = "rand_" + (normal ? "normal" : "uniform") + (wide ? "_f64" : "_f32");
            long work = wide ? (n + 1) / 2 : (n + 3) / 4;
            g.launch("random", fn, work, (ar, k) -> {
                k.i64(n).ptr(Gpu.ptr(buf)).i32(k0).i32(k1).i64(base).i64(stream);
                if (wide) k.f64(a).f64(b);
                else k.f32((float) a).f32((float) b);
            });
        }
        if (!direct) new Elementwise(g).copy(dst, buf);
    }

    /** Inverted dropout: {out, mask} with the CPU's element-indexed rule (identical masks). */
    public Tensor[] dropout(Tensor x, double p, Rng rng) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout: p must be in [0,1), got " + p);
        if (!x.dtype().isFloating()) throw new IllegalArgumentException("dropout: expected a floating dtype, got " + x.dtype());
        int[] shape = x.shape();
        int n = Shape.numel(shape);
        boolean wide = x.dtype() == DType.F64;
        DType ct = wide ? DType.F64 : DType.F32;
        Tensor xc = x.to(ct).contiguous();
        Tensor mask = g.alloc(ct, shape), out = g.alloc(ct, shape);
        long base = rng.reserveBlocks(Rng.blocksForFloats(n));
        double scale = 1.0 / (1.0 - p);
        if (n > 0) {
            int k0 = (int) rng.seed(), k1 = (int) (rng.seed() >>> 32);
            long stream = rng.stream();
            g.launch("random", wide ? "dropout_f64" : "dropout_f32", (n + 3) / 4, (a, k) -> {
                k.i64(n).ptr(Gpu.ptr(xc)).ptr(Gpu.ptr(out)).ptr(Gpu.ptr(mask)).i32(k0).i32(k1).i64(base).i64(stream).f64(p);
                if (wide) k.f64(scale);
                else k.f32((float) scale);
            });
        }
        return new Tensor[] {out.to(x.dtype()), mask};
    }

    private static void requireSameShape(String op, String an, Tensor a, String bn, Tensor b) {
        if (!Shape.same(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": " + an + " " + Shape.str(a.shape()) + " and " + bn + " "
                    + Shape.str(b.shape()) + " must have the same shape");
        }
    }
}
