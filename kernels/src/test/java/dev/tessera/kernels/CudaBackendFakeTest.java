package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.kernels.cuda.Cublas;
import dev.tessera.kernels.memory.Scope;
import dev.tessera.kernels.ops.MatmulPrecision;
import dev.tessera.kernels.runtime.CudaRuntime;
import dev.tessera.tensor.Backends;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend end to end on the fake driver and cuBLAS: provider discovery, transfers of
 * every dtype through pinned staging, cuBLAS matmul layouts (row-major swap, transposed views,
 * batch strides), scopes and allocator statistics, launch plumbing. Fake kernels compute
 * nothing, so only ops that need no kernel are checked for values here; the GPU suite checks
 * every op on a real device.
 */
class CudaBackendFakeTest {
    static final Device CUDA = Device.cuda(0);
    static CudaBackend be;

    @BeforeAll
    static void setUp() {
        FakeCuda.install();
        Assumptions.assumeTrue(FakeCuda.skipReason().isEmpty(), () -> FakeCuda.skipReason().orElse(""));
        Assumptions.assumeTrue(CudaRuntime.probe().available(), () -> "fake runtime unavailable: " + CudaRuntime.probe().reason());
        be = (CudaBackend) Backends.of(CUDA);
    }

    @Test
    void providerIsDiscoveredAndDescribesTheDevice() {
        assertTrue(Backends.cudaAvailable());
        assertEquals(CUDA, Device.best());
        assertInstanceOf(CudaBackend.class, Backends.of(CUDA));
        assertEquals("Tessera Fake GPU", be.cudaDevice().name());
        assertEquals(9, be.cudaDevice().computeMajor());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.of(Device.cuda(1)));
        assertEquals("cuda: device index 1 out of range; this machine has 1 CUDA device", e.getMessage());
        List<String> info = CudaInfo.report();
        String all = String.join("\n", info);
        assertTrue(all.contains("CUDA driver 13.0 (13000)"), all);
        assertTrue(all.contains("Tessera Fake GPU, sm_90, 132 SMs, 80.0 GiB"), all);
        assertTrue(all.contains("cuBLAS") && all.contains("libcublas.so.13 version 13.0.0"), all);
        assertTrue(all.contains("NVRTC") && all.contains("version 13.0"), all);
        assertTrue(all.contains("Kernel dir"), all);
    }

    @Test
    void requirementsAreExplained() {
        assertTrue(CudaRuntime.requirementProblem(11080, true, true, true).orElseThrow().contains("needs a CUDA 12.0 (R525)"));
        assertTrue(CudaRuntime.requirementProblem(12040, true, false, true).orElseThrow()
                .startsWith("driver 12.4 found, but no cuBLAS (libcublas.so.12)"));
        assertTrue(CudaRuntime.requirementProblem(12040, false, true, true).orElseThrow()
                .contains("the shipped PTX needs a CUDA 13 driver (>= 580) and this one is 12.4"));
        assertTrue(CudaRuntime.requirementProblem(13000, false, true, false).orElseThrow()
                .contains("built without nvcc and carries no PTX"));
        assertTrue(CudaRuntime.requirementProblem(13000, false, true, true).isEmpty(), "PTX suffices on a CUDA 13 driver");
        assertTrue(CudaRuntime.requirementProblem(12000, true, true, false).isEmpty(), "NVRTC suffices anywhere");
    }

    @Test
    void everyDtypeRoundTripsThroughTheDevice() {
        Rng r = new Rng(3);
        Tensor f = Tensor.randn(r, DType.F32, 3, 5), d = Tensor.randn(r, DType.F64, 7);
        Tensor i = Tensor.of(new int[] {1, -2, Integer.MAX_VALUE, Integer.MIN_VALUE}, 2, 2);
        Tensor b = Tensor.of(new boolean[] {true, false, true}, 3);
        Tensor h = Tensor.randn(r, DType.F32, 9).to(DType.BF16);
        for (Tensor t : List.of(f, d, i, b, h, Tensor.zeros(DType.F32, 0, 4))) {
            Tensor g = t.to(CUDA);
            assertEquals(CUDA, g.device());
            assertArrayEquals(t.shape(), g.shape());
            Tensor back = g.to(Device.cpu());
            assertArrayEquals(t.toDoubleArray(), back.toDoubleArray(), 0.0, t.dtype().toString());
        }
        // bulk copies go through both pinned buffers several times
        float[] big = new float[(5 << 20) / 4 * 3 + 7];
        for (int k = 0; k < big.length; k++) big[k] = k * 0.5f;
        float[] back = (float[]) be.toArray(be.fromArray(big, DType.F32, new int[] {big.length}));
        assertArrayEquals(big, back);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> be.fromArray(new int[3], DType.F32, new int[] {3}));
        assertEquals("fromArray: array int[] does not hold dtype F32", e.getMessage());
    }

    @Test
    void contiguousFillsAndCopiesNeedNoKernel() {
        long launches = FakeCuda.launches();
        Tensor t = Tensor.zeros(DType.F32, CUDA, 4, 3);
        assertArrayEquals(new float[12], t.toFloatArray());
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).to(CUDA);
        Tensor y = x.copy();
        assertArrayEquals(new float[] {1, 2, 3, 4}, y.toFloatArray());
        Tensor ints = Tensor.full(DType.I32, CUDA, -7, 5);
        assertArrayEquals(new int[] {-7, -7, -7, -7, -7}, ints.toIntArray());
        assertEquals(launches, FakeCuda.launches(), "memset and memcpy paths launch no kernel");
    }

    static void assertMatmul(Tensor a, Tensor b) {
        float[] ref = a.matmul(b).toFloatArray();
        Tensor got = a.to(CUDA).matmul(b.to(CUDA));
        assertArrayEquals(a.matmul(b).shape(), got.shape());
        float[] g = got.toFloatArray();
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], g[i], 1e-5 * (1 + Math.abs(ref[i])), "element " + i);
    }

    @Test
    void matmulUsesCublasRowMajorWithoutCopies() {
        Rng r = new Rng(11);
        Tensor a = Tensor.randn(r, DType.F32, 5, 3), b = Tensor.randn(r, DType.F32, 3, 7);
        assertMatmul(a, b);
        // transposed view: passed as OP_T, no copy
        Tensor bt = Tensor.randn(r, DType.F32, 7, 3);
        long launches = FakeCuda.launches();
        Tensor ga = a.to(CUDA), gbt = bt.to(CUDA);
        Tensor c = ga.matmul(gbt.mT());
        assertEquals(launches, FakeCuda.launches(), "no copy kernel for a transposed operand");
        int[] call = FakeCuda.lastGemm();
        assertEquals(Cublas.OP_T, call[0], "B^T stored row-major [7,3] is column-major B: transposed");
        assertEquals(7, call[2]);
        assertEquals(5, call[3]);
        float[] ref = a.matmul(bt.mT()).toFloatArray(), got = c.toFloatArray();
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-5);
        // batched with a broadcast (stride 0) right operand, and a broadcast left operand
        assertMatmul(Tensor.randn(r, DType.F32, 2, 4, 3), Tensor.randn(r, DType.F32, 3, 5));
        assertMatmul(Tensor.randn(r, DType.F32, 4, 3), Tensor.randn(r, DType.F32, 2, 3, 5));
        assertEquals(2, FakeCuda.lastGemm()[8], "batch count");
        // F64 runs in double
        Tensor a64 = Tensor.randn(r, DType.F64, 6, 2), b64 = Tensor.randn(r, DType.F64, 2, 3);
        double[] r64 = a64.matmul(b64).toDoubleArray(), g64 = a64.to(CUDA).matmul(b64.to(CUDA)).toDoubleArray();
        assertArrayEquals(r64, g64, 1e-12);
        assertEquals(Cublas.COMPUTE_64F, FakeCuda.lastGemm()[9]);
    }

    @Test
    void matmulPrecisionSelectsTheComputeType() {
        Rng r = new Rng(5);
        Tensor a = Tensor.randn(r, DType.F32, 8, 16).to(CUDA), b = Tensor.randn(r, DType.F32, 16, 4).to(CUDA);
        be.matmul(a, b, new int[] {8, 4}, MatmulPrecision.F32);
        assertEquals(Cublas.COMPUTE_32F, FakeCuda.lastGemm()[9]);
        Tensor tf = be.matmul(a, b, new int[] {8, 4}, MatmulPrecision.TF32);
        assertEquals(Cublas.COMPUTE_32F_FAST_TF32, FakeCuda.lastGemm()[9]);
        float[] ref = a.to(Device.cpu()).matmul(b.to(Device.cpu())).toFloatArray(), got = tf.toFloatArray();
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (ref[i] - got[i]) * (ref[i] - got[i]);
            den += ref[i] * ref[i];
        }
        double rel = Math.sqrt(num / den);
        assertTrue(rel < 5e-4 && rel > 0, "TF32 relative error " + rel + " must be nonzero and within 5e-4");
    }

    @Test
    void scopesFreeDeviceTensorsAndStatsShowIt() {
        long before = be.memoryStats().inUseBytes();
        Tensor kept;
        Tensor dropped;
        try (Scope s = Scope.open()) {
            dropped = Tensor.zeros(DType.F32, CUDA, 1000);
            kept = s.keep(Tensor.zeros(DType.F32, CUDA, 2000));
            assertTrue(be.memoryStats().inUseBytes() >= before + 12000);
        }
        assertEquals(before + 8192, be.memoryStats().inUseBytes(), "only the kept tensor (8000 B, 8192 rounded) remains");
        assertEquals(2000, kept.toFloatArray().length);
        IllegalStateException e = assertThrows(IllegalStateException.class, dropped::toFloatArray);
        assertTrue(e.getMessage().startsWith("device memory used after it was freed"), e.getMessage());
        long hits = be.memoryStats().cacheHits();
        try (Scope s = Scope.open()) {
            Tensor.zeros(DType.F32, CUDA, 1000);
        }
        assertEquals(hits + 1, be.memoryStats().cacheHits(), "the freed block is reused");
    }

    @Test
    void kernelLaunchesReachTheDriver() {
        Assumptions.assumeTrue(FakeCuda.which("nvcc").isPresent(), "nvcc not found: the fake NVRTC cannot compile");
        Tensor x = Tensor.zeros(DType.F32, CUDA, 1000);
        long launches = FakeCuda.launches();
        x.add(1.0);
        assertEquals(launches + 1, FakeCuda.launches());
        int[] l = FakeCuda.lastLaunch();
        assertEquals(256, l[3], "block size");
        assertEquals(1, l[0], "1000 floats as 250 float4: one block");
        assertEquals("elementwise", be.cudaDevice().modules().loaded().keySet().stream()
                .filter("elementwise"::equals).findFirst().orElse(""));
    }
}
