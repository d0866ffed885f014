package dev.tessera.kernels;

import dev.tessera.kernels.cuda.Nvrtc;
import dev.tessera.kernels.ops.MatmulPrecision;
import dev.tessera.kernels.runtime.CudaDevice;
import dev.tessera.kernels.runtime.CudaRuntime;
import dev.tessera.kernels.runtime.KernelCache;
import dev.tessera.kernels.runtime.KernelSources;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code tessera info} prints about CUDA: driver and CUDA versions, each GPU (name, compute
 * capability, SMs, memory), the cuBLAS and NVRTC libraries found, the kernel cache folder and
 * whether the jar carries the PTX fallback; or why CUDA is unusable here.
 *
 * <pre>{@code
 * CudaInfo.report().forEach(System.out::println);   // or: ./tessera info
 * }</pre>
 */
public final class CudaInfo {
    private CudaInfo() {}

    /** Report lines ("label  value"); never throws. */
    public static List<String> report() {
        List<String> r = new ArrayList<>();
        CudaRuntime.Probe p;
        try {
            p = CudaRuntime.probe();
        } catch (RuntimeException | LinkageError e) {
            r.add(line("CUDA", "unusable: " + e));
            return r;
        }
        if (!p.available()) {
            r.add(line("CUDA", "unusable: " + p.reason()));
            r.add(line("Kernel dir", KernelCache.configuredDir().toString()));
            return r;
        }
        CudaRuntime rt = p.runtime();
        try {
            r.add(line("CUDA driver", CudaRuntime.fmt(rt.driverVersion()) + " (" + rt.driverVersion() + ") from "
                    + rt.driver().library().path()));
            for (int i = 0; i < rt.deviceCount(); i++) {
                CudaDevice d = rt.device(i);
                r.add(line("GPU " + i, d.name() + ", sm_" + d.computeMajor() + d.computeMinor() + ", "
                        + d.multiprocessors() + " SMs, " + String.format("%.1f GiB", d.totalMemory() / 1073741824.0)));
            }
            String blasVersion = "";
            try {
                int v = rt.device(0).blas().version();
                blasVersion = " version " + v / 10000 + "." + (v / 100) % 100 + "." + v % 100;
            } catch (RuntimeException e) {
                blasVersion = " (version unavailable: " + e.getMessage() + ")";
            }
            r.add(line("cuBLAS", rt.cublas().library().path() + blasVersion));
            if (rt.nvrtc().isPresent()) {
                Nvrtc n = rt.nvrtc().get();
                int[] v = n.version();
                r.add(line("NVRTC", n.library().path() + " version " + v[0] + "." + v[1]));
            } else {
                r.add(line("NVRTC", "not found: kernels come from the shipped compute_80 PTX (driver JIT)"));
            }
            r.add(line("Kernel PTX", rt.sources().hasPtx() ? "compute_80 fallback present in the jar"
                    : "absent (jar built without nvcc)"));
            r.add(line("Kernel dir", rt.cache().dir().toString()));
            r.add(line("Matmul F32", CudaBackend.matmulPrecision() + " (set with -Dtessera.cuda.matmul=f32|tf32|bf16)"));
            r.add(line("Modules", String.join(", ", KernelSources.MODULES)));
        } catch (RuntimeException e) {
            r.add(line("CUDA", "error while querying the device: " + e.getMessage()));
        }
        return r;
    }

    /** Prints {@link #report()} (used on GPU machines without the app: {@code java -cp gpu-tests.jar dev.tessera.kernels.CudaInfo}). */
    public static void main(String[] args) {
        for (String l : report()) System.out.println(l);
    }

    private static String line(String label, String value) {
        return String.format("%-12s%s", label, value);
    }

    @SuppressWarnings("unused")
    private static MatmulPrecision precision() {
        return CudaBackend.matmulPrecision();
    }
}
