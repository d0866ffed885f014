package dev.tessera.kernels;

import dev.tessera.kernels.runtime.CudaRuntime;
import dev.tessera.tensor.Backend;
import dev.tessera.tensor.BackendProvider;
import dev.tessera.tensor.Device;

/** Registers the CUDA backend with {@link java.util.ServiceLoader}; usable when {@link CudaRuntime#probe()} succeeds. */
public final class CudaBackendProvider implements BackendProvider {
    /** Used by the service loader. */
    public CudaBackendProvider() {}

    @Override
    public Device.Kind kind() {
        return Device.Kind.CUDA;
    }

    @Override
    public boolean available() {
        try {
            return CudaRuntime.probe().available();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @Override
    public String unavailableReason() {
        try {
            return CudaRuntime.probe().reason();
        } catch (RuntimeException | LinkageError e) {
            return String.valueOf(e.getMessage());
        }
    }

    @Override
    public Backend backend(Device device) {
        CudaRuntime rt = CudaRuntime.get();
        return new CudaBackend(device, rt.device(device.index()));
    }
}
