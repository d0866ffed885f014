package dev.tessera.kernels.runtime;

import dev.tessera.kernels.cuda.Cublas;
import dev.tessera.kernels.cuda.Driver;
import dev.tessera.kernels.cuda.Nvrtc;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The process-wide CUDA runtime: the driver (initialised), the toolkit libraries chosen for its
 * version, and the devices (created on first use). {@link #probe()} never throws: it returns the
 * runtime or the reason it is unusable, so a machine without a GPU never fails at start-up.
 *
 * <p>Requirements: a CUDA 12.0+ driver with at least one device, cuBLAS, and a way to get
 * kernels: NVRTC, or the PTX shipped in the jar on a CUDA 13 driver (PTX built by nvcc 13 has
 * ISA 9.0, which only 13.x drivers load).
 */
public final class CudaRuntime {
    private static final Object LOCK = new Object();
    private static volatile Probe probe;

    private final Driver driver;
    private final int driverVersion;
    private final int deviceCount;
    private final Optional<Nvrtc> nvrtc;
    private final Cublas cublas;
    private final KernelSources sources;
    private final KernelCache cache;
    private final List<CudaDevice> devices;

    /** Result of probing: the runtime, or why there is none. */
    public record Probe(CudaRuntime runtime, String reason) {
        /** True when a runtime exists. */
        public boolean available() {
            return runtime != null;
        }
    }

    private CudaRuntime(Driver driver, int driverVersion, int deviceCount, Optional<Nvrtc> nvrtc, Cublas cublas,
                        KernelSources sources, KernelCache cache) {
        this.driver = driver;
        this.driverVersion = driverVersion;
        this.deviceCount = deviceCount;
        this.nvrtc = nvrtc;
        this.cublas = cublas;
        this.sources = sources;
        this.cache = cache;
        List<CudaDevice> d = new ArrayList<>();
        for (int i = 0; i < deviceCount; i++) d.add(null);
        this.devices = d;
    }

    /** Probes once per process (the driver from {@code -Dtessera.cuda.driver} or libcuda.so.1). */
    public static Probe probe() {
        Probe p = probe;
        if (p == null) {
            synchronized (LOCK) {
                p = probe;
                if (p == null) {
                    p = create();
                    probe = p;
                }
            }
        }
        return p;
    }

    /** The runtime; throws {@link IllegalStateException} with the reason when CUDA is unusable. */
    public static CudaRuntime get() {
        Probe p = probe();
        if (p.runtime() == null) throw new IllegalStateException("CUDA is not usable: " + p.reason());
        return p.runtime();
    }

    private static Probe create() {
        Driver d;
        try {
            d = Driver.load();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return new Probe(null, e.getMessage());
        }
        int version, count;
        try {
            version = d.driverVersion();
            if (version < 12000) return new Probe(null, requirementProblem(version, false, false, false).orElseThrow());
            d.init();
            count = d.deviceCount();
        } catch (RuntimeException e) {
            return new Probe(null, e.getMessage());
        }
        if (count == 0) return new Probe(null, "the CUDA driver " + fmt(version) + " reports no device");
        Optional<Nvrtc> nvrtc;
        try {
            nvrtc = Nvrtc.open(version);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            nvrtc = Optional.empty();
        }
        Optional<Cublas> cublas;
        try {
            cublas = Cublas.open(version);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            cublas = Optional.empty();
        }
        KernelSources sources = KernelSources.fromClasspath();
        Optional<String> problem = requirementProblem(version, nvrtc.isPresent(), cublas.isPresent(), sources.hasPtx());
        if (problem.isPresent()) return new Probe(null, problem.get());
        return new Probe(new CudaRuntime(d, version, count, nvrtc, cublas.get(), sources, KernelCache.fromConfig()), "");
    }

    /**
     * Why a driver of {@code driverVersion} with the given libraries cannot run Tessera's CUDA
     * backend, or empty when it can: cuBLAS is required, and kernels need NVRTC or (on a CUDA 13
     * driver only) the PTX shipped in the jar.
     */
    public static Optional<String> requirementProblem(int driverVersion, boolean nvrtc, boolean cublas, boolean ptx) {
        String v = fmt(driverVersion);
        if (driverVersion < 12000) {
            return Optional.of("the CUDA driver reports version " + v + "; Tessera needs a CUDA 12.0 (R525) or newer driver");
        }
        if (!cublas) {
            return Optional.of("driver " + v + " found, but no cuBLAS (" + String.join(" or ",
                    dev.tessera.kernels.cuda.NativeLibs.sonames("libcublas", driverVersion)) + ") on the library path, "
                    + "in CUDA_HOME or in a pip 'nvidia' package; install the CUDA toolkit libraries or set "
                    + "-Dtessera.cuda.libdir");
        }
        if (!nvrtc && !(driverVersion >= 13000 && ptx)) {
            String why = driverVersion < 13000
                    ? "the shipped PTX needs a CUDA 13 driver (>= 580) and this one is " + v
                    : "this jar was built without nvcc and carries no PTX";
            return Optional.of("no NVRTC (" + String.join(" or ", dev.tessera.kernels.cuda.NativeLibs.sonames(
                    "libnvrtc", driverVersion)) + ") found and " + why + "; install libnvrtc.so.12 (CUDA 12 toolkit or "
                    + "pip nvidia-cuda-nvrtc-cu12) or upgrade to a driver >= 580");
        }
        return Optional.empty();
    }

    /** Formats a driver version: 12040 as "12.4". */
    public static String fmt(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }

    /** The driver. */
    public Driver driver() {
        return driver;
    }

    /** cuDriverGetVersion. */
    public int driverVersion() {
        return driverVersion;
    }

    /** Number of devices. */
    public int deviceCount() {
        return deviceCount;
    }

    /** NVRTC when found. */
    public Optional<Nvrtc> nvrtc() {
        return nvrtc;
    }

    /** cuBLAS. */
    public Cublas cublas() {
        return cublas;
    }

    /** The kernel sources (and shipped PTX). */
    public KernelSources sources() {
        return sources;
    }

    /** The on-disk CUBIN cache. */
    public KernelCache cache() {
        return cache;
    }

    /** Device {@code ordinal}, created (context, stream, allocator) on first use. */
    public CudaDevice device(int ordinal) {
        if (ordinal < 0 || ordinal >= deviceCount) {
            throw new IllegalArgumentException("cuda: device index " + ordinal + " out of range; this machine has "
                    + deviceCount + " CUDA device" + (deviceCount == 1 ? "" : "s"));
        }
        synchronized (devices) {
            CudaDevice d = devices.get(ordinal);
            if (d == null) {
                d = new CudaDevice(this, ordinal);
                devices.set(ordinal, d);
            }
            return d;
        }
    }
}
