package dev.tessera.kernels.memory;

/**
 * A block of device memory handed out by a {@link CachingAllocator}.
 *
 * @param ptr       device address (0 for an empty block)
 * @param size      the block's rounded size in bytes
 * @param requested the size asked for
 * @param planned   true for a block inside a CUDA graph's planned arena: the arena owns the memory,
 *                  so freeing such a block returns nothing to the allocator
 */
public record DeviceBlock(long ptr, long size, long requested, boolean planned) {
    /** An ordinary block of the caching allocator. */
    public DeviceBlock(long ptr, long size, long requested) {
        this(ptr, size, requested, false);
    }
}
