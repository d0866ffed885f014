package dev.tessera.tensor.internal.cpu;

import static dev.tessera.tensor.internal.cpu.Fixtures.assertClose;
import static dev.tessera.tensor.internal.cpu.Fixtures.assertError;
import static dev.tessera.tensor.internal.cpu.Fixtures.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.LinearAttentionOp;
import dev.tessera.tensor.ReferenceOps;
import dev.tessera.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused linear attention op ({@code phi = elu + 1}, non-causal) against a float64 loop reference in the
 * explicit N x N form (weights {@code phi(q_i) . phi(k_j)} per visible key, normalised per query; gradients
 * derived on that form), and against the composite: MHA/GQA/MQA, key padding with a fully padded batch row,
 * Tq != Tk, head dims that are not multiples of the register tile, inputs as head-split views of
 * [B, T, H, D]; float64, float32 on the SIMD kernels and on their scalar twin; results independent of the
 * thread count.
 */
class LinearAttentionOpsTest {
    private record Case(int b, int h, int hkv, int tq, int tk, int d, int dv, boolean[] pad, double[] q, double[] k, double[] v,
                        double[] gOut) {
        String what() {
            return "B" + b + " H" + h + " Hkv" + hkv + " Tq" + tq + " Tk" + tk + " D" + d + " Dv" + dv + " pad " + (pad != null);
        }
    }

    private static Case make(Random r, int b, int h, int hkv, int tq, int tk, int d, int dv, int[] validKeys) {
        boolean[] pad = null;
        if (validKeys != null) {
            pad = new boolean[b * tk];
            for (int bi = 0; bi < b; bi++) for (int j = validKeys[bi]; j < tk; j++) pad[bi * tk + j] = true;
        }
        return new Case(b, h, hkv, tq, tk, d, dv, pad, gauss(r, b * h * tq * d), gauss(r, b * hkv * tk * d), gauss(r, b * hkv * tk * dv),
                gauss(r, b * h * tq * dv));
    }

    private static double[] gauss(Random r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();   // exactly representable in float32
        return x;
    }

    private static double phi(double x) {
        return x > 0 ? x + 1 : Math.exp(x);
    }

    private static double dphi(double x) {
        return x > 0 ? 1 : Math.exp(x);
    }

    /** Reference: {out, dq, dk, dv} from the explicit weights {@code a_ij = phi(q_i) . phi(k_j)} in float64. */
    private static double[][] reference(Case c) {
        int g = c.h / c.hkv;
        double[] out = new double[c.b * c.h * c.tq * c.dv];
        double[] dfq = new double[c.q.length], dfk = new double[c.k.length], dv = new double[c.v.length];
        for (int bi = 0; bi < c.b; bi++) for (int hi = 0; hi < c.h; hi++) {
            int kh = hi / g;
            for (int i = 0; i < c.tq; i++) {
                int qi = (bi * c.h + hi) * c.tq + i;
                double[] a = new double[c.tk];
                double den = 0;
                for (int j = 0; j < c.tk; j++) {
                    if (c.pad != null && c.pad[bi * c.tk + j]) continue;
                    int kj = (bi * c.hkv + kh) * c.tk + j;
                    for (int e = 0; e < c.d; e++) a[j] += phi(c.q[qi * c.d + e]) * phi(c.k[kj * c.d + e]);
                    den += a[j];
                }
                if (den == 0) continue;                        // no visible key: output 0, no gradient
                for (int j = 0; j < c.tk; j++) {
                    int vj = ((bi * c.hkv + kh) * c.tk + j) * c.dv;
                    for (int e = 0; e < c.dv; e++) out[qi * c.dv + e] += a[j] * c.v[vj + e] / den;
                }
                for (int j = 0; j < c.tk; j++) {
                    if (c.pad != null && c.pad[bi * c.tk + j]) continue;
                    int kj = (bi * c.hkv + kh) * c.tk + j;
                    double da = 0;
                    for (int e = 0; e < c.dv; e++) {
                        double go = c.gOut[qi * c.dv + e];
                        da += go * (c.v[kj * c.dv + e] - out[qi * c.dv + e]) / den;
                        dv[kj * c.dv + e] += a[j] / den * go;
                    }
                    for (int e = 0; e < c.d; e++) {
                        dfq[qi * c.d + e] += da * phi(c.k[kj * c.d + e]);
                        dfk[kj * c.d + e] += da * phi(c.q[qi * c.d + e]);
                    }
                }
            }
        }
        double[] dq = new double[c.q.length], dk = new double[c.k.length];
        for (int i = 0; i < dq.length; i++) dq[i] = dfq[i] * dphi(c.q[i]);
        for (int i = 0; i < dk.length; i++) dk[i] = dfk[i] * dphi(c.k[i]);
        return new double[][] {out, dq, dk, dv};
    }

