package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Random kernels of the CPU backend. All of them are element-indexed (see {@link Rng}): the
 * generator's blocks are reserved once per call, and element {@code i} (in row-major order of
 * the tensor) always receives the value {@code Rng}'s fill of the whole tensor would give it, so
 * the result depends neither on how the work is split over threads nor on the device.
 *
 * <p>Dropout rule (shared with the GPU backend): reserve {@code ceil(n / 4)} blocks at base
 * {@code b}; element {@code i} draws {@code u_i = rng.uniformAt(b, i)} (the 24-bit float uniform
 * in [0, 1) of a float fill, for every dtype) and is kept iff {@code u_i >= p}. The mask holds
 * {@code 1 / (1 - p)} for kept elements and 0 otherwise (F32, or F64 for F64 input), and
 * {@code out = x * mask}.
 */
final class CpuRandom {
    private CpuRandom() {}

    /** Elements per parallel chunk of a fill (each element costs a share of a Philox block). */
    private static final int GRAIN = 1 << 13;

    /** Fills {@code dst} (any layout, floating) with uniform values in [lo, hi) in row-major element order. */
    static void fillUniform(Tensor dst, Rng rng, double lo, double hi) {
        fill("fillUniform", dst, rng, lo, hi, false);
    }

    /** Fills {@code dst} (any layout, floating) with N(mean, std^2) values in row-major element order. */
    static void fillNormal(Tensor dst, Rng rng, double mean, double std) {
        fill("fillNormal", dst, rng, mean, std, true);
    }

    private static void fill(String op, Tensor dst, Rng rng, double a, double b, boolean normal) {
        DType dt = dst.dtype();
        if (!dt.isFloating()) throw new IllegalArgumentException(op + ": expected a floating dtype, got " + dt);
        int n = dst.numel();
        boolean direct = dt != DType.BF16 && dst.isContiguous();
        Tensor buf = direct ? dst : CpuBackend.alloc(dt == DType.F64 ? DType.F64 : DType.F32, dst.shape());
        int off = buf.offset();
        if (buf.dtype() == DType.F64) {
            double[] d = CpuBackend.st(buf).f64();
            long base = rng.reserveBlocks(Rng.blocksForDoubles(n));
            Parallel.forRange(n, GRAIN, (s, e) -> {
                if (normal) rng.fillNormalAt(base, s, d, off + s, e - s, a, b);
                else rng.fillUniformAt(base, s, d, off + s, e - s, a, b);
            });
        } else {
            float[] f = CpuBackend.st(buf).f32();
            long base = rng.reserveBlocks(Rng.blocksForFloats(n));
            Parallel.forRange(n, GRAIN, (s, e) -> {
                if (normal) rng.fillNormalAt(base, s, f, off + s, e - s, (float) a, (float) b);
                else rng.fillUniformAt(base, s, f, off + s, e - s, (float) a, (float) b);
            });
        }
        if (!direct) CpuBackend.INSTANCE.copyInPlace(dst, buf);
    }

    /**
     * Inverted dropout: {out, mask}, following the rule in the class comment. out has x's dtype and
     * shape; the mask is F64 for F64 input, else F32.
     */
    static Tensor[] dropout(Tensor x, double p, Rng rng) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout: p must be in [0,1), got " + p);
        if (!x.dtype().isFloating()) throw new IllegalArgumentException("dropout: expected a floating dtype, got " + x.dtype());
        int[] shape = x.shape();
        int n = Shape.numel(shape);
        boolean wide = x.dtype() == DType.F64;
        DType ct = wide ? DType.F64 : DType.F32;
        Tensor xc = x.to(ct).contiguous();
        Tensor mask = CpuBackend.alloc(ct, shape), out = CpuBackend.alloc(ct, shape);
        long base = rng.reserveBlocks(Rng.blocksForFloats(n));
        double scale = 1.0 / (1.0 - p);
        int xo = xc.offset();
        Parallel.forRange(n, GRAIN, (s, e) -> {
            float[] u = new float[e - s];
            rng.fillUniformAt(base, s, u, 0, e - s, 0f, 1f);
            if (wide) {
                double[] xa = CpuBackend.st(xc).f64(), m = CpuBackend.st(mask).f64(), o = CpuBackend.st(out).f64();
                for (int i = s; i < e; i++) {
                    double k = u[i - s] >= p ? scale : 0.0;
                    m[i] = k;
                    o[i] = xa[xo + i] * k;
                }
            } else {
                float[] xa = CpuBackend.st(xc).f32(), m = CpuBackend.st(mask).f32(), o = CpuBackend.st(out).f32();
                float fs = (float) scale;
                for (int i = s; i < e; i++) {
                    float k = u[i - s] >= p ? fs : 0f;
                    m[i] = k;
                    o[i] = xa[xo + i] * k;
                }
            }
        });
        return new Tensor[] {out.to(x.dtype()), mask};
    }
}
