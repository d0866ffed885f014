package dev.tessera.kernels.gpu;

import static dev.tessera.kernels.gpu.GpuFixture.CUDA;
import static dev.tessera.kernels.gpu.GpuFixture.close;
import static dev.tessera.kernels.gpu.GpuFixture.closeReport;

import dev.tessera.kernels.CudaBackend;
import dev.tessera.nn.layers.Embedding;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Embedding forward (index-select of rows) and backward (index-add by sorted segments: the index is
 * stably sorted and each output row sums its own tokens in token order, so the GPU adds in exactly the
 * CPU's order) against the CPU, for every dtype, repeated and unused rows, and an nn Embedding layer.
 */
@Tag("gpu")
class EmbeddingGpuTest {
    static CudaBackend be;

    @BeforeAll
    static void setUp() {
        be = GpuFixture.require();
    }

    static Tensor tokens(Rng r, int n, int vocab) {
        int[] v = new int[n];
        // a skewed draw: row 0 gets a long segment, many rows stay empty
        for (int i = 0; i < n; i++) v[i] = r.nextInt(4) == 0 ? 0 : r.nextInt(vocab / 2) * 2;
        return Tensor.of(v, n);
    }

    @Test
    void indexAddBySortedSegmentsMatchesTheCpuForEveryDtype() {
        Rng r = new Rng(GpuFixture.seed("embedding backward"));
        int vocab = 301, n = 2000, d = 12;
        Tensor idx = tokens(r, n, vocab);
        Tensor src = Tensor.randn(r, DType.F32, n, d);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.BF16, DType.I32}) {
            Tensor s = dt == DType.I32 ? src.mul(100.0).to(DType.I32) : src.to(dt);
            double tol = dt == DType.BF16 ? GpuFixture.BF16 : dt == DType.F64 ? 1e-12 : GpuFixture.F32;
            close("indexAdd sorted " + dt, Tensor.indexAdd(new int[] {vocab, d}, 0, idx, s),
                    Tensor.indexAdd(new int[] {vocab, d}, 0, idx.to(CUDA), s.to(CUDA)), tol);
        }
        // along an inner dimension (outer > 1)
        Tensor src3 = Tensor.randn(r, DType.F32, 3, n, 4);
        close("indexAdd sorted dim 1", Tensor.indexAdd(new int[] {3, vocab, 4}, 1, idx, src3),
                Tensor.indexAdd(new int[] {3, vocab, 4}, 1, idx.to(CUDA), src3.to(CUDA)), GpuFixture.F32);
    }

    @Test
    void embeddingLayerForwardAndBackward() {
        long seed = GpuFixture.seed("embedding layer");
        Rng r = new Rng(seed);
        int vocab = 500, d = 32;
        Tensor idx = tokens(r, 24 * 40, vocab).reshape(24, 40);
        Tensor gy = Tensor.randn(r, DType.F32, 24, 40, d);
        Embedding cpu = new Embedding(vocab, d, new Rng(seed + 1));
        var y = cpu.forward(idx);
        y.backward(gy);
        Embedding gpu = new Embedding(vocab, d, new Rng(seed + 1));
        gpu.to(CUDA);
        var yg = gpu.forward(idx.to(CUDA));
        yg.backward(gy.to(CUDA));
        close("embedding forward", y.value(), yg.value(), 0);
        closeReport("embedding weight grad", cpu.weight().grad(), gpu.weight().grad(), GpuFixture.F32);
    }
}
