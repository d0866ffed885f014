package dev.tessera.nn.init;

import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Weight initializers that fill a tensor in place from an {@link Rng} (values depend only on the
 * generator state and the element index, so they are identical on every backend) and return it.
 * Fans follow PyTorch: for a weight of shape {@code [out, in, k...]}, {@code fanIn = in * prod(k)}
 * and {@code fanOut = out * prod(k)}; a 1-d tensor has {@code fanIn = fanOut = size}.
 *
 * <pre>{@code
 * Tensor w = Init.xavierUniform(Tensor.empty(DType.F32, 256, 128), rng, 1.0);
 * }</pre>
 */
public final class Init {
    private Init() {}

    /** Which fan a Kaiming initializer preserves the variance of. */
    public enum FanMode {
        /** Preserves the variance of activations in the forward pass. */
        FAN_IN,
        /** Preserves the variance of gradients in the backward pass. */
        FAN_OUT
    }

    /** Fills with zeros. */
    public static Tensor zeros(Tensor t) {
        return t.fillInPlace(0.0);
    }

    /** Fills with a constant. */
    public static Tensor constant(Tensor t, double value) {
        return t.fillInPlace(value);
    }

    /** Uniform values in {@code [lo, hi)}. */
    public static Tensor uniform(Tensor t, Rng rng, double lo, double hi) {
        if (!(lo <= hi)) throw new IllegalArgumentException("Init.uniform: lo " + lo + " must be <= hi " + hi);
        Tensor.requireFloating("Init.uniform", t.dtype());
        t.backend().fillUniformInPlace(t, rng, lo, hi);
        return t;
    }

    /** Normal values with mean {@code mean} and standard deviation {@code std}. */
    public static Tensor normal(Tensor t, Rng rng, double mean, double std) {
        if (!(std >= 0)) throw new IllegalArgumentException("Init.normal: std must be >= 0, got " + std);
        Tensor.requireFloating("Init.normal", t.dtype());
        t.backend().fillNormalInPlace(t, rng, mean, std);
        return t;
    }

    /** Glorot/Xavier uniform: bound {@code gain * sqrt(6 / (fanIn + fanOut))}. */
    public static Tensor xavierUniform(Tensor t, Rng rng, double gain) {
        int[] f = fans("xavierUniform", t);
        double bound = gain * Math.sqrt(6.0 / (f[0] + f[1]));
        return uniform(t, rng, -bound, bound);
    }

    /** Glorot/Xavier normal: std {@code gain * sqrt(2 / (fanIn + fanOut))}. */
    public static Tensor xavierNormal(Tensor t, Rng rng, double gain) {
        int[] f = fans("xavierNormal", t);
        return normal(t, rng, 0.0, gain * Math.sqrt(2.0 / (f[0] + f[1])));
    }

    /**
     * He/Kaiming uniform for a leaky-ReLU slope {@code a} ({@code a = 0}: ReLU): bound
     * {@code gain * sqrt(3 / fan)} with {@code gain = sqrt(2 / (1 + a^2))}. PyTorch's default
     * {@code Linear} init is {@code a = sqrt(5)}, FAN_IN, i.e. bound {@code 1 / sqrt(fanIn)}.
     */
    public static Tensor kaimingUniform(Tensor t, Rng rng, double a, FanMode mode) {
        int fan = fan("kaimingUniform", t, mode);
        double bound = leakyReluGain(a) * Math.sqrt(3.0 / fan);
        return uniform(t, rng, -bound, bound);
    }

    /** He/Kaiming normal: std {@code gain / sqrt(fan)} with {@code gain = sqrt(2 / (1 + a^2))}. */
    public static Tensor kaimingNormal(Tensor t, Rng rng, double a, FanMode mode) {
        int fan = fan("kaimingNormal", t, mode);
        return normal(t, rng, 0.0, leakyReluGain(a) / Math.sqrt(fan));
    }

    /** The recommended gain {@code sqrt(2 / (1 + a^2))} for a leaky ReLU with negative slope {@code a}. */
    public static double leakyReluGain(double a) {
        return Math.sqrt(2.0 / (1 + a * a));
    }

    /** {@code {fanIn, fanOut}} of a weight shape (PyTorch's convention). */
    public static int[] fans(String op, Tensor t) {
        int[] s = t.shape();
        if (s.length == 0) throw new IllegalArgumentException(op + ": fan in/out need rank >= 1, got shape " + Shape.str(s));
        if (s.length == 1) return new int[] {s[0], s[0]};
        int receptive = 1;
        for (int i = 2; i < s.length; i++) receptive *= s[i];
        int fanIn = s[1] * receptive, fanOut = s[0] * receptive;
        if (fanIn == 0 || fanOut == 0) throw new IllegalArgumentException(op + ": zero fan for shape " + Shape.str(s));
        return new int[] {fanIn, fanOut};
    }

    private static int fan(String op, Tensor t, FanMode mode) {
        int[] f = fans(op, t);
        return mode == FanMode.FAN_IN ? f[0] : f[1];
    }
}