    /** Tensors of a case: q, k, v, gOut, pad. */
    private static Tensor[] tensors(Case c, DType dt, boolean headSplit) {
        return Fixtures.attentionOperands(dt, headSplit, new int[] {c.b, c.h, c.hkv, c.tq, c.tk, c.d, c.dv}, c.q, c.k, c.v, c.gOut, c.pad);
    }

    private interface Forward {
        Tensor apply(Tensor q, Tensor k, Tensor v, Tensor pad);
    }

    private interface Backward {
        Tensor[] apply(Tensor q, Tensor k, Tensor v, Tensor out, Tensor gOut, Tensor pad);
    }

    private static void check(Case c, DType dt, boolean headSplit, Forward fwd, Backward bwd, String path) {
        double[][] want = WANT.computeIfAbsent(c, LinearAttentionOpsTest::reference);
        Tensor[] t = tensors(c, dt, headSplit);
        Tensor out = fwd.apply(t[0], t[1], t[2], t[4]);
        Tensor[] g = bwd.apply(t[0], t[1], t[2], out, t[3], t[4]);
        double rtol = dt == DType.F64 ? 1e-10 : 1e-4, atol = dt == DType.F64 ? 1e-11 : 2e-5;
        String what = path + " " + dt + (headSplit ? " head-split " : " ") + c.what();
        assertClose("out " + what, want[0], new int[] {c.b, c.h, c.tq, c.dv}, dt, out, rtol, atol);
        assertClose("dq " + what, want[1], new int[] {c.b, c.h, c.tq, c.d}, dt, g[0], rtol, atol);
        assertClose("dk " + what, want[2], new int[] {c.b, c.hkv, c.tk, c.d}, dt, g[1], rtol, atol);
        assertClose("dv " + what, want[3], new int[] {c.b, c.hkv, c.tk, c.dv}, dt, g[2], rtol, atol);
    }

    private static final Forward BACKEND = CpuBackend.INSTANCE::linearAttention;
    private static final Backward BACKEND_BWD = CpuBackend.INSTANCE::linearAttentionBackward;

    /** References computed once per case (by identity) for all the paths that check it. */
    private static final java.util.Map<Case, double[][]> WANT = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
    private static final Case[] CASES = cases();

    private static Case[] cases() {
        Random r = new Random(17);
        return new Case[] {
            make(r, 2, 4, 4, 70, 70, 16, 16, null),                              // MHA
            make(r, 2, 6, 2, 130, 300, 32, 32, new int[] {300, 170}),            // GQA, Tq != Tk, padding
            make(r, 2, 4, 1, 67, 40, 8, 8, null),                                // MQA
            make(r, 3, 4, 2, 33, 33, 5, 3, new int[] {33, 7, 0}),                // padding, batch 2 fully padded, odd dims
            make(r, 1, 2, 2, 1, 20, 64, 64, null),                               // one query
            make(r, 1, 3, 3, 9, 11, 40, 70, new int[] {4}),                      // head dims across the register tile
            make(r, 2, 8, 8, 40, 50, 16, 16, new int[] {50, 20}),                // several kv heads per forward task, padding
        };
    }

    /** linearAttention(Backward) are default methods of the SPI (the composite), so OpCoverageTest does not require them. */
    @Test
    void fusedLinearAttentionMatchesFloat64Reference() {
        for (DType dt : new DType[] {DType.F64, DType.F32}) {
            // float64 runs the composite, float32 the fused kernel; both on contiguous and head-split operands
            for (Case c : CASES) {
                check(c, dt, false, BACKEND, BACKEND_BWD, "backend");
                check(c, dt, true, BACKEND, BACKEND_BWD, "backend");
            }
        }
    }

