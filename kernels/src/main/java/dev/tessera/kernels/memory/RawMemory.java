package dev.tessera.kernels.memory;

/** The device memory source under a {@link CachingAllocator} (the driver, or a fake in tests). */
public interface RawMemory {
    /** A new block of {@code bytes}, or 0 when the device is out of memory; other failures throw. */
    long tryAllocate(long bytes);

    /** Returns a block obtained from {@link #tryAllocate}. */
    void free(long ptr);
}
