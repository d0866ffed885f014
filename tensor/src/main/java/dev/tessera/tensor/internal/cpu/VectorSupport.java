package dev.tessera.tensor.internal.cpu;

/** Probes whether the incubating Vector API module is present, without linking to it eagerly. */
final class VectorSupport {
    private VectorSupport() {}

    static boolean available() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    static int preferredBits() {
        return available() ? dev.tessera.tensor.internal.cpu.simd.SimdInfo.preferredFloatBits() : 0;
    }
}
