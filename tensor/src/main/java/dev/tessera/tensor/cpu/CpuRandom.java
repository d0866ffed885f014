package dev.tessera.tensor.cpu;

import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;

/** Random kernels of the CPU backend (being implemented). */
final class CpuRandom {
    private CpuRandom() {}

    private static UnsupportedOperationException missing(String op) {
        return new UnsupportedOperationException("CPU backend: " + op + " is not implemented yet");
    }

    static void fillUniform(Tensor dst, Rng rng, double lo, double hi) { throw missing("fillUniform"); }
    static void fillNormal(Tensor dst, Rng rng, double mean, double std) { throw missing("fillNormal"); }
    static Tensor[] dropout(Tensor x, double p, Rng rng) { throw missing("dropout"); }
}
