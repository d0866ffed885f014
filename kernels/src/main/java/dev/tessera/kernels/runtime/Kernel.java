package dev.tessera.kernels.runtime;

import java.lang.foreign.MemorySegment;

/**
 * A loaded kernel entry point.
 *
 * @param module the kernel module (.cu file) it came from
 * @param name   its {@code extern "C"} name
 * @param handle the CUfunction
 */
public record Kernel(String module, String name, MemorySegment handle) {}
