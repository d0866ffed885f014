package dev.tessera.kernels.gpu;

import static dev.tessera.kernels.gpu.GpuFixture.CUDA;
import static dev.tessera.kernels.gpu.GpuFixture.close;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.memory.Scope;
import dev.tessera.kernels.ops.MatmulPrecision;
import dev.tessera.tensor.Backend;
import dev.tessera.tensor.Backends;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.ReduceOp;
import dev.tessera.tensor.ops.UnaryOp;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every op of the Backend SPI on the GPU against the CPU backend, on fresh random inputs (the seed
 * is printed; replay with -Dtessera.test.seed), with every new device allocation poisoned with NaN
 * so unwritten output elements fail. Odd sizes, broadcasting and strided views throughout.
 */
@Tag("gpu")
class CudaOpsGpuTest {
    static CudaBackend be;
    static final Backend CPU = Backends.of(Device.cpu());

    @BeforeAll
    static void setUp() {
        be = GpuFixture.require();
    }

    /** Runs f on CPU inputs and on their GPU copies and compares. */
    static void check(String what, double tol, Function<Tensor[], Tensor> f, Tensor... cpuIn) {
        Tensor[] gpuIn = new Tensor[cpuIn.length];
        for (int i = 0; i < cpuIn.length; i++) gpuIn[i] = cpuIn[i] == null ? null : cpuIn[i].to(CUDA);
        Tensor ref = f.apply(cpuIn);
        Tensor got = f.apply(gpuIn);
        close(what, ref, got, tol);
    }

    static Tensor randn(Rng r, DType dt, int... shape) {
        return Tensor.randn(r, DType.F32, shape).to(dt);
    }

    static Tensor ints(Rng r, int lo, int hi, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = lo + r.nextInt(hi - lo);
        return Tensor.of(v, shape);
    }

