package dev.tessera.kernels.runtime;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.FakeCuda;
import dev.tessera.kernels.cuda.CudaException;
import dev.tessera.kernels.cuda.Driver;
import dev.tessera.kernels.cuda.KernelArgs;
import dev.tessera.kernels.memory.Scope;
import dev.tessera.kernels.ops.Gpu;
import dev.tessera.tensor.Backends;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stream capture and graph replay through the binding, against the fake driver (compiled from the
 * real cuda.h; it records captured work as nodes, copies kernel arguments at launch and refuses
 * what a capture forbids), and the {@link CudaGraph} capture/replay flow: planned arena (no
 * allocation while capturing), pinned input/output buffers read and written at replay time, clear
 * failures for steps that allocate differently or touch the host.
 */
class CudaGraphFakeTest {
    static CudaDevice dev;
    static Driver d;

    @BeforeAll
    static void setUp() {
        FakeCuda.install();
        Assumptions.assumeTrue(FakeCuda.skipReason().isEmpty(), () -> FakeCuda.skipReason().orElse(""));
        Assumptions.assumeTrue(CudaRuntime.probe().available(), () -> CudaRuntime.probe().reason());
        dev = ((CudaBackend) Backends.of(Device.cuda(0))).cudaDevice();
        d = dev.runtime().driver();
    }

