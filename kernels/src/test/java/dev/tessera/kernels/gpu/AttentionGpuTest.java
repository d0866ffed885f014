package dev.tessera.kernels.gpu;

import static dev.tessera.kernels.gpu.GpuFixture.CUDA;
import static dev.tessera.kernels.gpu.GpuFixture.closeReport;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Variable;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.ops.Attention;
import dev.tessera.kernels.ops.MatmulPrecision;
import dev.tessera.nn.attention.AttentionMask;
import dev.tessera.nn.attention.Sdpa;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The fused attention kernels against the composite attention of {@code nn} (matmul, masked
 * softmax, matmul, in float64 on the CPU, gradients by autograd): MHA, GQA and MQA, causal with
 * and without a cache offset, key padding including a fully padded sequence, strided head views,
 * head dims that are and are not tensor-core sizes. F32 runs the float SIMT kernels (gate 1e-5),
 * BF16 with D = Dv in {32, 64, 128} the tensor-core kernels (gate 1e-2).
 */
@Tag("gpu")
class AttentionGpuTest {
    static CudaBackend be;

    @BeforeAll
    static void setUp() {
        be = GpuFixture.require();
    }

    /** One case: sizes, masks, and whether q is a permuted view of [B, Tq, H, D]. */
    record Case(String name, DType dt, int b, int h, int hkv, int tq, int tk, int d, int dv, boolean causal, int offset,
                int[] lengths, boolean stridedQ) {}

    static void run(Case c, long seed) {
        runWithTolerance(c, seed, GpuFixture.tol(c.dt));
    }

    static void runWithTolerance(Case c, long seed, double tol) {
        Rng r = new Rng(seed);
        Tensor q = c.stridedQ
                ? Tensor.randn(r, DType.F32, c.b, c.tq, c.h, c.d).permute(0, 2, 1, 3)
                : Tensor.randn(r, DType.F32, c.b, c.h, c.tq, c.d);
        Tensor k = Tensor.randn(r, DType.F32, c.b, c.hkv, c.tk, c.d).mul(1.5);
        Tensor v = Tensor.randn(r, DType.F32, c.b, c.hkv, c.tk, c.dv);
        Tensor gOut = Tensor.randn(r, DType.F32, c.b, c.h, c.tq, c.dv);
        // the reference sees exactly the (rounded) values the GPU sees
        q = q.to(c.dt);
        k = k.to(c.dt);
        v = v.to(c.dt);
        gOut = gOut.to(c.dt);
        Tensor pad = c.lengths == null ? null : AttentionMask.keyPadding(c.lengths, c.tk);
        double scale = 1 / Math.sqrt(c.d);

        Variable qv = Variable.leaf(q.to(DType.F64)), kv = Variable.leaf(k.to(DType.F64)), vv = Variable.leaf(v.to(DType.F64));
        Variable o = Sdpa.composite(qv, kv, vv, pad, c.causal, c.offset, scale, 0, null);
        o.mul(Variable.constant(gOut.to(DType.F64))).sum().backward();
        Tensor lseRef = dev.tessera.tensor.Attention.composite(q.to(DType.F64), k.to(DType.F64), v.to(DType.F64), pad, c.causal, c.offset,
                scale).lse();

        Tensor gq = q.to(CUDA), gk = k.to(CUDA), gv = v.to(CUDA), gg = gOut.to(CUDA), gp = pad == null ? null : pad.to(CUDA);
        Attention.Result res = be.attentionKernels().forward(gq, gk, gv, gp, c.causal, scale, c.offset);
        Attention.Grads gr = be.attentionKernels().backward(gq, gk, gv, res.out(), res.lse(), gg, gp, c.causal, scale, c.offset);
        assertEquals(c.dt, res.out().dtype(), c.name + ": output dtype");
        assertEquals(c.dt, gr.dq().dtype(), c.name + ": gradient dtype");
        closeReport(c.name + " out", o.value().to(DType.F32), res.out().to(DType.F32), tol);
        closeReport(c.name + " lse", lseRef.to(DType.F32), res.lse(), tol >= GpuFixture.BF16 ? 1e-3 : 1e-5);
        closeReport(c.name + " dq", qv.grad().to(DType.F32), gr.dq().to(DType.F32), tol);
        closeReport(c.name + " dk", kv.grad().to(DType.F32), gr.dk().to(DType.F32), tol);
        closeReport(c.name + " dv", vv.grad().to(DType.F32), gr.dv().to(DType.F32), tol);
    }

    @Test
    void float32KernelsMatchTheComposite() {
        long seed = GpuFixture.seed("attention f32");
        run(new Case("f32 GQA causal+pad", DType.F32, 2, 4, 2, 70, 70, 24, 40, true, 0, new int[] {70, 37}, false), seed);
        run(new Case("f32 MQA long keys strided q", DType.F32, 1, 3, 1, 33, 130, 64, 64, false, 0, null, true), seed + 1);
        run(new Case("f32 decode with cache offset", DType.F32, 1, 2, 2, 5, 69, 16, 16, true, 64, null, false), seed + 2);
        run(new Case("f32 head dim 128", DType.F32, 1, 2, 1, 20, 33, 128, 128, true, 13, new int[] {30}, false), seed + 3);
    }

    @Test
    void fullyPaddedSequenceGivesZerosAndNoGradient() {
        long seed = GpuFixture.seed("attention padded");
        run(new Case("f32 empty sequence", DType.F32, 2, 2, 1, 9, 20, 8, 8, false, 0, new int[] {0, 20}, false), seed);
        Rng r = new Rng(seed);
        Tensor q = Tensor.randn(r, DType.F32, 1, 1, 3, 8).to(CUDA), k = Tensor.randn(r, DType.F32, 1, 1, 4, 8).to(CUDA);
        Tensor pad = AttentionMask.keyPadding(new int[] {0}, 4).to(CUDA);
        Attention.Result res = be.attentionKernels().forward(q, k, k, pad, false, 0.5, 0);
        for (float x : res.out().toFloatArray()) assertEquals(0f, x);
        for (float x : res.lse().toFloatArray()) assertEquals(Float.NEGATIVE_INFINITY, x);
    }

