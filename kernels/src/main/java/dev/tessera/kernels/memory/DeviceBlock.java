package dev.tessera.kernels.memory;

/**
 * A block of device memory handed out by a {@link CachingAllocator}.
 *
 * @param ptr       device address (0 for an empty block)
 * @param size      the block's rounded size in bytes
 * @param requested the size asked for
 */
public record DeviceBlock(long ptr, long size, long requested) {}
