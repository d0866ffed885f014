package dev.tessera.kernels.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.kernels.FakeCuda;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Where kernel modules come from: NVRTC then the disk cache, the shipped PTX without NVRTC. */
class KernelModulesFakeTest {
    static CudaDevice dev;

    @BeforeAll
    static void setUp() {
        FakeCuda.install();
        Assumptions.assumeTrue(FakeCuda.skipReason().isEmpty(), () -> FakeCuda.skipReason().orElse(""));
        Assumptions.assumeTrue(FakeCuda.which("nvcc").isPresent(), "nvcc not found: the fake NVRTC cannot compile");
        Assumptions.assumeTrue(CudaRuntime.probe().available(), () -> CudaRuntime.probe().reason());
        dev = CudaRuntime.get().device(0);
    }

    private static List<Path> cached() throws IOException {
        Path dir = CudaRuntime.get().cache().dir();
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".cubin")).toList();
        }
    }

    @Test
    void compiledOnceThenLoadedFromTheCache() throws IOException {
        for (Path p : cached()) Files.delete(p);
        long compiles = FakeCuda.nvrtcCompiles();
        KernelModules first = new KernelModules(dev);
        assertEquals(KernelModules.Origin.NVRTC, first.module("reduce").origin());
        assertEquals(compiles + 1, FakeCuda.nvrtcCompiles());
        assertEquals(1, cached().size());
        assertEquals("sm_90", first.arch());
        KernelModules second = new KernelModules(dev);
        assertEquals(KernelModules.Origin.CACHE, second.module("reduce").origin());
        assertEquals(compiles + 1, FakeCuda.nvrtcCompiles(), "a cache hit compiles nothing");
        // a corrupt entry is dropped and recompiled
        Files.write(cached().get(0), new byte[] {1, 2, 3});
        KernelModules third = new KernelModules(dev);
        assertEquals(KernelModules.Origin.NVRTC, third.module("reduce").origin());
        assertEquals(compiles + 2, FakeCuda.nvrtcCompiles());
        assertTrue(third.kernel("reduce", "reduce_partial").handle().address() != 0);
    }

    @Test
    void withoutNvrtcTheShippedPtxIsLoaded() {
        Assumptions.assumeTrue(KernelSources.fromClasspath().hasPtx(), "this build carries no PTX (nvcc absent at build time)");
        KernelModules ptxOnly = new KernelModules(dev, Optional.empty());
        KernelModules.Loaded m = ptxOnly.module("random");
        assertEquals(KernelModules.Origin.PTX, m.origin());
        // the fake driver checks that the PTX declares the entry
        assertTrue(ptxOnly.kernel("random", "dropout_f32").handle().address() != 0);
    }

    @Test
    void cacheFolderIsConfigurable() {
        String before = System.getProperty("tessera.kernel.cache");
        try {
            System.setProperty("tessera.kernel.cache", "/some/where");
            assertEquals(Path.of("/some/where"), KernelCache.configuredDir());
            System.clearProperty("tessera.kernel.cache");
            Path d = KernelCache.configuredDir();
            assertTrue(d.endsWith(Path.of("tessera", "kernels")), d.toString());
        } finally {
            if (before != null) System.setProperty("tessera.kernel.cache", before);
        }
    }
}