    @Test
    void bfloat16TensorCoreKernelsMatchTheComposite() {
        long seed = GpuFixture.seed("attention bf16");
        assertTrue(Attention.tensorCores(DType.BF16, 64, 64) && !Attention.tensorCores(DType.BF16, 40, 40)
                && !Attention.tensorCores(DType.F32, 64, 64));
        run(new Case("bf16 d64 GQA causal+pad", DType.BF16, 1, 4, 2, 130, 130, 64, 64, true, 0, new int[] {100}, false), seed);
        run(new Case("bf16 d32 MHA strided q", DType.BF16, 2, 2, 2, 65, 65, 32, 32, false, 0, null, true), seed + 1);
        run(new Case("bf16 d128 MQA cache offset", DType.BF16, 1, 2, 1, 40, 72, 128, 128, true, 32, null, false), seed + 2);
        run(new Case("bf16 d40 (float kernels)", DType.BF16, 1, 2, 1, 17, 17, 40, 40, true, 0, new int[] {12}, false), seed + 3);
    }

    @Test
    void float32InputsRunOnTensorCoresInBf16Precision() {
        long seed = GpuFixture.seed("attention f32 in bf16 precision");
        MatmulPrecision before = CudaBackend.matmulPrecision();
        CudaBackend.setMatmulPrecision(MatmulPrecision.BF16);
        try {
            // F32 tensors in and out, bf16 products inside: the bf16 gate applies
            runWithTolerance(new Case("f32 inputs, bf16 precision, d64 GQA causal", DType.F32, 1, 4, 2, 70, 70, 64, 64, true, 0,
                    new int[] {60}, false), seed, GpuFixture.BF16);
        } finally {
            CudaBackend.setMatmulPrecision(before);
        }
        assertEquals(MatmulPrecision.TF32, MatmulPrecision.parse("--precision", " tf32"));
        var e = assertThrows(IllegalArgumentException.class, () -> MatmulPrecision.parse("--precision", "fp8"));
        assertEquals("--precision: expected f32, tf32 or bf16, got 'fp8'", e.getMessage());
    }

    @Test
    void theBackendSpiOpRunsTheKernelsAndMatchesTheCpuBackend() {
        Rng r = new Rng(GpuFixture.seed("attention SPI"));
        int[] lengths = {40, 23};
        Tensor pad = AttentionMask.keyPadding(lengths, 40);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor q = Tensor.randn(r, DType.F32, 2, 4, 33, 16).to(dt), k = Tensor.randn(r, DType.F32, 2, 2, 40, 16).to(dt);
            Tensor v = Tensor.randn(r, DType.F32, 2, 2, 40, 24).to(dt), g = Tensor.randn(r, DType.F32, 2, 4, 33, 24).to(dt);
            var cpu = dev.tessera.tensor.Attention.forward(q, k, v, pad, true, 7, 0.25);
            var cpuGrads = dev.tessera.tensor.Attention.backward(q, k, v, cpu.out(), cpu.lse(), g, pad, true, 7, 0.25);
            Tensor gq = q.to(CUDA), gk = k.to(CUDA), gv = v.to(CUDA);
            var gpu = dev.tessera.tensor.Attention.forward(gq, gk, gv, pad.to(CUDA), true, 7, 0.25);
            var gpuGrads = dev.tessera.tensor.Attention.backward(gq, gk, gv, gpu.out(), gpu.lse(), g.to(CUDA), pad.to(CUDA), true, 7, 0.25);
            double tol = GpuFixture.tol(dt) == 1e-12 ? 1e-10 : GpuFixture.F32;   // F64 runs the composite on the device
            closeReport("SPI attention out " + dt, cpu.out(), gpu.out().contiguous(), tol);
            closeReport("SPI attention lse " + dt, cpu.lse(), gpu.lse().contiguous(), tol);
            closeReport("SPI attention dq " + dt, cpuGrads.dq(), gpuGrads.dq().contiguous(), tol);
            closeReport("SPI attention dk " + dt, cpuGrads.dk(), gpuGrads.dk().contiguous(), tol);
            closeReport("SPI attention dv " + dt, cpuGrads.dv(), gpuGrads.dv().contiguous(), tol);
        }
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor q = Tensor.zeros(DType.F32, 1, 2, 3, 8).to(CUDA), k = Tensor.zeros(DType.F32, 1, 3, 3, 8).to(CUDA);
        var e = assertThrows(IllegalArgumentException.class, () -> be.attentionKernels().forward(q, k, k, null, false, 1, 0));
        assertTrue(e.getMessage().startsWith("attention: incompatible shapes"), e.getMessage());
        Tensor big = Tensor.zeros(DType.F32, 1, 1, 3, 160).to(CUDA);
        e = assertThrows(IllegalArgumentException.class, () -> be.attentionKernels().forward(big, big, big, null, false, 1, 0));
        assertTrue(e.getMessage().contains("head dims in [1, 128]"), e.getMessage());
        Tensor d64 = Tensor.zeros(DType.F64, 1, 1, 3, 8).to(CUDA);
        e = assertThrows(IllegalArgumentException.class, () -> be.attentionKernels().forward(d64, d64, d64, null, false, 1, 0));
        assertTrue(e.getMessage().contains("F32 or BF16"), e.getMessage());
    }
}
