package dev.tessera.kernels.gpu;

import static dev.tessera.kernels.gpu.GpuFixture.CUDA;
import static dev.tessera.kernels.gpu.GpuFixture.close;
import static dev.tessera.kernels.gpu.GpuFixture.closeReport;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.autograd.Variable;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.ops.MoeKernels;
import dev.tessera.moe.Dispatch;
import dev.tessera.moe.Routing;
import dev.tessera.moe.SparseMoE;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The MoE routing kernels against the CPU implementation of the moe module: gating against
 * {@link Routing#topK} on the CPU softmax (exact choices, ties to the lower expert), the dispatch plan
 * against {@link Dispatch#plan} (exact slots, with drops and dropless, several plan chunks), permute
 * and combine with their backwards against index-select / index-add composites, the router backward
 * against autograd, and a whole {@link SparseMoE} layer (forward and every gradient) against the same
 * layer on the CPU with the expert GEMMs as cuBLAS strided-batched matmuls.
 */
@Tag("gpu")
class MoeKernelsGpuTest {
    static CudaBackend be;
    static MoeKernels moe;

    @BeforeAll
    static void setUp() {
        be = GpuFixture.require();
        moe = be.moeKernels();
    }

    /** Logits [T, E] with some rows holding exact ties. */
    static Tensor logits(Rng r, int t, int e) {
        float[] v = Tensor.randn(r, DType.F32, t, e).mul(2.0).toFloatArray();
        for (int i = 0; i < t; i += 7) for (int j = 0; j < e; j++) v[i * e + j] = j % 3 == 0 ? 1.5f : -0.25f;
        return Tensor.of(v, t, e);
    }

    @Test
    void gatingMatchesTheCpuRouter() {
        Rng r = new Rng(GpuFixture.seed("moe gate"));
        for (int[] c : new int[][] {{77, 6, 2}, {40, 40, 3}, {33, 1, 1}}) {
            int t = c[0], e = c[1], k = c[2];
            Tensor x = logits(r, t, e);
            Tensor bias = Tensor.randn(r, DType.F32, e).mul(0.05);
            for (Tensor b : new Tensor[] {null, bias}) {
                Tensor probs = x.softmax(-1);
                double[] scores = probs.toDoubleArray();
                if (b != null) for (int i = 0; i < scores.length; i++) scores[i] += b.toFloatArray()[i % e];
                int[] choice = Routing.topK(scores, t, e, k);
                Tensor sel = probs.gather(1, Tensor.of(choice, t, k));
                Tensor gates = sel.div(sel.sumKeepDims(1));
                MoeKernels.Gating gt = moe.gate(x.to(CUDA), k, b == null ? null : b.to(CUDA));
                String what = "gate T" + t + " E" + e + " k" + k + (b == null ? "" : " bias");
                assertArrayEquals(choice, gt.choice().toIntArray(), what + ": choices");
                close(what + " probs", probs, gt.probs(), GpuFixture.F32);
                close(what + " gates", gates, gt.gates(), GpuFixture.F32);
            }
        }
    }

    @Test
    void planMatchesDispatchWithDropsAndDropless() {
        Rng r = new Rng(GpuFixture.seed("moe plan"));
        int t = 700, e = 5, k = 2;   // 1400 assignments: 6 chunks of the plan kernels
        Tensor x = logits(r, t, e);
        // skew the router so some experts overflow
        x = x.add(Tensor.of(new float[] {1.5f, 0.5f, 0, 0, -1}, e));
        MoeKernels.Gating gt = moe.gate(x.to(CUDA), k, null);
        int[] choice = gt.choice().toIntArray();
        for (int cap : new int[] {Dispatch.capacity(1.0, k, t, e), Dispatch.capacity(0.5, k, t, e), -1}) {
            Dispatch ref = Dispatch.plan(choice, t, e, k, cap);
            MoeKernels.Plan p = moe.plan(gt.choice(), e, cap);
            assertEquals(ref.capacity(), p.capacity(), "capacity " + cap);
            assertArrayEquals(ref.load(), p.load().toIntArray(), "load, capacity " + cap);
            assertArrayEquals(ref.slotToken(), p.slotToken().toIntArray(), "slot tokens, capacity " + cap);
            int[] slotOf = new int[t * k], slotAssign = new int[e * ref.capacity()];
            Arrays.fill(slotOf, -1);
            Arrays.fill(slotAssign, -1);
            for (int i = 0; i < ref.keptSlot().length; i++) {
                slotOf[ref.keptChoice()[i]] = ref.keptSlot()[i];
                slotAssign[ref.keptSlot()[i]] = ref.keptChoice()[i];
            }
            assertArrayEquals(slotOf, p.slotOf().toIntArray(), "slot of each assignment, capacity " + cap);
            assertArrayEquals(slotAssign, p.slotAssign().toIntArray(), "assignment of each slot, capacity " + cap);
        }
    }

    @Test
    void permuteAndCombineWithTheirBackwards() {
        Rng r = new Rng(GpuFixture.seed("moe permute"));
        int t = 61, e = 4, k = 2, d = 24;
        MoeKernels.Gating gt = moe.gate(logits(r, t, e).to(CUDA), k, null);
        MoeKernels.Plan p = moe.plan(gt.choice(), e, Dispatch.capacity(0.75, k, t, e));
        Dispatch ref = Dispatch.plan(gt.choice().toIntArray(), t, e, k, p.capacity());
        int n = ref.keptSlot().length, slots = e * p.capacity();
        Tensor keptSlot = Tensor.of(ref.keptSlot(), n), keptToken = Tensor.of(ref.keptToken(), n), keptChoice = Tensor.of(ref.keptChoice(), n);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.BF16}) {
            Tensor x = Tensor.randn(r, DType.F32, t, d).to(dt);
            int[] st = ref.slotToken().clone();
            float[] keep = new float[slots];
            for (int s = 0; s < slots; s++) {
                keep[s] = st[s] < 0 ? 0 : 1;
                if (st[s] < 0) st[s] = 0;
            }
            Tensor expect = x.indexSelect(0, Tensor.of(st, slots)).mul(Tensor.of(keep, slots, 1).to(dt));
            close("permute " + dt, expect, moe.permute(x.to(CUDA), p), 0);
        }
        Tensor dbuf = Tensor.randn(r, DType.F32, slots, d);
        close("permute backward", Tensor.indexAdd(new int[] {t, d}, 0, keptToken, dbuf.indexSelect(0, keptSlot)),
                moe.permuteBackward(dbuf.to(CUDA), p), GpuFixture.F32);

        // combine: the composite of SparseMoE (index-select, gate, index-add) differentiated by autograd
        Variable h = Variable.leaf(Tensor.randn(r, DType.F64, slots, d));
        Variable gates = Variable.leaf(gt.gates().to(Device.cpu()).to(DType.F64));
        Variable y = Variable.indexAdd(new int[] {t, d}, 0, keptToken,
                h.indexSelect(0, keptSlot).mul(gates.reshape(t * k).indexSelect(0, keptChoice).unsqueeze(1)));
        Tensor dy = Tensor.randn(r, DType.F64, t, d);
        y.backward(dy);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor hg = h.value().to(dt).to(CUDA), gg = gates.value().to(dt).to(CUDA);
            double tol = dt == DType.F64 ? 1e-12 : GpuFixture.F32;
            close("combine " + dt, y.value().to(dt), moe.combine(hg, gg, p), tol);
            Tensor[] back = moe.combineBackward(dy.to(dt).to(CUDA), hg, gg, p);
            close("combine dh " + dt, h.grad().to(dt), back[0], tol);
            close("combine dgates " + dt, gates.grad().to(dt), back[1], tol);
        }
    }

    @Test
    void routerBackwardMatchesAutograd() {
        Rng r = new Rng(GpuFixture.seed("moe gate backward"));
        int t = 37, e = 7, k = 3;
        Tensor x = logits(r, t, e);
        MoeKernels.Gating gt = moe.gate(x.to(CUDA), k, null);
        Variable lv = Variable.leaf(x.to(DType.F64));
        Variable probs = lv.softmax(-1);
        Variable sel = probs.gather(1, gt.choice().to(Device.cpu()));
        Variable gates = sel.div(sel.sumKeepDims(1));
        Tensor dg = Tensor.randn(r, DType.F64, t, k), dp = Tensor.randn(r, DType.F64, t, e);
        gates.mul(Variable.constant(dg)).sum().add(probs.mul(Variable.constant(dp)).sum()).backward();
        close("router dlogits", lv.grad().to(DType.F32), moe.gateBackward(gt, dg.to(DType.F32).to(CUDA), dp.to(DType.F32).to(CUDA)),
                GpuFixture.F32);
    }

    @Test
    void wholeSparseLayerMatchesTheCpuLayer() {
        long seed = GpuFixture.seed("moe layer");
        int t = 48, d = 16, hidden = 24, e = 4, k = 2;
        SparseMoE layer = new SparseMoE(d, hidden, new SparseMoE.Options(e, k, 1.0, 0.0, 0.0, 0.0), DType.F32, new Rng(seed));
        Rng r = new Rng(seed + 1);
        Tensor x = Tensor.randn(r, DType.F32, t, d), dy = Tensor.randn(r, DType.F32, t, d);
        Variable xc = Variable.leaf(x);
        Variable yc = layer.forward(xc);
        yc.backward(dy);

        var ex = layer.experts();
        Variable xg = Variable.leaf(x.to(CUDA)), wr = Variable.leaf(layer.router().weight().value().to(CUDA));
        Variable w1 = Variable.leaf(ex.ownParameters().get("w1").value().to(CUDA)), b1 = Variable.leaf(ex.ownParameters().get("b1").value().to(CUDA));
        Variable w2 = Variable.leaf(ex.ownParameters().get("w2").value().to(CUDA)), b2 = Variable.leaf(ex.ownParameters().get("b2").value().to(CUDA));
        Variable logits = xg.matmul(wr.mT());
        MoeKernels.Gating gt = moe.gate(logits.value(), k, null);
        Variable gates = Variable.custom("moeGate", gt.gates(), new Variable[] {logits},
                g -> new Tensor[] {moe.gateBackward(gt, g, null)});
        MoeKernels.Plan p = moe.plan(gt.choice(), e, MoeKernels.capacity(1.0, k, t, e));
        Variable buf = Variable.custom("moePermute", moe.permute(xg.value(), p), new Variable[] {xg},
                g -> new Tensor[] {moe.permuteBackward(g, p)});
        Variable hb = buf.reshape(e, p.capacity(), d).matmul(w1).add(b1).gelu().matmul(w2).add(b2).reshape(e * p.capacity(), d);
        Variable yg = Variable.custom("moeCombine", moe.combine(hb.value(), gates.value(), p), new Variable[] {hb, gates},
                g -> moe.combineBackward(g, hb.value(), gates.value(), p));
        yg.backward(dy.to(CUDA));

        closeReport("moe layer y", yc.value(), yg.value(), GpuFixture.F32);
        closeReport("moe layer dx", xc.grad(), xg.grad(), GpuFixture.F32);
        closeReport("moe layer d router", layer.router().weight().grad(), wr.grad(), GpuFixture.F32);
        closeReport("moe layer dw1", ex.ownParameters().get("w1").grad(), w1.grad(), GpuFixture.F32);
        closeReport("moe layer db1", ex.ownParameters().get("b1").grad(), b1.grad(), GpuFixture.F32);
        closeReport("moe layer dw2", ex.ownParameters().get("w2").grad(), w2.grad(), GpuFixture.F32);
        closeReport("moe layer db2", ex.ownParameters().get("b2").grad(), b2.grad(), GpuFixture.F32);
    }

    @Test
    void badArgumentsAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> moe.gate(Tensor.zeros(DType.F32, 3, 4).to(CUDA), 5, null));
        assertEquals("moeGate: k must be in [1, 4], got 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> moe.plan(Tensor.zeros(DType.F32, 3, 2).to(CUDA), 4, 2));
        assertEquals("moePlan: choice must be I32 [T, k], got F32[3,2]", e.getMessage());
    }
}
