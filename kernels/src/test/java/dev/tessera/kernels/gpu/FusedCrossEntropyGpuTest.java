package dev.tessera.kernels.gpu;

import static dev.tessera.kernels.gpu.GpuFixture.CUDA;
import static dev.tessera.kernels.gpu.GpuFixture.closeReport;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.ops.Gpu;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The one-pass cross-entropy (loss and logits gradient together, optionally in place) against its
 * composite on the CPU: crossEntropy then crossEntropyBackward, with ignored rows, label smoothing,
 * a per-row and a constant loss gradient, and a vocabulary wider than one block.
 */
@Tag("gpu")
class FusedCrossEntropyGpuTest {
    static CudaBackend be;

    @BeforeAll
    static void setUp() {
        be = GpuFixture.require();
    }

    @Test
    void lossAndGradientInOnePassMatchTheComposite() {
        Rng r = new Rng(GpuFixture.seed("fused cross-entropy"));
        int rows = 37, c = 1000;
        Tensor logits = Tensor.randn(r, DType.F32, rows, c).mul(3.0);
        int[] t = new int[rows];
        for (int i = 0; i < rows; i++) t[i] = i % 5 == 0 ? -100 : r.nextInt(c);
        Tensor targets = Tensor.of(t, rows);
        Tensor gLoss = Tensor.randn(r, DType.F32, rows);
        for (double ls : new double[] {0.0, 0.1}) {
            Tensor[] ref = logits.backend().crossEntropy(logits, targets, -100, ls);
            Tensor dRef = logits.backend().crossEntropyBackward(ref[1], targets, gLoss, -100, ls);
            Tensor dMean = logits.backend().crossEntropyBackward(ref[1], targets, Tensor.full(DType.F32, 1.0 / rows, rows), -100, ls);
            Tensor[] got = be.crossEntropyWithGrad(logits.to(CUDA), targets.to(CUDA), -100, ls, gLoss.to(CUDA), 0, false);
            closeReport("fused xent loss ls " + ls, ref[0], got[0], GpuFixture.F32);
            closeReport("fused xent dlogits ls " + ls, dRef, got[1], GpuFixture.F32);
            Tensor inPlace = logits.to(CUDA);
            Tensor[] mean = be.crossEntropyWithGrad(inPlace, targets.to(CUDA), -100, ls, null, 1.0 / rows, true);
            assertEquals(Gpu.ptr(inPlace), Gpu.ptr(mean[1]), "the gradient overwrote the logits");
            closeReport("fused xent in place, mean ls " + ls, dMean, mean[1], GpuFixture.F32);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> be.crossEntropyWithGrad(logits.to(CUDA).mT(), targets.to(CUDA), -100, 0,
                null, 1, true));
        assertEquals("crossEntropyWithGrad: expected logits [N,C] and I32 targets [N], got logits [1000,37] and I32 targets [37]",
                e.getMessage());
    }
}
