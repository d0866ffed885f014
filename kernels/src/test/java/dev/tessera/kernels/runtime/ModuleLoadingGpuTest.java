package dev.tessera.kernels.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.kernels.CudaInfo;
import dev.tessera.kernels.cuda.Nvrtc;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On a real GPU: the environment report, every module compiled by the real NVRTC for sm_80 and
 * sm_90 (the only place NVRTC compatibility of the sources is proven), and the shipped compute_80
 * PTX loaded through the driver's JIT.
 */
@Tag("gpu")
class ModuleLoadingGpuTest {
    static CudaRuntime rt;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeFalse(System.getProperty("tessera.cuda.driver", "").contains("fake-cuda"),
                "the fake CUDA driver is installed in this JVM: GPU tests skipped");
        CudaRuntime.Probe p = CudaRuntime.probe();
        Assumptions.assumeTrue(p.available(), () -> "no usable CUDA device: " + p.reason());
        rt = p.runtime();
        System.out.println("[gpu] environment\n" + String.join("\n", CudaInfo.report()));
    }

    @Test
    void everyModuleCompilesWithNvrtcForSm80AndSm90() {
        Assumptions.assumeTrue(rt.nvrtc().isPresent(), "NVRTC not found on this machine");
        Nvrtc nv = rt.nvrtc().get();
        KernelSources src = rt.sources();
        for (String arch : new String[] {"sm_80", "sm_90"}) {
            for (String m : KernelSources.MODULES) {
                long t0 = System.nanoTime();
                byte[] cubin = nv.compile(src.source(m), m + ".cu", Map.of(KernelSources.HEADER, src.header()),
                        java.util.List.of("--gpu-architecture=" + arch, "--std=c++17", "-DTESSERA_NVRTC=1"), Nvrtc.Output.CUBIN);
                assertEquals(0x7f, cubin[0], m + " for " + arch + " is not an ELF CUBIN");
                System.out.printf("[gpu] nvrtc %s %-12s %7d bytes %6.0f ms%n", arch, m, cubin.length, (System.nanoTime() - t0) / 1e6);
            }
        }
    }

    @Test
    void shippedPtxLoadsThroughTheDriverJit() {
        Assumptions.assumeTrue(rt.sources().hasPtx(), "this jar carries no PTX");
        Assumptions.assumeTrue(rt.driverVersion() >= 13000, "PTX from nvcc 13 needs a CUDA 13 driver");
        CudaDevice dev = rt.device(0);
        KernelModules ptx = new KernelModules(dev, Optional.empty());
        for (String m : KernelSources.MODULES) {
            long t0 = System.nanoTime();
            assertEquals(KernelModules.Origin.PTX, ptx.module(m).origin());
            System.out.printf("[gpu] ptx jit %-12s %6.0f ms%n", m, (System.nanoTime() - t0) / 1e6);
        }
        assertTrue(ptx.kernel("elementwise", "ew_binary_f32").handle().address() != 0);
    }

    @Test
    void modulesInUseReportTheirOrigin() {
        CudaDevice dev = rt.device(0);
        dev.modules().module("elementwise");
        for (var e : dev.modules().loaded().entrySet()) System.out.println("[gpu] module " + e.getKey() + " from " + e.getValue().origin());
        assertTrue(dev.modules().loaded().containsKey("elementwise"));
    }
}
