package dev.tessera.tensor.internal.cpu.simd;

import jdk.incubator.vector.FloatVector;

/** Facts about the Vector API on this machine. */
public final class SimdInfo {
    private SimdInfo() {}

    /** Bit width of {@code FloatVector.SPECIES_PREFERRED}. */
    public static int preferredFloatBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }
}
