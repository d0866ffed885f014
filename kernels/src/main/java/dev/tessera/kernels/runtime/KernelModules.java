package dev.tessera.kernels.runtime;

import dev.tessera.kernels.cuda.CudaException;
import dev.tessera.kernels.cuda.Nvrtc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads a device's kernel modules on first use, in this order: the on-disk CUBIN cache; NVRTC
 * compiling the source to a CUBIN for the device's exact architecture (then cached); the
 * compute_80 PTX shipped in the jar (JIT-compiled by the driver, which caches it itself). Records
 * where each module came from for diagnostics.
 */
public final class KernelModules {
    /** Where a module came from. */
    public enum Origin {
        /** A CUBIN from the on-disk kernel cache. */
        CACHE,
        /** Compiled now by NVRTC for the device's architecture. */
        NVRTC,
        /** The compute_80 PTX shipped in the jar, JIT-compiled by the driver. */
        PTX
    }

    /** A loaded module. */
    public record Loaded(String name, MemorySegment module, Origin origin) {}

    private final CudaDevice device;
    private final Optional<Nvrtc> nvrtc;
    private final Map<String, Loaded> modules = new ConcurrentHashMap<>();
    private final Map<String, Kernel> kernels = new ConcurrentHashMap<>();

    KernelModules(CudaDevice device) {
        this(device, device.runtime().nvrtc());
    }

    /** Modules compiled with {@code nvrtc} (empty: only the shipped PTX is used). */
    KernelModules(CudaDevice device, Optional<Nvrtc> nvrtc) {
        this.device = device;
        this.nvrtc = nvrtc;
    }

    /** The architecture NVRTC targets, e.g. {@code sm_90}. */
    public String arch() {
        return "sm_" + device.computeMajor() + device.computeMinor();
    }

    /** NVRTC options used for every module (part of the cache key). */
    public List<String> options() {
        return List.of("--gpu-architecture=" + arch(), "--std=c++17", "-DTESSERA_NVRTC=1");
    }

    /** Kernel {@code name} of module {@code module}. */
    public Kernel kernel(String module, String name) {
        String key = module + "/" + name;
        Kernel k = kernels.get(key);
        if (k != null) return k;
        Loaded m = module(module);
        device.makeCurrent();
        k = new Kernel(module, name, device.runtime().driver().moduleGetFunction(m.module(), name));
        kernels.put(key, k);
        return k;
    }

    /** Module {@code name}, loading it on first use. */
    public Loaded module(String name) {
        Loaded m = modules.get(name);
        if (m != null) return m;
        synchronized (this) {
            m = modules.get(name);
            if (m == null) {
                m = load(name);
                modules.put(name, m);
            }
            return m;
        }
    }

    /** Every module loaded so far. */
    public Map<String, Loaded> loaded() {
        return Map.copyOf(modules);
    }

    private Loaded load(String name) {
        CudaRuntime rt = device.runtime();
        device.makeCurrent();
        KernelSources src = rt.sources();
        if (this.nvrtc.isPresent()) {
            Nvrtc nvrtc = this.nvrtc.get();
            String source = src.source(name), header = src.header();
            int[] v = nvrtc.version();
            String key = KernelCache.key(source, header, options(), "nvrtc " + v[0] + "." + v[1], arch());
            var cached = rt.cache().get(key);
            if (cached.isPresent()) {
                try {
                    return new Loaded(name, loadImage(cached.get()), Origin.CACHE);
                } catch (CudaException e) {
                    rt.cache().remove(key); // corrupt or stale: recompile below
                }
            }
            byte[] cubin = nvrtc.compile(source, name + ".cu", Map.of(KernelSources.HEADER, header), options(),
                    Nvrtc.Output.CUBIN);
            MemorySegment mod = loadImage(cubin);
            rt.cache().put(key, cubin);
            return new Loaded(name, mod, Origin.NVRTC);
        }
        String ptx = src.ptx(name).orElseThrow(() -> new IllegalStateException(
                "kernel module " + name + ": no NVRTC and no shipped PTX (the jar was built without nvcc)"));
        return new Loaded(name, loadImage((ptx + "\0").getBytes(StandardCharsets.UTF_8)), Origin.PTX);
    }

    private MemorySegment loadImage(byte[] image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(image.length, 16);
            MemorySegment.copy(image, 0, seg, ValueLayout.JAVA_BYTE, 0, image.length);
            return device.runtime().driver().moduleLoadData(seg);
        }
    }
}
