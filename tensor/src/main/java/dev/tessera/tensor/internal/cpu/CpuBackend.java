package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.Backend;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Storage;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.ReduceOp;
import dev.tessera.tensor.ops.UnaryOp;
import java.util.Arrays;

/**
 * The CPU backend: heap-array storage, Vector API kernels (or their scalar twins) for float32,
 * plain loops for the other dtypes, work split over {@link Parallel}. Elementwise and shape
 * kernels live here; indexing, fused, attention and random kernels in {@link CpuIndexing},
 * {@link CpuFused}, {@link CpuAttention} and {@link CpuRandom}.
 */
public final class CpuBackend implements Backend {
    /** The single instance. */
    public static final CpuBackend INSTANCE = new CpuBackend();

    /** Elements per parallel chunk of flat (contiguous) loops. */
    static final int FLAT_GRAIN = 1 << 15;

    private CpuBackend() {}

    static F32Kernels k() {
        return F32Kernels.get();
    }

    static CpuStorage st(Tensor t) {
        return (CpuStorage) t.storage();
    }

    static Tensor alloc(DType dtype, int[] shape) {
        return Tensor.wrap(CpuStorage.allocate(dtype, Shape.numel(shape)), shape);
    }

    @Override
    public Device device() {
        return Device.cpu();
    }

    @Override
    public Storage allocate(DType dtype, int numel) {
        return CpuStorage.allocate(dtype, numel);
    }

    @Override
    public Object toArray(Tensor t) {
        Tensor c = t.isContiguous() && t.offset() == 0 && t.storage().size() == t.numel() ? t : t.copy();
        Object a = st(c).array();
        if (t.dtype() == DType.BOOL) {
            byte[] b = (byte[]) a;
            boolean[] r = new boolean[b.length];
            for (int i = 0; i < b.length; i++) r[i] = b[i] != 0;
            return r;
        }
        return c == t ? cloneArray(a) : a;
    }

    private static Object cloneArray(Object a) {
        return switch (a) {
            case float[] f -> f.clone();
            case double[] d -> d.clone();
            case int[] i -> i.clone();
            case byte[] b -> b.clone();
            case short[] s -> s.clone();
            default -> throw new IllegalStateException("unknown carrier " + a.getClass());
        };
    }

    @Override
    public Tensor fromArray(Object array, DType dtype, int[] shape) {
        Object carrier = switch (array) {
            case boolean[] b when dtype == DType.BOOL -> {
                byte[] r = new byte[b.length];
                for (int i = 0; i < b.length; i++) r[i] = (byte) (b[i] ? 1 : 0);
                yield r;
            }
            case float[] f when dtype == DType.F32 -> f.clone();
            case double[] d when dtype == DType.F64 -> d.clone();
            case int[] i when dtype == DType.I32 -> i.clone();
            case short[] s when dtype == DType.BF16 -> s.clone();
            case byte[] b when dtype == DType.BOOL -> b.clone();
            default -> throw new IllegalArgumentException("fromArray: array " + array.getClass().getSimpleName()
                    + " does not hold dtype " + dtype);
        };
        CpuStorage s = CpuStorage.wrap(dtype, carrier);
        if (s.size() != Shape.numel(shape)) {
            throw new IllegalArgumentException("fromArray: " + s.size() + " values for shape " + Shape.str(shape));
        }
        return Tensor.wrap(s, shape);
    }

    // ------------------------------------------------------------------ fills and copies

    @Override
    public void fillInPlace(Tensor dst, double value) {
        CpuStorage d = st(dst);
        StridedLoop.of(dst.shape(), dst).run((off, len, is) -> {
            int o = off[0], s = is[0];
            switch (dst.dtype()) {
                case F32 -> {
                    float v = (float) value;
                    if (s == 1) Arrays.fill(d.f32(), o, o + len, v);
                    else for (int i = 0; i < len; i++) d.f32()[o + i * s] = v;
                }
                case F64 -> {
                    if (s == 1) Arrays.fill(d.f64(), o, o + len, value);
                    else for (int i = 0; i < len; i++) d.f64()[o + i * s] = value;
                }
                default -> {
                    for (int i = 0; i < len; i++) d.set(o + i * s, value);
                }
            }
        });
    }

