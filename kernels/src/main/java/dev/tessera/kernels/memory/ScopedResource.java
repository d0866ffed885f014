package dev.tessera.kernels.memory;

/** Something a {@link Scope} frees when it closes (device storage). Release must be idempotent. */
public interface ScopedResource {
    /** Frees the resource; later calls do nothing. */
    void release();

    /** True once released. */
    boolean released();
}
