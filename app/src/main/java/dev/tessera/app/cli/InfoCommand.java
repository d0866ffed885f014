package dev.tessera.app.cli;

import dev.tessera.tensor.internal.cpu.CpuConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code tessera info}: what this machine offers Tessera. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the Java version, the CPU path (SIMD or scalar, vector width, threads) and CUDA driver presence.")
public final class InfoCommand implements Runnable {

    private static final List<String> DRIVER_DIRS = List.of(
            "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/cuda/lib64",
            "/usr/lib/wsl/lib", "/usr/local/nvidia/lib64");

    @Override
    public void run() {
        System.out.println("Tessera 0.1.0");
        System.out.printf("Java        %s (%s)%n", Runtime.version(), System.getProperty("java.vm.name"));
        System.out.printf("OS          %s %s, %d processors%n", System.getProperty("os.name"),
                System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors());
        System.out.printf("CPU path    %s%n", CpuConfig.describe());
        System.out.printf("Max heap    %d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
        String driver = findCudaDriver();
        System.out.printf("CUDA driver %s%n", driver == null ? "not found (libcuda.so.1 absent; CPU only)" : driver);
        for (String line : cudaReport()) System.out.println(line);
    }

    /** The CUDA backend's own report (versions, GPUs, libraries, kernel cache) when the kernels module is present. */
    @SuppressWarnings("unchecked")
    static List<String> cudaReport() {
        try {
            Class<?> info = Class.forName("dev.tessera.kernels.CudaInfo");
            return (List<String>) info.getMethod("report").invoke(null);
        } catch (ClassNotFoundException e) {
            return List.of("CUDA        backend not on the class path (tessera-kernels missing)");
        } catch (ReflectiveOperationException | LinkageError e) {
            return List.of("CUDA        report failed: " + e);
        }
    }

    static String findCudaDriver() {
        String ld = System.getenv("LD_LIBRARY_PATH");
        var dirs = new java.util.ArrayList<String>();
        if (ld != null) for (String d : ld.split(":")) if (!d.isBlank()) dirs.add(d);
        dirs.addAll(DRIVER_DIRS);
        for (String d : dirs) {
            Path p = Path.of(d, "libcuda.so.1");
            if (Files.exists(p)) return p.toString();
        }
        return null;
    }
}
