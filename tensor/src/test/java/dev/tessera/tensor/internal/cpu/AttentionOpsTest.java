package dev.tessera.tensor.internal.cpu;

import static dev.tessera.tensor.internal.cpu.Fixtures.assertClose;
import static dev.tessera.tensor.internal.cpu.Fixtures.assertError;
import static dev.tessera.tensor.internal.cpu.Fixtures.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.tensor.Attention;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.OpReference;
import dev.tessera.tensor.ReferenceOps;
import dev.tessera.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused attention op against a float64 loop reference that keeps the whole probability matrix,
 * and against the composite form: MHA/GQA/MQA, causal (with a cache offset), key padding, both,
 * fully masked rows, sizes that are not multiples of the query, key or register blocks (one query,
 * 300 keys, head dims 5 and 3), inputs as head-split views of [B, T, H, D]; float64, float32 on the
 * SIMD kernels and float32 on their scalar twin; results independent of the thread count.
 */
class AttentionOpsTest {
    /** One attention problem: inputs as float64 arrays [B,H,T,D] row-major, plus masks and scale. */
    private record Case(int b, int h, int hkv, int tq, int tk, int d, int dv, boolean[] pad, boolean causal, int off, double scale,
                        double[] q, double[] k, double[] v, double[] gOut) {
        String what() {
            return "B" + b + " H" + h + " Hkv" + hkv + " Tq" + tq + " Tk" + tk + " D" + d + " Dv" + dv + " causal " + causal + " off " + off
                    + " pad " + (pad != null);
        }
    }

    private static Case make(Random r, int b, int h, int hkv, int tq, int tk, int d, int dv, int[] validKeys, boolean causal, int off) {
        boolean[] pad = null;
        if (validKeys != null) {
            pad = new boolean[b * tk];
            for (int bi = 0; bi < b; bi++) for (int j = validKeys[bi]; j < tk; j++) pad[bi * tk + j] = true;
        }
        return new Case(b, h, hkv, tq, tk, d, dv, pad, causal, off, 1 / Math.sqrt(d), gauss(r, b * h * tq * d), gauss(r, b * hkv * tk * d),
                gauss(r, b * hkv * tk * dv), gauss(r, b * h * tq * dv));
    }

    private static double[] gauss(Random r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();   // exactly representable in float32
        return x;
    }

