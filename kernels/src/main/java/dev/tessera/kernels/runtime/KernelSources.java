package dev.tessera.kernels.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The CUDA C sources packaged with this module ({@code dev/tessera/kernels/cuda/*.cu} and the
 * shared header {@code common.cuh}) and, when the jar was built with nvcc, their compute_80 PTX
 * ({@code dev/tessera/kernels/cuda/ptx/*.ptx}).
 */
public final class KernelSources {
    /** Resource folder of the sources. */
    public static final String ROOT = "dev/tessera/kernels/cuda/";
    /** The shared header every source includes (passed to NVRTC as an in-memory header). */
    public static final String HEADER = "common.cuh";
    /** Every kernel module (one .cu file each). */
    public static final List<String> MODULES = List.of("elementwise", "reduce", "indexing", "sort", "fused", "random",
            "attention", "moe", "linattn");

    private final ClassLoader loader;

    private KernelSources(ClassLoader loader) {
        this.loader = loader;
    }

    /** Sources from this module's class loader. */
    public static KernelSources fromClasspath() {
        return new KernelSources(KernelSources.class.getClassLoader());
    }

    /** The text of module {@code name}'s .cu file. */
    public String source(String name) {
        return read(ROOT + name + ".cu").orElseThrow(() -> new IllegalStateException(
                "kernel source " + ROOT + name + ".cu missing from the class path"));
    }

    /** The shared header's text. */
    public String header() {
        return read(ROOT + HEADER).orElseThrow(() -> new IllegalStateException(
                "kernel header " + ROOT + HEADER + " missing from the class path"));
    }

    /** The shipped compute_80 PTX of a module, if this jar was built with nvcc. */
    public Optional<String> ptx(String name) {
        return read(ROOT + "ptx/" + name + ".ptx");
    }

    /** True when PTX for every module is present. */
    public boolean hasPtx() {
        for (String m : MODULES) if (loader.getResource(ROOT + "ptx/" + m + ".ptx") == null) return false;
        return true;
    }

    private Optional<String> read(String path) {
        try (InputStream in = loader.getResourceAsStream(path)) {
            if (in == null) return Optional.empty();
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
    }
}
