package dev.tessera.kernels.gpu;

import static dev.tessera.kernels.gpu.GpuFixture.CUDA;
import static dev.tessera.kernels.gpu.GpuFixture.closeReport;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Variable;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.ops.LinearAttentionKernels;
import dev.tessera.nn.attention.AttentionMask;
import dev.tessera.nn.attention.LinearAttention;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.LinearAttentionOp;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The linear attention kernels against {@link LinearAttention#attend} in float64 on the CPU (output
 * and gradients by autograd): causal over several chunks (both chunk lengths), non-causal with
 * Tq != Tk, GQA and MQA, key padding including a fully padded sequence, strided q; and the SPI op
 * ({@link LinearAttentionOp}) on CUDA against the CPU op in float64.
 */
@Tag("gpu")
class LinearAttentionGpuTest {
    static CudaBackend be;
    static LinearAttentionKernels la;

    @BeforeAll
    static void setUp() {
        be = GpuFixture.require();
        la = be.linearAttentionKernels();
    }

    static void run(String name, long seed, int b, int h, int hkv, int tq, int tk, int d, int dv, boolean causal, int[] lengths,
                    boolean stridedQ) {
        Rng r = new Rng(seed);
        Tensor q = stridedQ ? Tensor.randn(r, DType.F32, b, tq, h, d).permute(0, 2, 1, 3) : Tensor.randn(r, DType.F32, b, h, tq, d);
        Tensor k = Tensor.randn(r, DType.F32, b, hkv, tk, d), v = Tensor.randn(r, DType.F32, b, hkv, tk, dv);
        Tensor gOut = Tensor.randn(r, DType.F32, b, h, tq, dv);
        Tensor pad = lengths == null ? null : AttentionMask.keyPadding(lengths, tk);
        Variable qv = Variable.leaf(q.to(DType.F64)), kv = Variable.leaf(k.to(DType.F64)), vv = Variable.leaf(v.to(DType.F64));
        Variable o = LinearAttention.attend(qv, kv, vv, pad, causal);
        o.backward(gOut.to(DType.F64));
        Tensor gp = pad == null ? null : pad.to(CUDA);
        Tensor out = la.forward(q.to(CUDA), k.to(CUDA), v.to(CUDA), gp, causal);
        Tensor[] gr = la.backward(q.to(CUDA), k.to(CUDA), v.to(CUDA), gp, causal, gOut.to(CUDA));
        closeReport(name + " out", o.value().to(DType.F32), out, GpuFixture.F32);
        closeReport(name + " dq", qv.grad().to(DType.F32), gr[0], GpuFixture.F32);
        closeReport(name + " dk", kv.grad().to(DType.F32), gr[1], GpuFixture.F32);
        closeReport(name + " dv", vv.grad().to(DType.F32), gr[2], GpuFixture.F32);
    }

    @Test
    void causalChunkedKernelsMatchTheLayer() {
        long seed = GpuFixture.seed("linear attention causal");
        run("la causal GQA pad", seed, 2, 4, 2, 150, 150, 16, 24, true, new int[] {150, 90}, false);
        run("la causal MQA strided, 32-row chunks", seed + 1, 1, 2, 1, 70, 70, 72, 40, true, null, true);
        run("la causal empty sequence", seed + 2, 2, 1, 1, 9, 9, 8, 8, true, new int[] {0, 9}, false);
    }

    @Test
    void nonCausalKernelsMatchTheLayer() {
        long seed = GpuFixture.seed("linear attention non-causal");
        run("la non-causal GQA pad Tq != Tk", seed, 2, 4, 2, 33, 50, 16, 12, false, new int[] {50, 7}, false);
        run("la non-causal MHA strided", seed + 1, 1, 3, 3, 20, 20, 40, 40, false, null, true);
    }

    @Test
    void theSpiOpRunsTheKernelsAndMatchesTheCpuOp() {
        Rng r = new Rng(GpuFixture.seed("linear attention SPI"));
        Tensor q = Tensor.randn(r, DType.F32, 2, 24, 4, 16).permute(0, 2, 1, 3), k = Tensor.randn(r, DType.F32, 2, 2, 30, 16);
        Tensor v = Tensor.randn(r, DType.F32, 2, 2, 30, 8), gOut = Tensor.randn(r, DType.F32, 2, 4, 24, 8);
        Tensor pad = AttentionMask.keyPadding(new int[] {30, 0}, 30);
        Tensor want = LinearAttentionOp.forward(q.to(DType.F64), k.to(DType.F64), v.to(DType.F64), pad);
        LinearAttentionOp.Grads wg = LinearAttentionOp.backward(q.to(DType.F64), k.to(DType.F64), v.to(DType.F64), want,
                gOut.to(DType.F64), pad);
        Tensor out = LinearAttentionOp.forward(q.to(CUDA), k.to(CUDA), v.to(CUDA), pad.to(CUDA));
        LinearAttentionOp.Grads g = LinearAttentionOp.backward(q.to(CUDA), k.to(CUDA), v.to(CUDA), out, gOut.to(CUDA), pad.to(CUDA));
        closeReport("la SPI out", want.to(DType.F32), out, GpuFixture.F32);
        closeReport("la SPI dq", wg.dq().to(DType.F32), g.dq(), GpuFixture.F32);
        closeReport("la SPI dk", wg.dk().to(DType.F32), g.dk(), GpuFixture.F32);
        closeReport("la SPI dv", wg.dv().to(DType.F32), g.dv(), GpuFixture.F32);
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor q = Tensor.zeros(DType.F32, 1, 2, 5, 8).to(CUDA), k = Tensor.zeros(DType.F32, 1, 2, 6, 8).to(CUDA);
        var e = assertThrows(IllegalArgumentException.class, () -> la.forward(q, k, k, null, true));
        assertTrue(e.getMessage().contains("causal needs Tq == Tk"), e.getMessage());
    }
}
