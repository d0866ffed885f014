package dev.tessera.tensor;

import dev.tessera.tensor.internal.cpu.CpuBackend;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/** Resolves the {@link Backend} of a {@link Device}. */
public final class Backends {
    private static final Map<Device, Backend> CACHE = new ConcurrentHashMap<>();
    private static volatile List<BackendProvider> providers;

    private Backends() {}

    /** The backend of a device; throws with the reason when the device's backend is unavailable. */
    public static Backend of(Device device) {
        if (device.kind() == Device.Kind.CPU) return CpuBackend.INSTANCE;
        return CACHE.computeIfAbsent(device, d -> {
            for (BackendProvider p : providers()) {
                if (p.kind() != d.kind()) continue;
                if (!p.available()) {
                    throw new IllegalStateException("device " + d + " is not usable: " + p.unavailableReason());
                }
                return p.backend(d);
            }
            throw new IllegalStateException("device " + d + " is not usable: no " + d.kind()
                    + " backend on the class path (add the tessera-kernels module)");
        });
    }

    /** True when a CUDA backend is on the class path and reports itself usable. */
    public static boolean cudaAvailable() {
        for (BackendProvider p : providers()) {
            if (p.kind() == Device.Kind.CUDA && p.available()) return true;
        }
        return false;
    }

    private static List<BackendProvider> providers() {
        List<BackendProvider> p = providers;
        if (p == null) {
            p = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get).toList();
            providers = p;
        }
        return p;
    }
}