    @Test
    void simdAndScalarFloat32KernelsMatchReference() {
        for (AttentionKernels kn : Fixtures.attentionKernelPaths()) {
            for (Case c : CASES) {
                check(c, DType.F32, c.h > 2, (q, k, v, p) -> CpuLinearAttention.forwardF32(kn, q, k, v, p),
                        (q, k, v, o, go, p) -> CpuLinearAttention.backwardF32(kn, q, k, v, o, go, p), kn.getClass().getSimpleName());
            }
        }
    }

    @Test
    void compositeMatchesReference() {
        for (Case c : CASES) {
            for (DType dt : new DType[] {DType.F64, DType.F32}) {
                check(c, dt, true, LinearAttentionOp::composite, (q, k, v, o, go, p) -> {
                    LinearAttentionOp.Grads g = LinearAttentionOp.compositeBackward(q, k, v, o, go, p);
                    return new Tensor[] {g.dq(), g.dk(), g.dv()};
                }, "composite");
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCountAndLayoutFollowsTheInput() {
        Case c = make(new Random(3), 2, 6, 2, 130, 130, 64, 64, new int[] {130, 90});
        Tensor[] t = tensors(c, DType.F32, true);
        Tensor out = LinearAttentionOp.forward(t[0], t[1], t[2], t[4]);
        Tensor out1 = Fixtures.singleThreaded(() -> LinearAttentionOp.forward(t[0], t[1], t[2], t[4]));
        assertSameBits("out", out, out1);
        LinearAttentionOp.Grads g = LinearAttentionOp.backward(t[0], t[1], t[2], out, t[3], t[4]);
        LinearAttentionOp.Grads g1 = Fixtures.singleThreaded(() -> LinearAttentionOp.backward(t[0], t[1], t[2], out, t[3], t[4]));
        assertSameBits("dq", g.dq(), g1.dq());
        assertSameBits("dk", g.dk(), g1.dk());
        assertSameBits("dv", g.dv(), g1.dv());
        // head-split inputs give head-split outputs: merging the heads back is a free view
        assertEquals(c.dv, out.strides()[1], "out stored [B, T, H, Dv]");
        assertEquals(c.d, g.dq().strides()[1], "dq stored like q");
        assertArrayEquals(new int[] {c.b, c.h, c.tq, c.dv}, out.shape());
    }

    @Test
    void byHandAndErrors() {
        // one head, one query, two keys: q = 0 and k = (0, -ln 2) map to phi = 1 and (1, 1/2), so out = (1 * 3 + 0.5 * 6) / 1.5 = 4
        Tensor q = Tensor.of(new double[] {0}, 1, 1, 1, 1), k = Tensor.of(new double[] {0, -Math.log(2)}, 1, 1, 2, 1);
        Tensor v = Tensor.of(new double[] {3, 6}, 1, 1, 2, 1);
        for (DType dt : new DType[] {DType.F64, DType.F32}) {
            Tensor out = LinearAttentionOp.forward(q.to(dt), k.to(dt), v.to(dt), null);
            assertEquals(4.0, ReferenceOps.values(out)[0], 1e-6, dt.toString());
            Tensor masked = LinearAttentionOp.forward(q.to(dt), k.to(dt), v.to(dt), Tensor.of(new boolean[] {true, true}, 1, 2));
            assertEquals(0.0, ReferenceOps.values(masked)[0], 0, dt + " no visible key");
        }
        Tensor k3 = Tensor.zeros(DType.F64, 1, 1, 2, 3);
        assertError(() -> LinearAttentionOp.forward(q, k3, k3, null), "linearAttention", "incompatible shapes");
        assertError(() -> LinearAttentionOp.forward(q, k.to(DType.F32), v, null), "linearAttention", "dtype");
        assertError(() -> LinearAttentionOp.forward(q, k, v, Tensor.of(new boolean[] {true}, 1, 1)), "keyPadding", "BOOL [1, 2]");
        Tensor out = LinearAttentionOp.forward(q, k, v, null);
        assertError(() -> LinearAttentionOp.backward(q, k, v, out, out.reshape(1, 1, 1), null), "linearAttentionBackward", "gOut");
    }
}
