package dev.tessera.kernels.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.kernels.FakeCuda;
import dev.tessera.kernels.runtime.HostStaging;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The driver binding against the fake libcuda.so.1 built from the real cuda.h (GPU.md §6). */
class FakeDriverBindingTest {
    static Driver d;

    @BeforeAll
    static void setUp() {
        FakeCuda.install();
        Assumptions.assumeTrue(FakeCuda.skipReason().isEmpty(), () -> FakeCuda.skipReason().orElse(""));
        d = Driver.load();
        d.init();
    }

    @Test
    void entryPointsAreResolvedThroughGetProcAddressAtAbi12000() {
        MemorySegment viaProc = d.procAddress("cuMemAlloc", Driver.ABI);
        assertEquals(Driver.ABI, FakeCuda.lastProcVersion());
        MemorySegment v2 = d.library().require("cuMemAlloc_v2"), legacy = d.library().require("cuMemAlloc");
        assertEquals(v2.address(), viaProc.address(), "ABI 12000 must give the 64-bit cuMemAlloc_v2");
        assertNotEquals(legacy.address(), viaProc.address(), "the legacy 32-bit cuMemAlloc must never be used");
        // an ABI older than 3.2 would be the legacy function: the version really is passed through
        assertEquals(legacy.address(), d.procAddress("cuMemAlloc", 3010).address());
        assertEquals(MemorySegment.NULL, d.procAddress("cuNoSuchFunction", Driver.ABI));
    }

    @Test
    void deviceQueries() {
        assertEquals(13000, d.driverVersion());
        assertEquals(1, d.deviceCount());
        int dev = d.device(0);
        assertEquals("Tessera Fake GPU", d.deviceName(dev));
        assertEquals(9, d.attribute(75, dev));
        assertEquals(132, d.attribute(16, dev));
        assertEquals(80L << 30, d.totalMem(dev));
    }

    @Test
    void sizesAbove4GiBArriveIntact() {
        long size = (1L << 33) + 8;
        long p = d.memAlloc(size);
        assertEquals(size, FakeCuda.lastAllocSize());
        d.memFree(p);
    }

    @Test
    void failuresNameTheCallAndTheCudaError() {
        FakeCuda.fail("cuMemAlloc", 2, 1);
        CudaException e = assertThrows(CudaException.class, () -> d.memAlloc(1024));
        assertEquals("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", e.getMessage());
        assertEquals("cuMemAlloc", e.call());
        assertEquals(2, e.status());
        FakeCuda.fail("cuStreamSynchronize", 700, 1);
        e = assertThrows(CudaException.class, () -> d.streamSynchronize(MemorySegment.NULL));
        assertTrue(e.getMessage().startsWith("cuStreamSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)"), e.getMessage());
        // a status the driver cannot name still produces a readable message
        FakeCuda.fail("cuCtxSynchronize", 12345, 1);
        e = assertThrows(CudaException.class, d::ctxSynchronize);
        assertEquals("cuCtxSynchronize failed: CUDA_ERROR_12345 (12345)", e.getMessage());
        // the failure was consumed: the next call succeeds
        d.ctxSynchronize();
    }

    @Test
    void moduleLoadFailureCarriesTheJitLog() {
        try (Arena a = Arena.ofConfined()) {
            CudaException e = assertThrows(CudaException.class, () -> d.moduleLoadData(a.allocateFrom("garbage")));
            assertTrue(e.getMessage().startsWith("cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_IMAGE (200)"), e.getMessage());
            assertTrue(e.getMessage().contains("neither a CUBIN nor PTX"), e.getMessage());
            MemorySegment mod = d.moduleLoadData(a.allocateFrom(".version 9.0\n.target sm_80\n.entry fake_saxpy("));
            CudaException nf = assertThrows(CudaException.class, () -> d.moduleGetFunction(mod, "missing_kernel"));
            assertTrue(nf.getMessage().startsWith("cuModuleGetFunction(\"missing_kernel\") failed: CUDA_ERROR_NOT_FOUND"));
        }
    }