    @Test
    void copiesFillsAndConversionsBetweenEveryDtype() {
        Rng r = new Rng(GpuFixture.seed("copies"));
        Tensor x = randn(r, DType.F32, 17, 129).mul(100.0);
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                Tensor src = x.to(from);
                check("to " + from + "->" + to, 0, t -> t[0].to(to), src);
                check("strided to " + from + "->" + to, 0, t -> t[0].mT().slice(0, 1, 120, 3).to(to), src);
            }
            check("fill " + from, 0, t -> {
                Tensor z = t[0].to(from).copy();
                z.slice(1, 2, 100, 7).fillInPlace(-3.75);
                return z;
            }, x);
        }
        check("broadcast copyFrom", 0, t -> Tensor.zeros(DType.F32, t[0].device(), 5, 17, 129).copyFrom(t[0]), x);
        check("concat", 0, t -> Tensor.concat(1, t[0], t[0].slice(1, 3, 50), t[0].mul(2.0)), x);
        check("stack", 0, t -> Tensor.stack(0, t[0], t[0].neg()), x);
        check("pad", 0, t -> t[0].pad(new int[] {1, 2, 0, 3}, -1.5), x);
        check("pad I32", 0, t -> t[0].to(DType.I32).pad(new int[] {2, 0, 1, 1}, 7), x);
        check("contiguous of permuted", 0, t -> t[0].reshape(17, 3, 43).permute(2, 0, 1).contiguous(), x);
    }

    @Test
    void unaryOpsOnEveryFloatLayout() {
        Rng r = new Rng(GpuFixture.seed("unary"));
        Tensor x = randn(r, DType.F32, 33, 129).mul(3.0);
        Tensor pos = x.abs().add(0.01);
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
            Tensor in = positive ? pos : x;
            check(op + " f32", GpuFixture.F32, t -> t[0].unary(op), in);
            check(op + " f32 strided", GpuFixture.F32, t -> t[0].mT().slice(0, 1, 129, 2).unary(op), in);
            check(op + " f32 offset", GpuFixture.F32, t -> t[0].flatten().slice(0, 1, 4000).unary(op), in);
            check(op + " f64", 1e-12, t -> t[0].to(DType.F64).unary(op), in);
            check(op + " bf16", GpuFixture.BF16, t -> t[0].to(DType.BF16).unary(op), in);
        }
        Tensor i = ints(r, -1000, 1000, 7, 31);
        for (UnaryOp op : List.of(UnaryOp.NEG, UnaryOp.ABS, UnaryOp.SIGN, UnaryOp.SQUARE, UnaryOp.RELU, UnaryOp.EXP)) {
            check(op + " i32", GpuFixture.F32, t -> t[0].unary(op), i);
        }
        check("nan and inf", GpuFixture.F32, t -> t[0].exp().add(t[0].log()).relu(),
                Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, -1f, 1f}));
    }

    @Test
    void binaryOpsWithBroadcastingAndPromotion() {
        Rng r = new Rng(GpuFixture.seed("binary"));
        Tensor a = randn(r, DType.F32, 5, 1, 129), b = randn(r, DType.F32, 17, 129);
        Tensor ia = ints(r, -5, 6, 5, 1, 129), ib = ints(r, 1, 6, 17, 129);
        for (BinaryOp op : BinaryOp.values()) {
            Tensor base = op == BinaryOp.POW ? a.abs() : a;
            check(op + " f32 broadcast", GpuFixture.F32, t -> t[0].binary(op, t[1]), base, b);
            check(op + " f32 same shape", GpuFixture.F32, t -> t[0].binary(op, t[1]), b, b.mul(-0.7).add(0.3));
            check(op + " f32 transposed", GpuFixture.F32, t -> t[0].mT().binary(op, t[1].mT()), b, b.mul(0.5));
            check(op + " f64", 1e-12, t -> t[0].to(DType.F64).binary(op, t[1].to(DType.F64)), base, b);
            check(op + " i32", GpuFixture.F32, t -> t[0].binary(op, t[1]), ia, ib);
            check(op + " i32 x f32", GpuFixture.F32, t -> t[0].binary(op, t[1]), ia, b);
            check(op + " bf16", GpuFixture.BF16, t -> t[0].to(DType.BF16).binary(op, t[1].to(DType.BF16)), base, b);
            check(op + " bool", 0, t -> t[0].gt(0.0).binary(op, t[1].lt(0.5)), a, b);
            for (double s : new double[] {0.3, -2.0, 3.0}) {
                check(op + " scalar " + s, GpuFixture.F32, t -> t[0].binary(op, s), b);
                check(op + " rscalar " + s, GpuFixture.F32, t -> t[0].rbinary(op, s), base.abs().add(0.1));
                check(op + " i32 scalar " + s, GpuFixture.F32, t -> t[0].binary(op, s), ib);
                check(op + " f64 scalar " + s, 1e-12, t -> t[0].to(DType.F64).binary(op, s), b);
            }
        }
        check("max/min of signed zeros and NaN", 0, t -> t[0].maximum(t[1]).add(t[0].minimum(t[1])),
                Tensor.of(new float[] {-0f, 0f, Float.NaN, 1f}), Tensor.of(new float[] {0f, -0f, 2f, Float.NaN}));
    }

    @Test
    void whereClampAndInPlaceUpdates() {
        Rng r = new Rng(GpuFixture.seed("where"));
        Tensor a = randn(r, DType.F32, 17, 1), b = randn(r, DType.F32, 1, 33), c = randn(r, DType.F32, 17, 33);
        check("where", 0, t -> Tensor.where(t[2].gt(0.0), t[0], t[1]), a, b, c);
        check("where i32", 0, t -> Tensor.where(t[2].gt(0.0), t[0].to(DType.I32), t[1].mul(10.0).to(DType.I32)), a, b, c);
        check("where f64", 0, t -> Tensor.where(t[2].gt(0.0), t[0].to(DType.F64), t[1].to(DType.F64)), a, b, c);
        check("clamp", 0, t -> t[0].clamp(-0.5, 0.25), c);
        check("clamp i32", 0, t -> t[0].mul(10.0).to(DType.I32).clamp(-3, 4), c);
        check("clamp inf", 0, t -> t[0].clamp(Double.NEGATIVE_INFINITY, 0.1), c);
        check("addInPlace broadcast", GpuFixture.F32, t -> t[2].copy().addInPlace(t[0], -0.75), a, b, c);
        check("addInPlace same", GpuFixture.F32, t -> t[2].copy().addInPlace(t[2].neg(), 0.5), a, b, c);
        check("addInPlace strided", GpuFixture.F32, t -> {
            Tensor z = t[2].copy();
            z.mT().addInPlace(t[2].mT().mul(2.0), 1.5);
            return z;
        }, a, b, c);
        check("addInPlace f64", 1e-12, t -> t[2].to(DType.F64).copy().addInPlace(t[1].to(DType.F64), 3.0), a, b, c);
        check("scaleInPlace", GpuFixture.F32, t -> t[2].copy().scaleInPlace(0.1), a, b, c);
        check("scaleInPlace i32", 0, t -> t[2].mul(100.0).to(DType.I32).scaleInPlace(3), a, b, c);
    }

    @Test
    void reductionsOverEveryAxisSet() {
        Rng r = new Rng(GpuFixture.seed("reduce"));
        Tensor x = randn(r, DType.F32, 7, 17, 33);
        int[][] axesSets = {{}, {0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1}};
        for (ReduceOp op : ReduceOp.values()) {
            for (int[] axes : axesSets) {
                boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
                if (arg && axes.length != 1) continue;
                for (boolean keep : new boolean[] {false, true}) {
                    String w = op + " axes " + java.util.Arrays.toString(axes) + " keep " + keep;
                    Tensor in = op == ReduceOp.PROD ? x.mul(0.2).add(1.0) : x;
                    check(w, GpuFixture.F32, t -> t[0].reduce(op, axes, keep), in);
                    check(w + " f64", 1e-12, t -> t[0].to(DType.F64).reduce(op, axes, keep), in);
                    check(w + " strided", GpuFixture.F32, t -> t[0].permute(2, 0, 1).reduce(op, axes, keep), in);
                    check(w + " i32", GpuFixture.F32, t -> t[0].mul(10.0).to(DType.I32).reduce(op, axes, keep), in);
                }
            }
        }
        Tensor big = randn(r, DType.F32, 3 << 20);
        check("sum of 3M (chunked)", GpuFixture.F32, t -> t[0].sum(), big);
        check("logsumexp of 3M", GpuFixture.F32, t -> t[0].logsumexp(0), big);
        check("argmax of 3M", 0, t -> t[0].argmax(0), big);
        Tensor nan = Tensor.of(new float[] {1, Float.NaN, 5, Float.NaN, Float.NEGATIVE_INFINITY}, 5);
        for (ReduceOp op : ReduceOp.values()) check(op + " with NaN", 0, t -> t[0].reduce(op, new int[] {0}, false), nan);
        check("logsumexp all -inf", 0, t -> t[0].logsumexp(0), Tensor.full(DType.F32, Double.NEGATIVE_INFINITY, 4));
        check("sum of empty dim", 0, t -> t[0].sum(1), Tensor.zeros(DType.F32, 3, 0));
        for (int c : new int[] {0, 1}) {
            check("var correction " + c, GpuFixture.F32, t -> t[0].var(new int[] {1}, c, false), x);
        }
    }

    @Test
    void matmulInEveryPrecisionAndLayout() {
        Rng r = new Rng(GpuFixture.seed("matmul"));
        int[][] mnk = {{1, 1, 1}, {17, 129, 33}, {128, 128, 128}, {129, 1, 257}, {64, 96, 1}};
        MatmulPrecision before = CudaBackend.matmulPrecision();
        try {
            MatmulPrecision[] precisions = {MatmulPrecision.F32, MatmulPrecision.TF32, MatmulPrecision.BF16};
            double[] tols = {GpuFixture.F32, GpuFixture.TF32, GpuFixture.BF16};
            for (int pi = 0; pi < precisions.length; pi++) {
                MatmulPrecision[] p = {precisions[pi]};
                CudaBackend.setMatmulPrecision(p[0]);
                double tol = tols[pi];
                for (int[] s : mnk) {
                    Tensor a = randn(r, DType.F32, s[0], s[2]), b = randn(r, DType.F32, s[2], s[1]);
                    String w = p[0] + " " + java.util.Arrays.toString(s);
                    check(w, tol, t -> t[0].matmul(t[1]), a, b);
                    check(w + " A^T", tol, t -> t[0].mT().contiguous().mT().matmul(t[1]), a, b);
                    check(w + " B^T", tol, t -> t[0].matmul(t[1].mT().contiguous().mT()), a, b);
                }
                Tensor ba = randn(r, DType.F32, 3, 1, 17, 33), bb = randn(r, DType.F32, 4, 33, 9);
                check(p[0] + " broadcast batch", tol, t -> t[0].matmul(t[1]), ba, bb);
                check(p[0] + " batch x matrix", tol, t -> t[1].mT().matmul(t[0].select(1, 0).select(0, 0).mT()), ba, bb);
                check(p[0] + " vector", tol, t -> t[0].select(0, 0).select(0, 0).matmul(t[1].select(0, 1)), ba, bb);
                check(p[0] + " sliced batch", tol, t -> t[1].slice(0, 0, 4, 2).matmul(t[1].select(0, 3).mT()), ba, bb);
            }
            check("f64", 1e-12, t -> t[0].matmul(t[1]), randn(r, DType.F64, 33, 17), randn(r, DType.F64, 17, 5));
            check("zero inner dimension", 0, t -> t[0].matmul(t[1]), Tensor.zeros(DType.F32, 3, 0), Tensor.zeros(DType.F32, 0, 4));
        } finally {
            CudaBackend.setMatmulPrecision(before);
        }
    }

    @Test
    void indexingOps() {
        Rng r = new Rng(GpuFixture.seed("indexing"));
        Tensor x = randn(r, DType.F32, 7, 33, 5);
        Tensor gi = ints(r, 0, 33, 7, 20, 5);
        for (DType dt : DType.values()) {
            check("gather " + dt, 0, t -> t[0].to(dt).gather(1, t[1]), x, gi);
            check("gather strided " + dt, 0, t -> t[0].to(dt).permute(0, 2, 1).gather(2, t[1].permute(0, 2, 1)), x, gi);
            check("scatterAdd " + dt, dt == DType.BF16 ? GpuFixture.BF16 : GpuFixture.F32,
                    t -> t[0].to(dt).scatterAdd(1, t[1], t[0].to(dt).slice(1, 0, 20)), x, gi);
            Tensor sel = ints(r, 0, 7, 11), sel5 = ints(r, 0, 5, 11);
            check("indexSelect " + dt, 0, t -> t[0].to(dt).indexSelect(0, t[1]), x, sel);
            check("indexSelect strided " + dt, 0, t -> t[0].to(dt).mT().indexSelect(1, t[1]), x, sel5);
            check("indexAdd " + dt, dt == DType.BF16 ? GpuFixture.BF16 : GpuFixture.F32,
                    t -> Tensor.indexAdd(new int[] {9, 33, 5}, 0, t[1], t[0].to(dt)), randn(r, DType.F32, 11, 33, 5), ints(r, 0, 9, 11));
        }
        check("oneHot", 0, t -> t[0].oneHot(40), gi);
        for (DType dt : List.of(DType.F32, DType.F64, DType.I32)) {
            check("cumsum " + dt, dt == DType.F64 ? 1e-12 : GpuFixture.F32, t -> t[0].mul(10.0).to(dt).cumsum(1), x);
            check("cumsum last " + dt, dt == DType.F64 ? 1e-12 : GpuFixture.F32, t -> t[0].to(dt).cumsum(2), x);
        }
        check("bincount", 0, t -> t[0].flatten().bincount(3), gi);
        check("bincount minLength", 0, t -> t[0].flatten().bincount(100), gi);
        // out-of-range indices give the CPU's message
        Tensor bad = Tensor.of(new int[] {0, 3, 40, 1, -2}, 5);
        String cpuMsg = assertThrows(IllegalArgumentException.class, () -> x.indexSelect(1, bad)).getMessage();
        String gpuMsg = assertThrows(IllegalArgumentException.class, () -> x.to(CUDA).indexSelect(1, bad.to(CUDA))).getMessage();
        assertEquals(cpuMsg, gpuMsg);
        String cpuB = assertThrows(IllegalArgumentException.class, () -> bad.bincount(0)).getMessage();
        String gpuB = assertThrows(IllegalArgumentException.class, () -> bad.to(CUDA).bincount(0)).getMessage();
        assertEquals(cpuB, gpuB);
    }

    @Test
    void sortAndTopkAreStableAndMatchTheCpu() {
        Rng r = new Rng(GpuFixture.seed("sort"));
        for (int n : new int[] {1, 17, 128, 129, 2048, 5000}) {
            Tensor x = randn(r, DType.F32, 6, n).mul(3.0).round(); // many ties
            for (DType dt : DType.values()) {
                if (dt == DType.BOOL && n > 129) continue;
                for (boolean desc : new boolean[] {false, true}) {
                    check("sort values " + dt + " n=" + n + " desc=" + desc, 0, t -> t[0].to(dt).sort(1, desc).values(), x);
                    check("sort indices " + dt + " n=" + n + " desc=" + desc, 0, t -> t[0].to(dt).sort(1, desc).indices(), x);
                    int k = Math.min(n, 5);
                    check("topk " + dt + " n=" + n, 0, t -> t[0].to(dt).topk(k, 1, desc).indices(), x);
                    check("topk dim 0 " + dt, 0, t -> t[0].to(dt).topk(3, 0, desc).values(), x);
                }
            }
        }
        Tensor nan = Tensor.of(new float[] {3, Float.NaN, -0f, 0f, Float.NEGATIVE_INFINITY, 3}, 6);
        check("sort with NaN and signed zeros", 0, t -> t[0].sort(0, false).indices(), nan);
        check("topk with NaN", 0, t -> t[0].topk(3, 0, true).indices(), nan);
    }

    @Test
    void fusedOps() {
        Rng r = new Rng(GpuFixture.seed("fused"));
        for (int n : new int[] {1, 17, 129, 1000, 4099}) {
            Tensor x = randn(r, DType.F32, 9, n).mul(4.0);
            for (DType dt : List.of(DType.F32, DType.F64, DType.BF16)) {
                double tol = GpuFixture.tol(dt);
                check("softmax " + dt + " n=" + n, tol, t -> t[0].to(dt).softmax(1), x);
                check("logSoftmax " + dt + " n=" + n, tol, t -> t[0].to(dt).logSoftmax(1), x);
                check("softmax dim 0 " + dt, tol, t -> t[0].to(dt).softmax(0), x);
                Tensor gy = randn(r, dt, 9, n);
                check("softmaxBackward " + dt, tol, t -> t[0].backend().softmaxBackward(t[0].to(dt).softmax(1), t[1], 1), x, gy);
                check("logSoftmaxBackward " + dt, tol,
                        t -> t[0].backend().logSoftmaxBackward(t[0].to(dt).logSoftmax(1), t[1], 1), x, gy);
                Tensor gamma = randn(r, dt, n), beta = randn(r, dt, n);
                for (int variant = 0; variant < 3; variant++) {
                    final int v = variant;
                    String w = dt + " n=" + n + " variant " + v;
                    check("layerNorm out " + w, tol, t -> t[0].backend().layerNorm(t[0].to(dt), v == 0 ? null : t[1],
                            v < 2 ? null : t[2], 1e-5)[0], x, gamma, beta);
                    check("layerNorm rstd " + w, tol, t -> t[0].backend().layerNorm(t[0].to(dt), v == 0 ? null : t[1],
                            v < 2 ? null : t[2], 1e-5)[2], x, gamma, beta);
                    check("rmsNorm " + w, tol, t -> t[0].backend().rmsNorm(t[0].to(dt), v == 0 ? null : t[1], 1e-6)[0],
                            x, gamma, beta);
                    // with one column the normalised value is +-1 and dx is pure rounding noise: nothing to compare
                    for (int out = n == 1 ? 3 : 0; out < 3; out++) {
                        final int o = out;
                        check("layerNormBackward " + o + " " + w, Math.max(tol, 1e-4), t -> {
                            Backend b = t[0].backend();
                            Tensor xd = t[0].to(dt), g = v == 0 ? null : t[1];
                            Tensor[] f = b.layerNorm(xd, g, null, 1e-5);
                            Tensor[] bw = b.layerNormBackward(xd, g, f[1], f[2], t[3], true);
                            return bw[o];
                        }, x, gamma, beta, gy);
                        if (o < 2) {
                            check("rmsNormBackward " + o + " " + w, Math.max(tol, 1e-4), t -> {
                                Backend b = t[0].backend();
                                Tensor xd = t[0].to(dt), g = v == 0 ? null : t[1];
                                Tensor[] f = b.rmsNorm(xd, g, 1e-6);
                                return b.rmsNormBackward(xd, g, f[1], t[3], true)[o];
                            }, x, gamma, beta, gy);
                        }
                    }
                }
                Tensor targets = ints(r, 0, n, 9);
                targets = Tensor.where(Tensor.arange(9).eq(4.0), Tensor.full(DType.I32, -100, 9), targets);
                for (double ls : new double[] {0, 0.1}) {
                    check("crossEntropy " + dt + " ls " + ls, tol, t -> t[0].to(dt).crossEntropy(t[1], -100, ls), x, targets);
                    check("crossEntropy logProbs " + dt, tol, t -> t[0].backend().crossEntropy(t[0].to(dt), t[1], -100, ls)[1],
                            x, targets);
                    check("crossEntropyBackward " + dt + " ls " + ls, tol, t -> {
                        Backend b = t[0].backend();
                        Tensor[] f = b.crossEntropy(t[0].to(dt), t[1], -100, ls);
                        return b.crossEntropyBackward(f[1], t[1], t[2].to(dt), -100, ls);
                    }, x, targets, randn(r, DType.F32, 9));
                }
            }
        }
        check("softmax of a -inf row", 0, t -> t[0].softmax(1), Tensor.full(DType.F32, Double.NEGATIVE_INFINITY, 2, 5));
    }

    @Test
    void randomFillsAndDropoutFollowTheCpuStream() {
        long seed = GpuFixture.seed("random");
        for (int n : new int[] {1, 7, 4096, 100003}) {
            for (DType dt : List.of(DType.F32, DType.F64, DType.BF16)) {
                Tensor cpu = Tensor.zeros(dt, 3, n), gpu = Tensor.zeros(dt, CUDA, 3, n);
                CPU.fillUniformInPlace(cpu, new Rng(seed), -2, 5);
                be.fillUniformInPlace(gpu, new Rng(seed), -2, 5);
                close("uniform " + dt + " n=" + n, cpu, gpu, 0);
                Rng rc = new Rng(seed).split(3), rg = new Rng(seed).split(3);
                CPU.fillNormalInPlace(cpu, rc, 1, 0.5);
                be.fillNormalInPlace(gpu, rg, 1, 0.5);
                close("normal " + dt + " n=" + n, cpu, gpu, dt == DType.BF16 ? GpuFixture.BF16 : 1e-12);
                assertEquals(rc.counter(), rg.counter(), "both backends consume the same blocks");
                // a strided destination is filled in row-major element order
                Tensor cs = Tensor.zeros(dt, n, 3), gs = Tensor.zeros(dt, CUDA, n, 3);
                CPU.fillUniformInPlace(cs.mT(), new Rng(seed), 0, 1);
                be.fillUniformInPlace(gs.mT(), new Rng(seed), 0, 1);
                close("uniform strided " + dt, cs, gs, 0);
                Tensor x = Tensor.randn(new Rng(seed + 1), DType.F32, 3, n).to(dt);
                Tensor[] dc = CPU.dropout(x, 0.3, new Rng(seed)), dg = be.dropout(x.to(CUDA), 0.3, new Rng(seed));
                close("dropout mask " + dt, dc[1], dg[1], 0);
                close("dropout out " + dt, dc[0], dg[0], 0);
            }
        }
    }

    @Test
    void adamWMatchesTheCpuStep() {
        Rng r = new Rng(GpuFixture.seed("adamw"));
        for (DType dt : List.of(DType.F32, DType.F64)) {
            Tensor p = randn(r, dt, 1000, 3), gr = randn(r, dt, 1000, 3), m = randn(r, dt, 1000, 3).mul(0.1),
                    v = randn(r, dt, 1000, 3).square().mul(0.01);
            Tensor pc = p.copy(), mc = m.copy(), vc = v.copy();
            Tensor pg = p.to(CUDA), mg = m.to(CUDA), vg = v.to(CUDA), gg = gr.to(CUDA);
            for (long step = 1; step <= 5; step++) {
                CPU.adamWStepInPlace(pc, gr, mc, vc, 1e-2, 0.9, 0.999, 1e-8, 0.01, step);
                be.adamWStepInPlace(pg, gg, mg, vg, 1e-2, 0.9, 0.999, 1e-8, 0.01, step);
            }
            double tol = dt == DType.F64 ? 1e-12 : GpuFixture.F32;
            close("adamw param " + dt, pc, pg, tol);
            close("adamw m " + dt, mc, mg, tol);
            close("adamw v " + dt, vc, vg, tol);
        }
    }

    @Test
    void scopesReturnMemoryAndPoisoningIsOn() {
        assertTrue(be.cudaDevice().poison());
        Tensor raw = Tensor.empty(DType.F32, CUDA, 100);
        for (float f : raw.toFloatArray()) assertTrue(Float.isNaN(f), "new allocations are poisoned with NaN");
        be.synchronize();
        long before = be.memoryStats().inUseBytes();
        try (Scope s = Scope.open()) {
            Tensor a = Tensor.randn(new Rng(1), DType.F32, 512, 512).to(CUDA);
            Tensor b = a.matmul(a).relu().sum();
            assertEquals(CUDA, b.device());
        }
        assertEquals(before, be.memoryStats().inUseBytes(), "a closed scope returns all its device memory");
        System.out.println("[gpu] memory: " + be.memoryStats());
        assertArrayEquals(new int[] {100}, raw.shape());
    }
}
