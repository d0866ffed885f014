package dev.tessera.kernels;

import static dev.tessera.tensor.Attention.composite;
import static dev.tessera.tensor.Attention.compositeBackward;

import dev.tessera.kernels.memory.MemoryStats;
import dev.tessera.kernels.ops.Attention;
import dev.tessera.kernels.ops.Elementwise;
import dev.tessera.kernels.ops.Fused;
import dev.tessera.kernels.ops.Gpu;
import dev.tessera.kernels.ops.Indexing;
import dev.tessera.kernels.ops.LinearAttentionKernels;
import dev.tessera.kernels.ops.Matmul;
import dev.tessera.kernels.ops.MatmulPrecision;
import dev.tessera.kernels.ops.MoeKernels;
import dev.tessera.kernels.ops.Reductions;
import dev.tessera.kernels.ops.Sorting;
import dev.tessera.kernels.runtime.CudaDevice;
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
import java.lang.foreign.MemorySegment;

/**
 * The CUDA backend: every op of the {@link Backend} SPI on one GPU. Matmuls go through cuBLAS,
 * everything else through Tessera's CUDA C kernels (compiled at run time by NVRTC and cached, or
 * the shipped PTX). Semantics, dtypes and error messages follow the CPU backend, which the GPU
 * test suite uses as the oracle. Work is queued on the device's stream; reading data back waits.
 *
 * <pre>{@code
 * Tensor x = Tensor.randn(new Rng(1), DType.F32, 1024, 1024).to(Device.cuda(0));
 * Tensor y = x.matmul(x).relu();           // runs on the GPU
 * float[] host = y.toFloatArray();         // copies back
 * }</pre>
 */
public final class CudaBackend implements Backend {
    private static volatile MatmulPrecision precision = MatmulPrecision.fromProperty();

    private final Device device;
    private final CudaDevice dev;
    private final Gpu g;
    private final Elementwise ew;
    private final Reductions red;
    private final Matmul mm;
    private final Indexing ix;
    private final Sorting sorting;
    private final Fused fused;
    private final Attention attention;
    private final MoeKernels moe;
    private final LinearAttentionKernels linearAttention;

    /** The backend of {@code device} running on {@code dev}. */
    public CudaBackend(Device device, CudaDevice dev) {
        this.device = device;
        this.dev = dev;
        this.g = new Gpu(dev, device);
        this.ew = new Elementwise(g);
        this.red = new Reductions(g);
        this.mm = new Matmul(g, ew);
        this.ix = new Indexing(g);
        this.sorting = new Sorting(g);
        this.fused = new Fused(g, ix);
        this.attention = new Attention(g, CudaBackend::matmulPrecision);
        this.moe = new MoeKernels(g);
        this.linearAttention = new LinearAttentionKernels(g);
    }

    /**
     * The float32 precision of every CUDA backend ({@code --precision}): how matmuls use the tensor
     * cores (F32, TF32, BF16) and whether attention runs its bf16 tensor-core kernels on F32 inputs
     * (BF16); see {@link MatmulPrecision}.
     */
    public static MatmulPrecision matmulPrecision() {
        return precision;
    }

    /** Sets the float32 precision (F32, TF32 or BF16) of matmuls and attention for every CUDA backend. */
    public static void setMatmulPrecision(MatmulPrecision p) {
        precision = java.util.Objects.requireNonNull(p, "precision");
    }

    /** The CUDA device. */
    public CudaDevice cudaDevice() {
        return dev;
    }

    /** Allocator statistics of this device. */
    public MemoryStats memoryStats() {
        return dev.memoryStats();
    }

    /** Waits for all queued work on this device. */
    public void synchronize() {
        dev.synchronize();
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public Storage allocate(DType dtype, int numel) {
        return CudaStorage.allocate(dev, device, dtype, numel);
    }

    @Override
    public Object toArray(Tensor t) {
        Tensor c = t.isContiguous() ? t : t.copy();
        int n = c.numel();
        long bytes = (long) n * c.dtype().byteSize();
        Object carrier = switch (c.dtype()) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I32 -> new int[n];
            case BOOL -> new byte[n];
            case BF16 -> new short[n];
        };
        if (n > 0) dev.toHost(Gpu.ptr(c), heap(carrier), bytes);
        if (c.dtype() == DType.BOOL) {
            byte[] b = (byte[]) carrier;
            boolean[] r = new boolean[n];
            for (int i = 0; i < n; i++) r[i] = b[i] != 0;
            return r;
        }
        return carrier;
    }