    @Override
    public void copyInPlace(Tensor dst, Tensor src) {
        CpuStorage d = st(dst), s = st(src);
        boolean sameType = dst.dtype() == src.dtype();
        StridedLoop.of(dst.shape(), dst, src).run((off, len, is) -> {
            int od = off[0], os = off[1], sd = is[0], ss = is[1];
            if (sameType && sd == 1 && ss == 1) {
                System.arraycopy(s.array(), os, d.array(), od, len);
            } else if (sameType && dst.dtype() == DType.F32) {
                float[] a = s.f32(), b = d.f32();
                for (int i = 0; i < len; i++) b[od + i * sd] = a[os + i * ss];
            } else if (dst.dtype() == DType.F32 && src.dtype() == DType.BF16 && sd == 1) {
                float[] b = d.f32();
                short[] a = s.bf16();
                for (int i = 0; i < len; i++) b[od + i] = DType.fromBf16(a[os + i * ss]);
            } else {
                for (int i = 0; i < len; i++) d.set(od + i * sd, s.get(os + i * ss));
            }
        });
    }

    @Override
    public void fillUniformInPlace(Tensor dst, Rng rng, double lo, double hi) {
        CpuRandom.fillUniform(dst, rng, lo, hi);
    }

    @Override
    public void fillNormalInPlace(Tensor dst, Rng rng, double mean, double std) {
        CpuRandom.fillNormal(dst, rng, mean, std);
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public Tensor unary(UnaryOp op, Tensor x) {
        Tensor c = x.contiguous();
        Tensor out = alloc(x.dtype(), x.shape());
        int n = out.numel();
        CpuStorage a = st(c), o = st(out);
        int base = c.offset();
        switch (x.dtype()) {
            case F32 -> Parallel.forRange(n, FLAT_GRAIN, (s, e) -> k().unary(op, a.f32(), base + s, o.f32(), s, e - s));
            case F64 -> Parallel.forRange(n, FLAT_GRAIN, (s, e) -> {
                double[] src = a.f64(), dst = o.f64();
                for (int i = s; i < e; i++) dst[i] = op.apply(src[base + i]);
            });
            default -> Parallel.forRange(n, FLAT_GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) o.set(i, op.apply(a.get(base + i)));
            });
        }
        return out;
    }

    /** One pass over contiguous float32 or float64 operands instead of the nine-op composite. */
    @Override
    public Tensor geluBackward(Tensor x, Tensor gy) {
        if (!Arrays.equals(x.shape(), gy.shape())) {
            throw new IllegalArgumentException("geluBackward: x " + Shape.str(x.shape()) + " and gy " + Shape.str(gy.shape())
                    + " must have the same shape");
        }
        DType dt = x.dtype();
        if ((dt != DType.F32 && dt != DType.F64) || gy.dtype() != dt) return Backend.super.geluBackward(x, gy);
        Tensor xc = x.contiguous(), gc = gy.contiguous();
        Tensor out = alloc(dt, x.shape());
        int n = out.numel(), xb = xc.offset(), gb = gc.offset();
        CpuStorage sx = st(xc), sg = st(gc), so = st(out);
        if (dt == DType.F32) {
            Parallel.forRange(n, FLAT_GRAIN, (s, e) -> k().geluBackward(sx.f32(), xb + s, sg.f32(), gb + s, so.f32(), s, e - s));
        } else {
            double invSqrt2 = 1 / Math.sqrt(2), invSqrt2Pi = 1 / Math.sqrt(2 * Math.PI);
            Parallel.forRange(n, FLAT_GRAIN, (s, e) -> {
                double[] a = sx.f64(), g = sg.f64(), o = so.f64();
                for (int i = s; i < e; i++) {
                    double v = a[xb + i];
                    double cdf = 0.5 * (1.0 + UnaryOp.ERF.apply(v * invSqrt2));
                    o[i] = g[gb + i] * (cdf + v * Math.exp(-0.5 * v * v) * invSqrt2Pi);
                }
            });
        }
        return out;
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b, DType outType) {
        int[] shape = Shape.broadcast(op.name(), a.shape(), b.shape());
        Tensor out = alloc(outType, shape);
        CpuStorage so = st(out), sa = st(a), sb = st(b);
        boolean f32 = outType == DType.F32 && a.dtype() == DType.F32 && b.dtype() == DType.F32 && !op.isComparison();
        boolean f64 = outType == DType.F64 && a.dtype() == DType.F64 && b.dtype() == DType.F64;
        StridedLoop.of(shape, out, a, b).run((off, len, is) -> {
            int oo = off[0], oa = off[1], ob = off[2];
            int so1 = is[0], sa1 = is[1], sb1 = is[2];
            if (f32 && so1 == 1) {
                if (sa1 == 1 && sb1 == 1) {
                    k().binary(op, sa.f32(), oa, sb.f32(), ob, so.f32(), oo, len);
                    return;
                }
                if (sa1 == 1 && sb1 == 0) {
                    k().binaryScalar(op, sa.f32(), oa, sb.f32()[ob], so.f32(), oo, len);
                    return;
                }
                if (sa1 == 0 && sb1 == 1) {
                    k().scalarBinary(op, sa.f32()[oa], sb.f32(), ob, so.f32(), oo, len);
                    return;
                }
            }
            if (f32) {
                float[] x = sa.f32(), y = sb.f32(), z = so.f32();
                for (int i = 0; i < len; i++) z[oo + i * so1] = (float) op.apply(x[oa + i * sa1], y[ob + i * sb1]);
            } else if (f64) {
                double[] x = sa.f64(), y = sb.f64(), z = so.f64();
                for (int i = 0; i < len; i++) z[oo + i * so1] = op.apply(x[oa + i * sa1], y[ob + i * sb1]);
            } else {
                for (int i = 0; i < len; i++) so.set(oo + i * so1, op.apply(sa.get(oa + i * sa1), sb.get(ob + i * sb1)));
            }
        });
        return out;
    }

    @Override
    public Tensor binaryScalar(BinaryOp op, Tensor x, double s, boolean scalarFirst) {
        DType outType = op.isComparison() ? DType.BOOL : x.dtype();
        Tensor c = x.contiguous();
        Tensor out = alloc(outType, x.shape());
        CpuStorage a = st(c), o = st(out);
        int base = c.offset();
        int n = out.numel();
        if (x.dtype() == DType.F32 && !op.isComparison()) {
            float v = (float) s;
            Parallel.forRange(n, FLAT_GRAIN, (st, e) -> {
                if (scalarFirst) k().scalarBinary(op, v, a.f32(), base + st, o.f32(), st, e - st);
                else k().binaryScalar(op, a.f32(), base + st, v, o.f32(), st, e - st);
            });
        } else {
            Parallel.forRange(n, FLAT_GRAIN, (st, e) -> {
                for (int i = st; i < e; i++) {
                    double xv = a.get(base + i);
                    o.set(i, scalarFirst ? op.apply(s, xv) : op.apply(xv, s));
                }
            });
        }
        return out;
    }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b, int[] outShape, DType outType) {
        Tensor out = alloc(outType, outShape);
        CpuStorage so = st(out), sc = st(cond), sa = st(a), sb = st(b);
        StridedLoop.of(outShape, out, cond, a, b).run((off, len, is) -> {
            byte[] c = sc.bool();
            if (outType == DType.F32) {
                float[] x = sa.f32(), y = sb.f32(), z = so.f32();
                for (int i = 0; i < len; i++) {
                    z[off[0] + i * is[0]] = c[off[1] + i * is[1]] != 0 ? x[off[2] + i * is[2]] : y[off[3] + i * is[3]];
                }
            } else {
                for (int i = 0; i < len; i++) {
                    so.set(off[0] + i * is[0], c[off[1] + i * is[1]] != 0 ? sa.get(off[2] + i * is[2]) : sb.get(off[3] + i * is[3]));
                }
            }
        });
        return out;
    }

    @Override
    public Tensor clamp(Tensor x, double lo, double hi) {
        Tensor c = x.contiguous();
        Tensor out = alloc(x.dtype(), x.shape());
        CpuStorage a = st(c), o = st(out);
        int base = c.offset();
        Parallel.forRange(out.numel(), FLAT_GRAIN, (s, e) -> {
            if (x.dtype() == DType.F32) {
                float l = (float) lo, h = (float) hi;
                float[] src = a.f32(), dst = o.f32();
                for (int i = s; i < e; i++) {
                    float v = src[base + i];
                    dst[i] = v < l ? l : (v > h ? h : v);
                }
            } else {
                for (int i = s; i < e; i++) {
                    double v = a.get(base + i);
                    o.set(i, v < lo ? lo : (v > hi ? hi : v));
                }
            }
        });
        return out;
    }

    @Override
    public void addInPlace(Tensor dst, Tensor src, double alpha) {
        CpuStorage d = st(dst), s = st(src);
        boolean f32 = dst.dtype() == DType.F32 && src.dtype() == DType.F32;
        StridedLoop.of(dst.shape(), dst, src).run((off, len, is) -> {
            if (f32 && is[0] == 1 && is[1] == 1) {
                k().axpy((float) alpha, s.f32(), off[1], d.f32(), off[0], len);
            } else if (f32) {
                float[] x = s.f32(), y = d.f32();
                float al = (float) alpha;
                for (int i = 0; i < len; i++) y[off[0] + i * is[0]] += al * x[off[1] + i * is[1]];
            } else {
                for (int i = 0; i < len; i++) {
                    int o = off[0] + i * is[0];
                    d.set(o, d.get(o) + alpha * s.get(off[1] + i * is[1]));
                }
            }
        });
    }

    @Override
    public void scaleInPlace(Tensor dst, double s) {
        CpuStorage d = st(dst);
        StridedLoop.of(dst.shape(), dst).run((off, len, is) -> {
            if (dst.dtype() == DType.F32 && is[0] == 1) {
                k().binaryScalar(BinaryOp.MUL, d.f32(), off[0], (float) s, d.f32(), off[0], len);
            } else {
                for (int i = 0; i < len; i++) {
                    int o = off[0] + i * is[0];
                    d.set(o, d.get(o) * s);
                }
            }
        });
    }

    // ------------------------------------------------------------------ reductions

    @Override
    public Tensor reduce(ReduceOp op, Tensor x, int[] axes, boolean keepDims) {
        return CpuReduce.reduce(op, x, axes, keepDims);
    }

    @Override
    public Tensor variance(Tensor x, int[] axes, int correction, boolean keepDims) {
        int count = 1;
        for (int a : axes) count *= x.dim(a);
        Tensor mean = x.reduce(ReduceOp.MEAN, axes, true);
        Tensor ss = x.sub(mean).square().reduce(ReduceOp.SUM, axes, keepDims);
        return ss.div(Math.max(0, count - correction));
    }

    // ------------------------------------------------------------------ matmul

    @Override
    public Tensor matmul(Tensor a, Tensor b, int[] outShape) {
        return CpuMatmul.matmul(a, b, outShape);
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return CpuMatmul.linear(x, w, bias);
    }

    @Override
    public void linearInPlace(Tensor dst, Tensor x, Tensor w, Tensor bias) {
        if (!CpuMatmul.linearInto(dst, x, w, bias)) Backend.super.linearInPlace(dst, x, w, bias);
    }

    // ------------------------------------------------------------------ shape ops that copy

    @Override
    public Tensor concat(Tensor[] parts, int axis, int[] outShape) {
        Tensor out = alloc(parts[0].dtype(), outShape);
        int start = 0;
        for (Tensor p : parts) {
            int len = p.dim(axis);
            if (len > 0) copyInPlace(out.narrow(axis, start, len), p);
            start += len;
        }
        return out;
    }

    @Override
    public Tensor pad(Tensor x, int[] pads, double value) {
        int[] s = x.shape();
        int[] os = new int[s.length];
        for (int i = 0; i < s.length; i++) os[i] = s[i] + pads[2 * i] + pads[2 * i + 1];
        Tensor out = alloc(x.dtype(), os);
        fillInPlace(out, value);
        Tensor inner = out;
        for (int i = 0; i < s.length; i++) inner = inner.narrow(i, pads[2 * i], s[i]);
        copyInPlace(inner, x);
        return out;
    }

    // ------------------------------------------------------------------ indexing

    @Override
    public Tensor gather(Tensor x, int dim, Tensor index) {
        return CpuIndexing.gather(x, dim, index);
    }

    @Override
    public Tensor scatterAdd(Tensor base, int dim, Tensor index, Tensor src) {
        return CpuIndexing.scatterAdd(base, dim, index, src);
    }

    @Override
    public Tensor indexSelect(Tensor x, int dim, Tensor index) {
        return CpuIndexing.indexSelect(x, dim, index);
    }

    @Override
    public Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src) {
        return CpuIndexing.indexAdd(shape, dim, index, src);
    }

    @Override
    public Tensor oneHot(Tensor index, int classes) {
        return CpuIndexing.oneHot(index, classes);
    }

    @Override
    public Tensor[] topk(Tensor x, int k, int dim, boolean largest) {
        return CpuIndexing.topk(x, k, dim, largest);
    }

    @Override
    public Tensor[] sort(Tensor x, int dim, boolean descending) {
        return CpuIndexing.sort(x, dim, descending);
    }

    @Override
    public Tensor cumsum(Tensor x, int dim) {
        return CpuIndexing.cumsum(x, dim);
    }

    @Override
    public Tensor bincount(Tensor x, int minLength) {
        return CpuIndexing.bincount(x, minLength);
    }

    // ------------------------------------------------------------------ fused

    @Override
    public Tensor softmax(Tensor x, int dim) {
        return CpuFused.softmax(x, dim);
    }

    @Override
    public Tensor logSoftmax(Tensor x, int dim) {
        return CpuFused.logSoftmax(x, dim);
    }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor gy, int dim) {
        return CpuFused.softmaxBackward(y, gy, dim);
    }

    @Override
    public Tensor logSoftmaxBackward(Tensor y, Tensor gy, int dim) {
        return CpuFused.logSoftmaxBackward(y, gy, dim);
    }

    @Override
    public Tensor[] layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        return CpuFused.layerNorm(x, gamma, beta, eps);
    }

    @Override
    public Tensor[] layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor gy, boolean needGammaBeta) {
        return CpuFused.layerNormBackward(x, gamma, mean, rstd, gy, needGammaBeta);
    }

    @Override
    public Tensor[] rmsNorm(Tensor x, Tensor gamma, double eps) {
        return CpuFused.rmsNorm(x, gamma, eps);
    }

    @Override
    public Tensor[] rmsNormBackward(Tensor x, Tensor gamma, Tensor rstd, Tensor gy, boolean needGamma) {
        return CpuFused.rmsNormBackward(x, gamma, rstd, gy, needGamma);
    }

    @Override
    public Tensor[] crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing) {
        return CpuFused.crossEntropy(logits, targets, ignoreIndex, labelSmoothing);
    }

    @Override
    public Tensor crossEntropyBackward(Tensor logProbs, Tensor targets, Tensor gLoss, int ignoreIndex, double labelSmoothing) {
        return CpuFused.crossEntropyBackward(logProbs, targets, gLoss, ignoreIndex, labelSmoothing);
    }

    @Override
    public Tensor[] attention(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, int causalOffset, double scale) {
        return CpuAttention.forward(q, k, v, keyPadding, causal, causalOffset, scale);
    }

    @Override
    public Tensor[] attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor keyPadding,
                                      boolean causal, int causalOffset, double scale) {
        return CpuAttention.backward(q, k, v, out, lse, gOut, keyPadding, causal, causalOffset, scale);
    }

    @Override
    public Tensor linearAttention(Tensor q, Tensor k, Tensor v, Tensor keyPadding) {
        return CpuLinearAttention.forward(q, k, v, keyPadding);
    }

    @Override
    public Tensor[] linearAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor gOut, Tensor keyPadding) {
        return CpuLinearAttention.backward(q, k, v, out, gOut, keyPadding);
    }

    @Override
    public Tensor[] dropout(Tensor x, double p, Rng rng) {
        return CpuRandom.dropout(x, p, rng);
    }

    @Override
    public void adamWStepInPlace(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1,
                                 double beta2, double eps, double weightDecay, long step) {
        CpuFused.adamWStep(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    }
}
