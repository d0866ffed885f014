package dev.tessera.autograd;

import dev.tessera.tensor.Tensor;
import java.util.Random;

/** Seeded random F64 test inputs (java.util.Random, independent of the tensor RNG kernels). */
final class Inputs {
    private final Random rnd;

    Inputs(long seed) {
        rnd = new Random(seed);
    }

    private static int numel(int[] shape) {
        int n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /** Uniform in [lo, hi). */
    Tensor uniform(double lo, double hi, int... shape) {
        double[] v = new double[numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rnd.nextDouble();
        return Tensor.of(v).reshape(shape);
    }

    /** Uniform in [-1, 1). */
    Tensor signed(int... shape) {
        return uniform(-1, 1, shape);
    }

    /** Magnitude in [0.2, 1.2) with random sign: keeps kinks at 0 (relu, abs) out of the FD stencil. */
    Tensor awayFromZero(int... shape) {
        double[] v = new double[numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (0.2 + rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1);
        return Tensor.of(v).reshape(shape);
    }

    /** A random permutation of distinct, well separated values (for max/min/topk/maximum). */
    Tensor distinct(int... shape) {
        int n = numel(shape);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (i - n / 2.0) * 0.1 + 0.01 * rnd.nextDouble();
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.of(v).reshape(shape);
    }

    /** Random I32 indices in [0, bound). */
    Tensor indices(int bound, int... shape) {
        int[] v = new int[numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextInt(bound);
        return Tensor.of(v).reshape(shape);
    }

    /** Random BOOL mask. */
    Tensor mask(int... shape) {
        boolean[] v = new boolean[numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextBoolean();
        return Tensor.of(v).reshape(shape);
    }
}