    @Test
    void launchMarshalsScalarAndPointerArguments() {
        int n = 1000;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mod = d.moduleLoadData(a.allocateFrom(".version 9.0\n.entry fake_saxpy("));
            MemorySegment f = d.moduleGetFunction(mod, "fake_saxpy");
            long x = d.memAlloc(4L * n), y = d.memAlloc(4L * n);
            float[] hx = new float[n], hy = new float[n];
            for (int i = 0; i < n; i++) {
                hx[i] = i;
                hy[i] = 2 * i + 1;
            }
            MemorySegment stream = d.streamCreate(1);
            d.memcpyHtoDAsync(x, a.allocateFrom(JAVA_FLOAT, hx), 4L * n, stream);
            d.memcpyHtoDAsync(y, a.allocateFrom(JAVA_FLOAT, hy), 4L * n, stream);
            KernelArgs args = new KernelArgs(a, 4, 64).i32(n).f32(0.5f).ptr(x).ptr(y);
            d.launchKernel(f, 4, 1, 1, 256, 1, 1, 0, stream, args.segment());
            assertArrayEquals(new int[] {4, 1, 1, 256, 1, 1, 0, 0}, FakeCuda.lastLaunch());
            // the block is reusable: a second launch with other values
            args.reset().i32(n).f32(2f).ptr(x).ptr(y);
            d.launchKernel(f, 4, 1, 1, 256, 1, 1, 0, stream, args.segment());
            MemorySegment out = a.allocate(JAVA_FLOAT, n);
            d.memcpyDtoHAsync(out, y, 4L * n, stream);
            d.streamSynchronize(stream);
            for (int i = 0; i < n; i++) assertEquals(2 * i + 1 + 0.5f * i + 2f * i, out.getAtIndex(JAVA_FLOAT, i), 1e-4f);
            d.memFree(x);
            d.memFree(y);
        }
    }

    @Test
    void pinnedStagingRoundTripsMultiChunkCopies() {
        int n = (int) (2.5 * HostStaging.CHUNK) + 13;
        byte[] data = new byte[n];
        new Random(7).nextBytes(data);
        MemorySegment stream = d.streamCreate(1);
        HostStaging st = new HostStaging(d, stream);
        long p = d.memAlloc(n);
        st.toDevice(MemorySegment.ofArray(data), p, n);
        byte[] back = new byte[n];
        st.toHost(p, MemorySegment.ofArray(back), n);
        assertArrayEquals(data, back);
        d.memFree(p);
    }

    @Test
    void toolkitSonamesFollowTheDriverVersion() {
        assertEquals(List.of("libnvrtc.so.13", "libnvrtc.so.12"), NativeLibs.sonames("libnvrtc", 13000));
        assertEquals(List.of("libcublas.so.13", "libcublas.so.12"), NativeLibs.sonames("libcublas", 13020));
        assertEquals(List.of("libcublas.so.12"), NativeLibs.sonames("libcublas", 12080));
        assertEquals(List.of("libnvrtc.so.12"), NativeLibs.sonames("libnvrtc", 12000));
        assertEquals(List.of(), NativeLibs.sonames("libnvrtc", 11080));
        assertTrue(NativeLibs.open("libtessera-does-not-exist.so.1").isEmpty());
    }

    @Test
    void missingDriverIsReportedNotThrownAtLoad() {
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, () -> Driver.load("/nonexistent/libcuda.so.1"));
        assertTrue(e.getMessage().contains("cannot open the CUDA driver /nonexistent/libcuda.so.1"), e.getMessage());
    }

    @Test
    void cublasRowMajorGemmMatchesAReference() {
        Cublas blas = Cublas.open(13000).orElseThrow();
        MemorySegment stream = d.streamCreate(1);
        try (Cublas.Handle h = blas.createHandle(stream, 0, 0); Arena a = Arena.ofConfined()) {
            assertEquals(130000, h.version());
            int m = 5, n = 7, k = 3, batch = 2;
            Random r = new Random(1);
            float[] av = new float[batch * m * k], bv = new float[batch * k * n];
            for (int i = 0; i < av.length; i++) av[i] = r.nextFloat() - 0.5f;
            for (int i = 0; i < bv.length; i++) bv[i] = r.nextFloat() - 0.5f;
            long A = d.memAlloc(4L * av.length), B = d.memAlloc(4L * bv.length), C = d.memAlloc(4L * batch * m * n);
            d.memcpyHtoDAsync(A, a.allocateFrom(JAVA_FLOAT, av), 4L * av.length, stream);
            d.memcpyHtoDAsync(B, a.allocateFrom(JAVA_FLOAT, bv), 4L * bv.length, stream);
            // A row-major [m,k], B stored transposed: B^T row-major [n,k] with ld k
            h.gemmRowMajor(false, true, m, n, k, A, Cublas.R_32F, k, (long) m * k, B, Cublas.R_32F, k, (long) n * k,
                    C, Cublas.R_32F, n, (long) m * n, batch, Cublas.COMPUTE_32F);
            assertArrayEquals(new int[] {Cublas.OP_T, Cublas.OP_N, n, m, k, k, k, n, batch, Cublas.COMPUTE_32F},
                    FakeCuda.lastGemm(), "column-major call is C^T = B^T A^T with m and n swapped");
            MemorySegment out = a.allocate(JAVA_FLOAT, batch * m * n);
            d.memcpyDtoHAsync(out, C, 4L * batch * m * n, stream);
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double ref = 0;
                        for (int l = 0; l < k; l++) ref += (double) av[b * m * k + i * k + l] * bv[b * k * n + j * k + l];
                        assertEquals(ref, out.getAtIndex(JAVA_FLOAT, b * m * n + i * n + j), 1e-5);
                    }
                }
            }
            // a bad leading dimension surfaces as a named cuBLAS error
            CudaException e = assertThrows(CudaException.class, () -> h.gemmRowMajor(false, false, m, n, k, A,
                    Cublas.R_32F, 1, 0, B, Cublas.R_32F, n, 0, C, Cublas.R_32F, n, 0, 1, Cublas.COMPUTE_32F));
            assertTrue(e.getMessage().startsWith("cublasGemmStridedBatchedEx failed: CUBLAS_STATUS_INVALID_VALUE (7)"),
                    e.getMessage());
            d.memFree(A);
            d.memFree(B);
            d.memFree(C);
        }
    }

    @Test
    void nvrtcCompilesWithInMemoryHeadersAndReportsTheLog() {
        Assumptions.assumeTrue(FakeCuda.which("nvcc").isPresent(), "nvcc not found: the fake NVRTC cannot compile");
        Nvrtc nv = Nvrtc.open(13000).orElseThrow();
        assertArrayEquals(new int[] {13, 0}, nv.version());
        String src = "#include \"k.cuh\"\nextern \"C\" __global__ void twice(float* x) { x[threadIdx.x] *= TWO; }\n";
        byte[] cubin = nv.compile(src, "t.cu", java.util.Map.of("k.cuh", "#define TWO 2.0f\n"),
                List.of("--gpu-architecture=sm_90", "--std=c++17"), Nvrtc.Output.CUBIN);
        assertEquals(0x7f, cubin[0]);
        assertEquals('E', cubin[1]);
        byte[] ptx = nv.compile(src, "t.cu", java.util.Map.of("k.cuh", "#define TWO 2.0f\n"),
                List.of("--gpu-architecture=compute_80"), Nvrtc.Output.PTX);
        String text = new String(ptx, 0, ptx.length - 1, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains(".entry twice"), text);
        CudaException e = assertThrows(CudaException.class, () -> nv.compile("extern \"C\" __global__ void bad() { undeclared(); }",
                "bad.cu", java.util.Map.of(), List.of("--gpu-architecture=sm_80"), Nvrtc.Output.CUBIN));
        assertTrue(e.getMessage().startsWith("nvrtcCompileProgram(bad.cu) failed: NVRTC_ERROR_COMPILATION (6)"), e.getMessage());
        assertTrue(e.getMessage().contains("undeclared"), "the compile log must be part of the message: " + e.getMessage());
    }

    @SuppressWarnings("unused")
    private static float[] floats(MemorySegment s, int n) {
        return s.asSlice(0, 4L * n).toArray(ValueLayout.JAVA_FLOAT);
    }
}
