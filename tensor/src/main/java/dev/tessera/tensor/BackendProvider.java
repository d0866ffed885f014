package dev.tessera.tensor;

/**
 * Supplies a {@link Backend} for a device kind; found with {@link java.util.ServiceLoader}.
 * The CUDA backend module registers one; the CPU backend is built in.
 */
public interface BackendProvider {
    /** The device kind this provider serves. */
    Device.Kind kind();

    /** True when the backend can run here (e.g. a CUDA driver is present). Must not throw. */
    boolean available();

    /** Why the backend is not available (for error messages), or an empty string. */
    String unavailableReason();

    /** The backend for a device of this kind. */
    Backend backend(Device device);
}
