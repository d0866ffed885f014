package dev.tessera.tensor.internal.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Float vector functions the Vector API lacks (erf, rounding, sign) and small compositions
 * (sigmoid, GELU). Kept tiny so the JIT inlines them into the kernel loops.
 */
final class VectorMath {
    private VectorMath() {}

    private static final float TWO23 = 8388608f;
    private static final float INV_SQRT2 = 0.70710678118654752f;
    private static final float SQRT_2_OVER_PI = 0.79788456080286536f;

    /**
     * Logistic function from one exp of -|x|: 1 / (1 + e) for x &gt;= 0, e / (1 + e) below, so tiny
     * results keep their (subnormal) value instead of flushing to 0.
     */
    static FloatVector sigmoid(FloatVector v) {
        FloatVector e = exp(v.abs().neg());
        FloatVector num = e.blend(1f, v.compare(VectorOperators.GE, 0f));
        return num.div(e.add(1f));
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;

    /**
     * exp(x) in float from a degree-6 polynomial on [-ln2/2, ln2/2] (Cephes expf), scaled by 2^n in
     * two steps so results down to the subnormal range survive. Written with plain lane arithmetic
     * because the Vector API's transcendental operators return different bits before and after the
     * JIT compiles them, which would break same-seed-same-bits. Max error about 2 ulp.
     */
    static FloatVector exp(FloatVector v) {
        FloatVector x = v.max(-104f).min(88.7f);
        FloatVector n = rint(x.mul(LOG2E));
        FloatVector r = n.fma(x.broadcast(-LN2_HI), x);
        r = n.fma(x.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, r.broadcast(8.3334519073e-3f));
        p = p.fma(r, r.broadcast(4.1665795894e-2f));
        p = p.fma(r, r.broadcast(1.6666665459e-1f));
        p = p.fma(r, r.broadcast(5.0000001201e-1f));
        FloatVector y = p.mul(r).fma(r, r).add(1f);
        IntVector ni = n.convert(VectorOperators.F2I, 0).reinterpretAsInts();
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector res = y.mul(s1).mul(s2);
        res = res.blend(Float.POSITIVE_INFINITY, v.compare(VectorOperators.GT, 88.72283f));
        res = res.blend(0f, v.compare(VectorOperators.LT, -103.98f));
        return res.blend(v, v.compare(VectorOperators.NE, v));
    }

    /**
     * ELU (alpha 1): x above 0, expm1(x) otherwise. expm1 of a non-positive argument is a degree-9 Taylor
     * polynomial on [-0.5, 0] (truncation below 3e-10 relative, so the small results keep their relative
     * precision) and {@code exp(x) - 1} below, where the result is at least 0.39 in magnitude; within 3e-7
     * relative of the float64 definition.
     */
    static FloatVector elu(FloatVector v) {
        FloatVector x = v.min(0f);
        FloatVector p = x.fma(2.7557319e-6f, 2.4801587e-5f);
        p = p.fma(x, x.broadcast(1.9841270e-4f));
        p = p.fma(x, x.broadcast(1.3888889e-3f));
        p = p.fma(x, x.broadcast(8.3333333e-3f));
        p = p.fma(x, x.broadcast(4.1666668e-2f));
        p = p.fma(x, x.broadcast(1.6666667e-1f));
        p = p.fma(x, x.broadcast(0.5f));
        FloatVector small = p.mul(x).fma(x, x);
        FloatVector large = exp(x).sub(1f);
        FloatVector m = small.blend(large, x.compare(VectorOperators.LT, -0.5f));
        return m.blend(v, v.compare(VectorOperators.GT, 0f));
    }

    /** tanh from one exp of -2|x|; absolute error about 1e-7 (used inside tanh-GELU). */
    static FloatVector tanh(FloatVector v) {
        FloatVector e = exp(v.abs().mul(-2f));
        FloatVector t = e.neg().add(1f).div(e.add(1f));
        return copySign(t, v);
    }

    /** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)). */
    static FloatVector gelu(FloatVector v) {
        return v.mul(0.5f).mul(erf(v.mul(INV_SQRT2)).add(1f));
    }

    private static final float INV_SQRT_2PI = 0.39894228040143268f;

    /** Derivative of exact GELU: Phi(x) + x phi(x) = 0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi). */
    static FloatVector geluGrad(FloatVector v) {
        FloatVector cdf = erf(v.mul(INV_SQRT2)).add(1f).mul(0.5f);
        FloatVector pdf = exp(v.mul(v).mul(-0.5f)).mul(INV_SQRT_2PI);
        return v.fma(pdf, cdf);
    }

    /** Tanh GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    static FloatVector geluTanh(FloatVector v) {
        FloatVector inner = v.mul(v).mul(0.044715f).mul(v).add(v).mul(SQRT_2_OVER_PI);
        return v.mul(0.5f).mul(tanh(inner).add(1f));
    }

    /**
     * erf(x) in float: the odd/even rational approximation on [-4, 4] used by Eigen and XLA
     * (outside that range erf rounds to +-1 in float). Measured max abs error vs the float64
     * definition: see F32KernelsTest (about 1e-7 over [-6, 6]).
     */
    static FloatVector erf(FloatVector v) {
        FloatVector x = v.max(-4f).min(4f);
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.fma(-2.72614225801306e-10f, 2.77068142495902e-08f);
        p = p.fma(x2, x2.broadcast(-2.10102402082508e-06f));
        p = p.fma(x2, x2.broadcast(-5.69250639462346e-05f));
        p = p.fma(x2, x2.broadcast(-7.34990630326855e-04f));
        p = p.fma(x2, x2.broadcast(-2.95459980854025e-03f));
        p = p.fma(x2, x2.broadcast(-1.60960333262415e-02f));
        p = p.mul(x);
        FloatVector q = x2.fma(-1.45660718464996e-05f, -2.13374055278905e-04f);
        q = q.fma(x2, x2.broadcast(-1.68282697438203e-03f));
        q = q.fma(x2, x2.broadcast(-7.37332916720468e-03f));
        q = q.fma(x2, x2.broadcast(-1.42647390514189e-02f));
        return p.div(q);
    }

    /** Round half to even (Math.rint), keeping the sign of zero; NaN and infinities pass through. */
    static FloatVector rint(FloatVector v) {
        FloatVector a = v.abs();
        // Adding and removing 2^23 rounds to an integer in the current (nearest-even) mode.
        FloatVector r = a.add(TWO23).sub(TWO23).blend(a, a.compare(VectorOperators.GE, TWO23));
        return copySign(r, v);
    }

    /** Math.floor. */
    static FloatVector floor(FloatVector v) {
        FloatVector r = rint(v);
        return copySign(r.lanewise(VectorOperators.SUB, 1f, r.compare(VectorOperators.GT, v)), v);
    }

    /** Math.ceil (a negative input that rounds up to zero gives -0, as Math.ceil does). */
    static FloatVector ceil(FloatVector v) {
        FloatVector r = rint(v);
        return copySign(r.lanewise(VectorOperators.ADD, 1f, r.compare(VectorOperators.LT, v)), v);
    }

    /** Math.signum: -1, 1, or the input itself for +-0 and NaN. */
    static FloatVector sign(FloatVector v) {
        FloatVector one = v.broadcast(1f);
        return v.blend(one, v.compare(VectorOperators.GT, 0f)).blend(one.neg(), v.compare(VectorOperators.LT, 0f));
    }

    /** |r| with the sign bit of s. */
    private static FloatVector copySign(FloatVector r, FloatVector s) {
        IntVector sign = s.reinterpretAsInts().and(0x80000000);
        return r.reinterpretAsInts().and(0x7FFFFFFF).or(sign).reinterpretAsFloats();
    }
}