    @Test
    void capturedLaunchesRunOnlyWhenReplayedWithTheArgumentsOfTheirCapture() {
        int n = 256;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = d.moduleGetFunction(d.moduleLoadData(a.allocateFrom(".version 9.0\n.entry fake_saxpy(")), "fake_saxpy");
            long x = d.memAlloc(4L * n), y = d.memAlloc(4L * n);
            float[] ones = new float[n];
            java.util.Arrays.fill(ones, 1f);
            MemorySegment s = dev.stream();
            d.memcpyHtoDAsync(x, a.allocateFrom(JAVA_FLOAT, ones), 4L * n, s);
            d.memsetD32Async(y, 0, n, s);
            long nodes0 = FakeCuda.capturedNodes(), launches0 = FakeCuda.graphLaunches();
            d.streamBeginCapture(s, Driver.CAPTURE_MODE_THREAD_LOCAL);
            assertEquals(Driver.CAPTURE_STATUS_ACTIVE, d.streamCaptureStatus(s));
            // one reusable argument block: each launch must keep the values it had when captured
            KernelArgs args = new KernelArgs(a, 4, 64).i32(n).f32(2f).ptr(x).ptr(y);
            d.launchKernel(f, 1, 1, 1, 256, 1, 1, 0, s, args.segment());
            args.reset().i32(n).f32(10f).ptr(x).ptr(y);
            d.launchKernel(f, 1, 1, 1, 256, 1, 1, 0, s, args.segment());
            MemorySegment g = d.streamEndCapture(s);
            assertEquals(Driver.CAPTURE_STATUS_NONE, d.streamCaptureStatus(s));
            assertEquals(2, d.graphNodeCount(g));
            assertEquals(2, FakeCuda.capturedNodes() - nodes0);
            MemorySegment out = a.allocate(JAVA_FLOAT, n);
            d.memcpyDtoHAsync(out, y, 4L * n, s);
            assertEquals(0f, out.getAtIndex(JAVA_FLOAT, 7), "nothing runs while capturing");
            MemorySegment exec = d.graphInstantiate(g);
            d.graphDestroy(g);   // the executable graph is independent of the graph it came from
            d.graphUpload(exec, s);
            d.graphLaunch(exec, s);
            d.graphLaunch(exec, s);
            d.memcpyDtoHAsync(out, y, 4L * n, s);
            d.streamSynchronize(s);
            assertEquals(24f, out.getAtIndex(JAVA_FLOAT, 7), "two replays of y += 2x; y += 10x");
            assertEquals(2, FakeCuda.graphLaunches() - launches0);
            d.graphExecDestroy(exec);
            d.memFree(x);
            d.memFree(y);
        }
    }

    @Test
    void aForbiddenCallInvalidatesTheCapture() {
        MemorySegment s = dev.stream();
        d.streamBeginCapture(s, Driver.CAPTURE_MODE_THREAD_LOCAL);
        CudaException sync = assertThrows(CudaException.class, () -> d.streamSynchronize(s));
        assertTrue(sync.getMessage().contains("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"), sync.getMessage());
        assertThrows(CudaException.class, () -> d.memAlloc(64));
        assertEquals(Driver.CAPTURE_STATUS_INVALIDATED, d.streamCaptureStatus(s));
        CudaException end = assertThrows(CudaException.class, () -> d.streamEndCapture(s));
        assertTrue(end.getMessage().contains("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"), end.getMessage());
        assertEquals(Driver.CAPTURE_STATUS_NONE, d.streamCaptureStatus(s));
    }

    @Test
    void aCapturedStepAllocatesFromItsArenaAndReadsInputsAtReplayTime() {
        Device cuda = Device.cuda(0);
        int n = 300;
        Tensor in = Tensor.zeros(DType.F32, cuda, n), out = Tensor.zeros(DType.F32, cuda, n);
        long errors0 = FakeCuda.captureErrors();
        try (CudaGraph.Buffer input = new CudaGraph.Buffer(dev, Gpu.ptr(in), 4L * n);
             CudaGraph.Buffer output = new CudaGraph.Buffer(dev, Gpu.ptr(out), 4L * n)) {
            int[] runs = {0};
            CudaGraph graph = CudaGraph.capture(dev, () -> {
                runs[0]++;
                input.upload();
                try (Scope step = Scope.open()) {
                    // temporaries with overlapping and disjoint lifetimes, copies through them
                    Tensor a = Tensor.zeros(DType.F32, cuda, n).copyFrom(in);
                    Tensor b = Tensor.zeros(DType.F32, cuda, 2 * n);
                    b.narrow(0, n, n).copyFrom(a);
                    Tensor c = Tensor.zeros(DType.F32, cuda, n).copyFrom(b.narrow(0, n, n));
                    out.copyFrom(c);
                }
                output.download();
            });
            try (graph) {
                assertEquals(3, runs[0], "warm-up, recording and capture runs");
                assertEquals(errors0, FakeCuda.captureErrors(), "no allocation or synchronisation while capturing");
                assertEquals(3, graph.allocations());
                assertTrue(graph.arenaBytes() > 0 && graph.arenaBytes() <= graph.recordedBytes(), graph.arenaBytes() + " of "
                        + graph.recordedBytes());
                assertTrue(graph.nodes() >= 6, "copies and memsets become nodes: " + graph.nodes());
                for (int step = 0; step < 3; step++) {
                    for (int i = 0; i < n; i++) input.host().setAtIndex(JAVA_FLOAT, i, 100 * step + i);
                    output.host().fill((byte) 0);
                    graph.replay();
                    dev.synchronize();
                    for (int i = 0; i < n; i += 37) {
                        assertEquals(100f * step + i, output.host().getAtIndex(JAVA_FLOAT, i), "replay " + step + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void stepsThatAllocateDifferentlyOrTouchTheHostFailClearly() {
        Device cuda = Device.cuda(0);
        int[] size = {10};
        var e = assertThrows(IllegalStateException.class, () -> CudaGraph.capture(dev, () -> {
            size[0] += 10;
            Tensor.zeros(DType.F32, cuda, size[0]);
        }));
        assertTrue(e.getMessage().startsWith("CUDA graph capture: allocation #0 asks for 160 bytes but was 120 bytes"), e.getMessage());
        assertFalse(dev.capturing());
        e = assertThrows(IllegalStateException.class, () -> CudaGraph.capture(dev, () -> Tensor.zeros(DType.F32, cuda, 4).toFloatArray()));
        assertTrue(e.getMessage().startsWith("CUDA graph capture: reading device memory on the host cannot be part of a captured step"),
                e.getMessage());
        assertFalse(dev.capturing());
        // the device still works
        assertEquals(4, Tensor.zeros(DType.F32, cuda, 4).toFloatArray().length);
    }
}