    private static MemorySegment heap(Object a) {
        return switch (a) {
            case float[] f -> MemorySegment.ofArray(f);
            case double[] d -> MemorySegment.ofArray(d);
            case int[] i -> MemorySegment.ofArray(i);
            case byte[] b -> MemorySegment.ofArray(b);
            case short[] s -> MemorySegment.ofArray(s);
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
            case float[] f when dtype == DType.F32 -> f;
            case double[] d when dtype == DType.F64 -> d;
            case int[] i when dtype == DType.I32 -> i;
            case short[] s when dtype == DType.BF16 -> s;
            case byte[] b when dtype == DType.BOOL -> b;
            default -> throw new IllegalArgumentException("fromArray: array " + array.getClass().getSimpleName()
                    + " does not hold dtype " + dtype);
        };
        int n = java.lang.reflect.Array.getLength(carrier);
        if (n != Shape.numel(shape)) {
            throw new IllegalArgumentException("fromArray: " + n + " values for shape " + Shape.str(shape));
        }
        Tensor t = g.alloc(dtype, shape);
        if (n > 0) dev.toDevice(heap(carrier), Gpu.ptr(t), (long) n * dtype.byteSize());
        return t;
    }

    // ------------------------------------------------------------------ creation and copies

    @Override
    public void fillInPlace(Tensor dst, double value) {
        ew.fill(dst, value);
    }

    @Override
    public void copyInPlace(Tensor dst, Tensor src) {
        ew.copy(dst, src);
    }

    @Override
    public void fillUniformInPlace(Tensor dst, Rng rng, double lo, double hi) {
        fused.fill("fillUniform", dst, rng, lo, hi, false);
    }

    @Override
    public void fillNormalInPlace(Tensor dst, Rng rng, double mean, double std) {
        fused.fill("fillNormal", dst, rng, mean, std, true);
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public Tensor unary(UnaryOp op, Tensor x) {
        return ew.unary(op, x);
    }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b, DType outType) {
        return ew.binary(op, a, b, outType);
    }