    /** Reference: {out, lse, dq, dk, dv} from explicit softmax rows in float64. */
    private static double[][] reference(Case c) {
        int g = c.h / c.hkv;
        double[] out = new double[c.b * c.h * c.tq * c.dv], lse = new double[c.b * c.h * c.tq];
        double[] dq = new double[c.q.length], dk = new double[c.k.length], dv = new double[c.v.length];
        for (int bi = 0; bi < c.b; bi++) for (int hi = 0; hi < c.h; hi++) {
            int kh = hi / g;
            for (int i = 0; i < c.tq; i++) {
                int qi = ((bi * c.h + hi) * c.tq + i);
                double[] s = new double[c.tk];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c.tk; j++) {
                    boolean masked = (c.pad != null && c.pad[bi * c.tk + j]) || (c.causal && j > i + c.off);
                    if (masked) {
                        s[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int e = 0; e < c.d; e++) dot += c.q[qi * c.d + e] * c.k[((bi * c.hkv + kh) * c.tk + j) * c.d + e];
                    s[j] = dot * c.scale;
                    max = Math.max(max, s[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    lse[qi] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                double z = 0;
                for (int j = 0; j < c.tk; j++) z += Math.exp(s[j] - max);
                lse[qi] = max + Math.log(z);
                double[] p = new double[c.tk], dp = new double[c.tk];
                double rowDot = 0;
                for (int j = 0; j < c.tk; j++) {
                    p[j] = Math.exp(s[j] - max) / z;
                    int vj = ((bi * c.hkv + kh) * c.tk + j) * c.dv;
                    for (int e = 0; e < c.dv; e++) {
                        out[qi * c.dv + e] += p[j] * c.v[vj + e];
                        dp[j] += c.gOut[qi * c.dv + e] * c.v[vj + e];
                    }
                    rowDot += p[j] * dp[j];
                }
                for (int j = 0; j < c.tk; j++) {
                    if (p[j] == 0) continue;
                    double ds = p[j] * (dp[j] - rowDot) * c.scale;
                    int kj = ((bi * c.hkv + kh) * c.tk + j);
                    for (int e = 0; e < c.d; e++) {
                        dq[qi * c.d + e] += ds * c.k[kj * c.d + e];
                        dk[kj * c.d + e] += ds * c.q[qi * c.d + e];
                    }
                    for (int e = 0; e < c.dv; e++) dv[kj * c.dv + e] += p[j] * c.gOut[qi * c.dv + e];
                }
            }
        }
        return new double[][] {out, lse, dq, dk, dv};
    }

    /** Tensors of a case: q, k, v, gOut, pad. */
    private static Tensor[] tensors(Case c, DType dt, boolean headSplit) {
        return Fixtures.attentionOperands(dt, headSplit, new int[] {c.b, c.h, c.hkv, c.tq, c.tk, c.d, c.dv}, c.q, c.k, c.v, c.gOut, c.pad);
    }

    private interface Fused {
        Tensor[] forward(Tensor q, Tensor k, Tensor v, Tensor pad, boolean causal, int off, double scale);
    }

    private interface FusedBackward {
        Tensor[] backward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor pad, boolean causal, int off,
                          double scale);
    }

    private static void check(Case c, DType dt, boolean headSplit, Fused fwd, FusedBackward bwd, String path) {
        double[][] want = WANT.computeIfAbsent(c, AttentionOpsTest::reference);
        Tensor[] t = tensors(c, dt, headSplit);
        Tensor[] r = fwd.forward(t[0], t[1], t[2], t[4], c.causal, c.off, c.scale);
        Tensor[] g = bwd.backward(t[0], t[1], t[2], r[0], r[1], t[3], t[4], c.causal, c.off, c.scale);
        double rtol = dt == DType.F64 ? 1e-10 : 1e-4, atol = dt == DType.F64 ? 1e-11 : 2e-5;
        String what = path + " " + dt + (headSplit ? " head-split " : " ") + c.what();
        assertClose("out " + what, want[0], new int[] {c.b, c.h, c.tq, c.dv}, dt, r[0], rtol, atol);
        assertClose("lse " + what, want[1], new int[] {c.b, c.h, c.tq}, dt, r[1], rtol, atol);
        assertClose("dq " + what, want[2], new int[] {c.b, c.h, c.tq, c.d}, dt, g[0], rtol, atol);
        assertClose("dk " + what, want[3], new int[] {c.b, c.hkv, c.tk, c.d}, dt, g[1], rtol, atol);
        assertClose("dv " + what, want[4], new int[] {c.b, c.hkv, c.tk, c.dv}, dt, g[2], rtol, atol);
    }

    private static final Fused BACKEND = (q, k, v, p, causal, off, s) -> CpuBackend.INSTANCE.attention(q, k, v, p, causal, off, s);
    private static final FusedBackward BACKEND_BWD =
            (q, k, v, o, l, go, p, causal, off, s) -> CpuBackend.INSTANCE.attentionBackward(q, k, v, o, l, go, p, causal, off, s);

    private static Fused f32(AttentionKernels kn) {
        return (q, k, v, p, causal, off, s) -> CpuAttention.forwardF32(kn, q, k, v, p, causal, off, (float) s);
    }

    private static FusedBackward f32Backward(AttentionKernels kn) {
        return (q, k, v, o, l, go, p, causal, off, s) -> CpuAttention.backwardF32(kn, q, k, v, o, l, go, p, causal, off, (float) s);
    }

    /** References computed once per case (by identity) for all the paths that check it. */
    private static final java.util.Map<Case, double[][]> WANT = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
    private static final Case[] CASES = cases();

    /** The cases every path runs: head layouts, masks, odd and block-crossing sizes. */
    private static Case[] cases() {
        Random r = new Random(11);
        return new Case[] {
            make(r, 2, 4, 4, 70, 70, 16, 16, null, false, 0),                     // MHA, Tq not a multiple of the query block
            make(r, 2, 6, 2, 130, 300, 32, 32, new int[] {300, 170}, false, 0),   // GQA, 2 key blocks, padding
            make(r, 2, 4, 1, 67, 67, 8, 8, null, true, 0),                        // MQA causal
            make(r, 3, 4, 2, 33, 33, 5, 3, new int[] {33, 7, 0}, true, 0),        // causal + padding, batch 2 fully masked, odd dims
            make(r, 2, 2, 1, 3, 8, 4, 4, new int[] {8, 6}, true, 5),              // a decoding step: 3 queries after 5 cached keys
            make(r, 1, 2, 2, 1, 20, 64, 64, null, false, 0),                      // one query
            make(r, 1, 2, 2, 5, 6, 3, 2, null, true, -2),                         // negative offset: first rows see nothing
        };
    }

    @Test
    @OpReference({"attention", "attentionBackward"})
    void fusedAttentionMatchesFloat64Reference() {
        for (Case c : CASES) {
            for (boolean split : new boolean[] {false, true}) {
                check(c, DType.F64, split, BACKEND, BACKEND_BWD, "backend");
                check(c, DType.F32, split, BACKEND, BACKEND_BWD, "backend");
            }
        }
    }

    @Test
    void simdAndScalarFloat32KernelsMatchReference() {
        for (AttentionKernels kn : Fixtures.attentionKernelPaths()) {
            for (Case c : CASES) check(c, DType.F32, c.h > 2, f32(kn), f32Backward(kn), kn.getClass().getSimpleName());
        }
    }

    @Test
    void compositeMatchesReferenceAndFused() {
        for (Case c : CASES) {
            check(c, DType.F64, false, (q, k, v, p, causal, off, s) -> {
                Attention.Result r = Attention.composite(q, k, v, p, causal, off, s);
                return new Tensor[] {r.out(), r.lse()};
            }, (q, k, v, o, l, go, p, causal, off, s) -> {
                Attention.Grads g = Attention.compositeBackward(q, k, v, o, l, go, p, causal, off, s);
                return new Tensor[] {g.dq(), g.dk(), g.dv()};
            }, "composite");
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCountAndLayoutFollowsTheInput() {
        Case c = make(new Random(3), 2, 6, 2, 130, 300, 64, 64, new int[] {300, 200}, true, 0);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor[] t = tensors(c, dt, true);
            Attention.Result r = Attention.forward(t[0], t[1], t[2], t[4], true, 0, c.scale);
            Attention.Result r1 = Fixtures.singleThreaded(() -> Attention.forward(t[0], t[1], t[2], t[4], true, 0, c.scale));
            assertSameBits("out " + dt, r.out(), r1.out());
            assertSameBits("lse " + dt, r.lse(), r1.lse());
            Attention.Grads g = Attention.backward(t[0], t[1], t[2], r.out(), r.lse(), t[3], t[4], true, 0, c.scale);
            Attention.Grads g1 = Fixtures.singleThreaded(
                    () -> Attention.backward(t[0], t[1], t[2], r.out(), r.lse(), t[3], t[4], true, 0, c.scale));
            assertSameBits("dq " + dt, g.dq(), g1.dq());
            assertSameBits("dk " + dt, g.dk(), g1.dk());
            assertSameBits("dv " + dt, g.dv(), g1.dv());
            // head-split inputs give head-split outputs: merging the heads back is a free view
            assertEquals(c.dv, r.out().strides()[1], "out stored [B, T, H, Dv]");
            assertEquals(c.d, g.dq().strides()[1], "dq stored like q");
            assertArrayEquals(new int[] {c.b, c.h, c.tq, c.dv}, r.out().shape());
        }
    }

    @Test
    void byHandAndErrors() {
        // one head, two keys: row 0 sees key 0 only (causal), row 1 both
        Tensor q = Tensor.of(new double[] {1, 0, 0, 1}, 1, 1, 2, 2), k = Tensor.of(new double[] {1, 0, 0, 1}, 1, 1, 2, 2);
        Attention.Result r = Attention.forward(q, k, k, null, true, 0, 1.0);
        assertEquals(1.0, ReferenceOps.values(r.lse())[0], 1e-12);
        assertEquals(Math.log(1 + Math.E), ReferenceOps.values(r.lse())[1], 1e-12);
        Attention.Result masked = Attention.forward(q.to(DType.F32), k.to(DType.F32), k.to(DType.F32),
                Tensor.of(new boolean[] {true, true}, 1, 2), false, 0, 1.0);
        assertArrayEquals(new double[4], ReferenceOps.values(masked.out()), 0);
        assertEquals(Double.NEGATIVE_INFINITY, ReferenceOps.values(masked.lse())[0]);
        Tensor k3 = Tensor.zeros(DType.F64, 1, 1, 2, 3);
        assertError(() -> Attention.forward(q, k3, k3, null, false, 0, 1), "attention", "incompatible shapes");
        assertError(() -> Attention.forward(q, k.to(DType.F32), k, null, false, 0, 1), "attention", "dtype");
        assertError(() -> Attention.forward(q, k, k, Tensor.of(new boolean[] {true}, 1, 1), false, 0, 1), "keyPadding", "BOOL [1, 2]");
        assertError(() -> Attention.forward(q, k, k, null, false, 0, Double.NaN), "scale");
        assertError(() -> Attention.forward(q.reshape(2, 2), k, k, null, false, 0, 1), "expected q [B,H,Tq,D]");
        assertError(() -> Attention.forward(Tensor.zeros(DType.F64, 1, 3, 2, 2), Tensor.zeros(DType.F64, 1, 2, 2, 2),
                Tensor.zeros(DType.F64, 1, 2, 2, 2), null, false, 0, 1), "multiple of kv heads");
        assertError(() -> Attention.backward(q, k, k, r.out(), r.lse().reshape(1, 2, 1), r.out(), null, true, 0, 1),
                "attentionBackward", "lse");
    }
}