    @Override
    public Tensor binaryScalar(BinaryOp op, Tensor x, double s, boolean scalarFirst) {
        return ew.binaryScalar(op, x, s, scalarFirst);
    }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b, int[] outShape, DType outType) {
        return ew.where(cond, a, b, outShape, outType);
    }

    @Override
    public Tensor clamp(Tensor x, double lo, double hi) {
        return ew.clamp(x, lo, hi);
    }

    @Override
    public void addInPlace(Tensor dst, Tensor src, double alpha) {
        ew.addInPlace(dst, src, alpha);
    }

    @Override
    public void scaleInPlace(Tensor dst, double s) {
        ew.scaleInPlace(dst, s);
    }

    // ------------------------------------------------------------------ reductions

    @Override
    public Tensor reduce(ReduceOp op, Tensor x, int[] axes, boolean keepDims) {
        return red.reduce(op, x, axes, keepDims);
    }

    @Override
    public Tensor variance(Tensor x, int[] axes, int correction, boolean keepDims) {
        return red.variance(x, axes, correction, keepDims);
    }

    // ------------------------------------------------------------------ linear algebra

    @Override
    public Tensor matmul(Tensor a, Tensor b, int[] outShape) {
        return mm.matmul(a, b, outShape, precision);
    }

    /** A matmul with an explicit float32 precision (for tests and benchmarks). */
    public Tensor matmul(Tensor a, Tensor b, int[] outShape, MatmulPrecision p) {
        return mm.matmul(a, b, outShape, p);
    }

    // ------------------------------------------------------------------ shape ops that copy

    @Override
    public Tensor concat(Tensor[] parts, int axis, int[] outShape) {
        Tensor out = g.alloc(parts[0].dtype(), outShape);
        int start = 0;
        for (Tensor p : parts) {
            int len = p.dim(axis);
            if (len > 0) ew.copy(out.narrow(axis, start, len), p);
            start += len;
        }
        return out;
    }

    @Override
    public Tensor pad(Tensor x, int[] pads, double value) {
        int[] s = x.shape();
        int[] os = new int[s.length];
        for (int i = 0; i < s.length; i++) os[i] = s[i] + pads[2 * i] + pads[2 * i + 1];
        Tensor out = g.alloc(x.dtype(), os);
        ew.fill(out, value);
        Tensor inner = out;
        for (int i = 0; i < s.length; i++) inner = inner.narrow(i, pads[2 * i], s[i]);
        ew.copy(inner, x);
        return out;
    }

    // ------------------------------------------------------------------ indexing

    @Override
    public Tensor gather(Tensor x, int dim, Tensor index) {
        return ix.gather(x, dim, index);
    }

    @Override
    public Tensor scatterAdd(Tensor base, int dim, Tensor index, Tensor src) {
        return ix.scatterAdd(base, dim, index, src);
    }

    @Override
    public Tensor indexSelect(Tensor x, int dim, Tensor index) {
        return ix.indexSelect(x, dim, index);
    }

    @Override
    public Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src) {
        return ix.indexAdd(shape, dim, index, src);
    }

    @Override
    public Tensor oneHot(Tensor index, int classes) {
        return ix.oneHot(index, classes);
    }

    @Override
    public Tensor[] topk(Tensor x, int k, int dim, boolean largest) {
        return sorting.topk(x, k, dim, largest);
    }

    @Override
    public Tensor[] sort(Tensor x, int dim, boolean descending) {
        return sorting.sort(x, dim, descending);
    }

    @Override
    public Tensor cumsum(Tensor x, int dim) {
        return ix.cumsum(x, dim);
    }

    @Override
    public Tensor bincount(Tensor x, int minLength) {
        return ix.bincount(x, minLength);
    }

    // ------------------------------------------------------------------ fused

    @Override
    public Tensor softmax(Tensor x, int dim) {
        return fused.softmax(x, dim, false);
    }

    @Override
    public Tensor logSoftmax(Tensor x, int dim) {
        return fused.softmax(x, dim, true);
    }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor gy, int dim) {
        return fused.softmaxBackward("softmaxBackward", y, gy, dim, false);
    }

    @Override
    public Tensor logSoftmaxBackward(Tensor y, Tensor gy, int dim) {
        return fused.softmaxBackward("logSoftmaxBackward", y, gy, dim, true);
    }

    @Override
    public Tensor[] layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        return fused.norm(x, gamma, beta, eps, true);
    }

    @Override
    public Tensor[] layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor gy, boolean needGammaBeta) {
        return fused.normBackward("layerNormBackward", x, gamma, mean, rstd, gy, needGammaBeta, true);
    }

    @Override
    public Tensor[] rmsNorm(Tensor x, Tensor gamma, double eps) {
        return fused.norm(x, gamma, null, eps, false);
    }

    @Override
    public Tensor[] rmsNormBackward(Tensor x, Tensor gamma, Tensor rstd, Tensor gy, boolean needGamma) {
        Tensor[] r = fused.normBackward("rmsNormBackward", x, gamma, null, rstd, gy, needGamma, false);
        return new Tensor[] {r[0], r[1]};
    }

    @Override
    public Tensor[] crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing) {
        return fused.crossEntropy(logits, targets, ignoreIndex, labelSmoothing);
    }

    /**
     * Cross-entropy loss and its logits gradient in one pass (optionally overwriting the logits);
     * see {@link Fused#crossEntropyWithGrad}.
     */
    public Tensor[] crossEntropyWithGrad(Tensor logits, Tensor targets, int ignoreIndex, double labelSmoothing, Tensor gLoss,
                                         double gScale, boolean inPlace) {
        return fused.crossEntropyWithGrad(logits, targets, ignoreIndex, labelSmoothing, gLoss, gScale, inPlace);
    }

    @Override
    public Tensor crossEntropyBackward(Tensor logProbs, Tensor targets, Tensor gLoss, int ignoreIndex, double labelSmoothing) {
        return fused.crossEntropyBackward(logProbs, targets, gLoss, ignoreIndex, labelSmoothing);
    }

    @Override
    public Tensor[] dropout(Tensor x, double p, Rng rng) {
        return fused.dropout(x, p, rng);
    }

    // ------------------------------------------------------------------ attention

    /**
     * The SPI's fused attention: the CUDA kernels below for F32 with head dims up to
     * {@link Attention#MAX_HEAD_DIM} and a non-negative causal offset, otherwise (F64, wider heads) the
     * composite of {@link dev.tessera.tensor.Attention#composite} on this device.
     */
    @Override
    public Tensor[] attention(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, int causalOffset, double scale) {
        if (fusedAttention(q, v, causalOffset)) {
            Attention.Result r = attention.forward(q, k, v, keyPadding, causal, scale, causalOffset);
            return new Tensor[] {r.out(), r.lse()};
        }
        var r = composite(q, k, v, keyPadding, causal, causalOffset, scale);
        return new Tensor[] {r.out(), r.lse()};
    }

    @Override
    public Tensor[] attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor keyPadding,
                                      boolean causal, int causalOffset, double scale) {
        if (fusedAttention(q, v, causalOffset)) {
            Attention.Grads g = attention.backward(q, k, v, out, lse, gOut, keyPadding, causal, scale, causalOffset);
            return new Tensor[] {g.dq(), g.dk(), g.dv()};
        }
        var g = compositeBackward(q, k, v, out, lse, gOut, keyPadding, causal, causalOffset, scale);
        return new Tensor[] {g.dq(), g.dk(), g.dv()};
    }

    private static boolean fusedAttention(Tensor q, Tensor v, int causalOffset) {
        return causalOffset >= 0 && f32HeadDimsUpTo(q, v, Attention.MAX_HEAD_DIM);
    }

    /** F32 operands whose head dims (q's D and v's Dv) are in [1, max]: what the fused kernels take. */
    private static boolean f32HeadDimsUpTo(Tensor q, Tensor v, int max) {
        int d = q.dim(3), dv = v.dim(3);
        return q.dtype() == DType.F32 && d >= 1 && dv >= 1 && d <= max && dv <= max;
    }

    /**
     * The SPI's non-causal linear attention: the CUDA kernels of {@link #linearAttentionKernels()} for F32 with head
     * dims up to {@link LinearAttentionKernels#MAX_HEAD_DIM}, otherwise (F64, wider heads) the composite on this device.
     */
    @Override
    public Tensor linearAttention(Tensor q, Tensor k, Tensor v, Tensor keyPadding) {
        if (fusedLinearAttention(q, v)) return linearAttention.forward(q, k, v, keyPadding, false);
        return Backend.super.linearAttention(q, k, v, keyPadding);
    }

    @Override
    public Tensor[] linearAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor gOut, Tensor keyPadding) {
        if (fusedLinearAttention(q, v)) return linearAttention.backward(q, k, v, keyPadding, false, gOut);
        return Backend.super.linearAttentionBackward(q, k, v, out, gOut, keyPadding);
    }

    private static boolean fusedLinearAttention(Tensor q, Tensor v) {
        return f32HeadDimsUpTo(q, v, LinearAttentionKernels.MAX_HEAD_DIM);
    }

    /**
     * The fused attention kernels of this device, for callers that pick the kernel precision
     * themselves (BF16 inputs with head dims 32/64/128 run on tensor cores); the SPI's
     * attention op takes F32 and F64 only.
     */
    public Attention attentionKernels() {
        return attention;
    }

    /** The MoE routing kernels of this device (gating, dispatch plan, permute, combine and their backwards). */
    public MoeKernels moeKernels() {
        return moe;
    }

    /** The linear (elu + 1) attention kernels of this device, causal (chunked) and non-causal, with backward. */
    public LinearAttentionKernels linearAttentionKernels() {
        return linearAttention;
    }

    @Override
    public void adamWStepInPlace(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1,
                                 double beta2, double eps, double weightDecay, long step) {
        fused.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    }
}
