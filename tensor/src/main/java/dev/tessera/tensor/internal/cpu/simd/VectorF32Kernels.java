package dev.tessera.tensor.internal.cpu.simd;

import dev.tessera.tensor.internal.cpu.F32Kernels;
import dev.tessera.tensor.internal.cpu.ScalarF32Kernels;
import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 kernels on the Vector API ({@code FloatVector.SPECIES_PREFERRED}, L lanes). Every loop
 * handles its tail with a lane mask, so an element gets the same value wherever a chunk boundary
 * falls. Each op has its own loop because the JIT needs the vector operator to be a constant.
 *
 * <p>Transcendental functions use the Vector API's lanewise operators (SVML on x86), within
 * about 1 ulp of the float64 definition; erf (and exact GELU) use the rational approximation of
 * {@link VectorMath#erf}. axpy and dot use fused multiply-adds.
 *
 * <p>Reductions: per block of {@link F32Kernels#BLOCK} elements, four vector accumulators (element
 * {@code i} of the block lands in lane {@code i mod 4L}), combined as {@code (a0 + a1) + (a2 + a3)},
 * then the L lanes by a pairwise tree ({@code t[k] += t[k + w]} for w = L/2, ..., 1); block totals
 * add up in float64. {@link #sumDouble} converts to double vectors and adds in float64 throughout.
 * The backward row kernels use one vector accumulator per quantity.
 */
public final class VectorF32Kernels implements F32Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Rows shorter than one vector (a router's [tokens, 8] logits on 16-lane AVX-512) go to plain
     * loops: with one masked partial vector per row, softmax of [4096, 8] measured 25 ms on 2 cores,
     * the loops 0.4 ms.
     */
    private static final F32Kernels SHORT_ROWS = F32Kernels.scalar();
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Float species with as many lanes as {@link #D}, for float-to-double conversion. */
    private static final VectorSpecies<Float> FD =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    /** Creates the kernels; prefer {@link F32Kernels#simd()}. */
    public VectorF32Kernels() {}

    @Override
    public String name() {
        return "simd-" + S.vectorBitSize();
    }

    private static UnsupportedOperationException unsupported(String method, BinaryOp op) {
        return new UnsupportedOperationException("F32Kernels." + method + ": op " + op
                + " is not an arithmetic op (comparisons and logic ops are computed by the backend)");
    }

    // ------------------------------------------------------------------ elementwise (one loop per op)

    @Override
    public void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int len) {
        int i = 0, ub = S.loopBound(len);
        switch (op) {
            case ADD -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    va.add(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    va.add(vb).intoArray(out, oo + i, m);
                }
            }
            case SUB -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    va.sub(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    va.sub(vb).intoArray(out, oo + i, m);
                }
            }
            case MUL -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    va.mul(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    va.mul(vb).intoArray(out, oo + i, m);
                }
            }
            case DIV -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    va.div(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    va.div(vb).intoArray(out, oo + i, m);
                }
            }
            case MAX -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    va.max(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    va.max(vb).intoArray(out, oo + i, m);
                }
            }
            case MIN -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    va.min(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    va.min(vb).intoArray(out, oo + i, m);
                }
            }
            case POW -> {
                for (; i < len; i++) out[oo + i] = (float) Math.pow(a[ao + i], b[bo + i]);
            }
            default -> throw unsupported("binary", op);
        }
    }

    @Override
    public void binaryScalar(BinaryOp op, float[] a, int ao, float s, float[] out, int oo, int len) {
        int i = 0, ub = S.loopBound(len);
        var vs = FloatVector.broadcast(S, s);
        switch (op) {
            case ADD -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    va.add(vs).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    va.add(vs).intoArray(out, oo + i, m);
                }
            }
            case SUB -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    va.sub(vs).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    va.sub(vs).intoArray(out, oo + i, m);
                }
            }
            case MUL -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    va.mul(vs).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    va.mul(vs).intoArray(out, oo + i, m);
                }
            }
            case DIV -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    va.div(vs).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    va.div(vs).intoArray(out, oo + i, m);
                }
            }
            case MAX -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    va.max(vs).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    va.max(vs).intoArray(out, oo + i, m);
                }
            }
            case MIN -> {
                for (; i < ub; i += L) {
                    var va = FloatVector.fromArray(S, a, ao + i);
                    va.min(vs).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var va = FloatVector.fromArray(S, a, ao + i, m);
                    va.min(vs).intoArray(out, oo + i, m);
                }
            }
            case POW -> {
                for (; i < len; i++) out[oo + i] = (float) Math.pow(a[ao + i], s);
            }
            default -> throw unsupported("binaryScalar", op);
        }
    }

    @Override
    public void scalarBinary(BinaryOp op, float s, float[] b, int bo, float[] out, int oo, int len) {
        int i = 0, ub = S.loopBound(len);
        var vs = FloatVector.broadcast(S, s);
        switch (op) {
            case ADD -> {
                for (; i < ub; i += L) {
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    vs.add(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    vs.add(vb).intoArray(out, oo + i, m);
                }
            }
            case SUB -> {
                for (; i < ub; i += L) {
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    vs.sub(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    vs.sub(vb).intoArray(out, oo + i, m);
                }
            }
            case MUL -> {
                for (; i < ub; i += L) {
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    vs.mul(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    vs.mul(vb).intoArray(out, oo + i, m);
                }
            }
            case DIV -> {
                for (; i < ub; i += L) {
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    vs.div(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    vs.div(vb).intoArray(out, oo + i, m);
                }
            }
            case MAX -> {
                for (; i < ub; i += L) {
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    vs.max(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    vs.max(vb).intoArray(out, oo + i, m);
                }
            }
            case MIN -> {
                for (; i < ub; i += L) {
                    var vb = FloatVector.fromArray(S, b, bo + i);
                    vs.min(vb).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var vb = FloatVector.fromArray(S, b, bo + i, m);
                    vs.min(vb).intoArray(out, oo + i, m);
                }
            }
            case POW -> {
                for (; i < len; i++) out[oo + i] = (float) Math.pow(s, b[bo + i]);
            }
            default -> throw unsupported("scalarBinary", op);
        }
    }

    @Override
    public void geluBackward(float[] x, int xo, float[] g, int go, float[] out, int oo, int len) {
        int i = 0, ub = S.loopBound(len);
        for (; i < ub; i += L) {
            var v = FloatVector.fromArray(S, x, xo + i);
            VectorMath.geluGrad(v).mul(FloatVector.fromArray(S, g, go + i)).intoArray(out, oo + i);
        }
        if (i < len) {
            var m = S.indexInRange(i, len);
            var v = FloatVector.fromArray(S, x, xo + i, m);
            VectorMath.geluGrad(v).mul(FloatVector.fromArray(S, g, go + i, m)).intoArray(out, oo + i, m);
        }
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xo, float[] out, int oo, int len) {
        int i = 0, ub = S.loopBound(len);
        var one = FloatVector.broadcast(S, 1f);
        switch (op) {
            case NEG -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    v.neg().intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    v.neg().intoArray(out, oo + i, m);
                }
            }
            case EXP -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.exp(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    VectorMath.exp(v).intoArray(out, oo + i, m);
                }
            }
            case LOG -> {
                for (; i < len; i++) out[oo + i] = (float) op.apply(x[xo + i]);
            }
            case SQRT -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    v.sqrt().intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    v.sqrt().intoArray(out, oo + i, m);
                }
            }
            case RSQRT -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    one.div(v.sqrt()).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    one.div(v.sqrt()).intoArray(out, oo + i, m);
                }
            }
            case ABS -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    v.abs().intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    v.abs().intoArray(out, oo + i, m);
                }
            }
            case SQUARE -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    v.mul(v).intoArray(out, oo + i, m);
                }
            }
            case RECIPROCAL -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    one.div(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    one.div(v).intoArray(out, oo + i, m);
                }
            }
            case SIN -> {
                for (; i < len; i++) out[oo + i] = (float) op.apply(x[xo + i]);
            }
            case COS -> {
                for (; i < len; i++) out[oo + i] = (float) op.apply(x[xo + i]);
            }
            case TANH -> {
                for (; i < len; i++) out[oo + i] = (float) op.apply(x[xo + i]);
            }
            case SIGMOID -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.sigmoid(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    VectorMath.sigmoid(v).intoArray(out, oo + i, m);
                }
            }
            case RELU -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    v.max(0f).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    v.max(0f).intoArray(out, oo + i, m);
                }
            }
            case GELU -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.gelu(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    VectorMath.gelu(v).intoArray(out, oo + i, m);
                }
            }
            case GELU_TANH -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.geluTanh(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    VectorMath.geluTanh(v).intoArray(out, oo + i, m);
                }
            }
            case ELU -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.elu(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    VectorMath.elu(v).intoArray(out, oo + i, m);
                }
            }
            case SILU -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(VectorMath.sigmoid(v)).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    v.mul(VectorMath.sigmoid(v)).intoArray(out, oo + i, m);
                }
            }
            case SIGN -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.sign(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    VectorMath.sign(v).intoArray(out, oo + i, m);
                }
            }
            case FLOOR -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.floor(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    VectorMath.floor(v).intoArray(out, oo + i, m);
                }
            }
            case CEIL -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.ceil(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    VectorMath.ceil(v).intoArray(out, oo + i, m);
                }
            }
            case ROUND -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.rint(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    VectorMath.rint(v).intoArray(out, oo + i, m);
                }
            }
            case LOG1P -> {
                for (; i < len; i++) out[oo + i] = (float) op.apply(x[xo + i]);
            }
            case EXPM1 -> {
                for (; i < len; i++) out[oo + i] = (float) op.apply(x[xo + i]);
            }
            case ERF -> {
                for (; i < ub; i += L) {
                    var v = FloatVector.fromArray(S, x, xo + i);
                    VectorMath.erf(v).intoArray(out, oo + i);
                }
                if (i < len) {
                    var m = S.indexInRange(i, len);
                    var v = FloatVector.fromArray(S, x, xo + i, m);
                    VectorMath.erf(v).intoArray(out, oo + i, m);
                }
            }
        }
    }

    @Override
    public void adamW(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int len,
                      float b1, float c1, float b2, float c2, float step, float bc2, float eps, float decay) {
        int i = 0, ub = S.loopBound(len);
        for (; i < ub; i += L) {
            var gi = FloatVector.fromArray(S, g, go + i);
            var mi = FloatVector.fromArray(S, m, mo + i).mul(b1).add(gi.mul(c1));
            var vi = FloatVector.fromArray(S, v, vo + i).mul(b2).add(gi.mul(c2).mul(gi));
            mi.intoArray(m, mo + i);
            vi.intoArray(v, vo + i);
            var denom = vi.sqrt().div(bc2).add(eps);
            FloatVector.fromArray(S, p, po + i).mul(decay).sub(mi.mul(step).div(denom)).intoArray(p, po + i);
        }
        if (i < len) {
            ScalarF32Kernels.INSTANCE.adamW(p, po + i, g, go + i, m, mo + i, v, vo + i, len - i, b1, c1, b2, c2, step, bc2, eps, decay);
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        var va = FloatVector.broadcast(S, alpha);
        int i = 0, ub = S.loopBound(len);
        for (; i < ub; i += L) {
            var vx = FloatVector.fromArray(S, x, xo + i);
            vx.fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        if (i < len) {
            var m = S.indexInRange(i, len);
            var vx = FloatVector.fromArray(S, x, xo + i, m);
            vx.fma(va, FloatVector.fromArray(S, y, yo + i, m)).intoArray(y, yo + i, m);
        }
    }

    @Override
    public void scale(float alpha, float[] x, int xo, int len) {
        int i = 0, ub = S.loopBound(len);
        for (; i < ub; i += L) FloatVector.fromArray(S, x, xo + i).mul(alpha).intoArray(x, xo + i);
        if (i < len) {
            var m = S.indexInRange(i, len);
            FloatVector.fromArray(S, x, xo + i, m).mul(alpha).intoArray(x, xo + i, m);
        }
    }

    @Override
    public void fill(float[] out, int oo, int len, float v) {
        var vv = FloatVector.broadcast(S, v);
        int i = 0, ub = S.loopBound(len);
        for (; i < ub; i += L) vv.intoArray(out, oo + i);
        if (i < len) vv.intoArray(out, oo + i, S.indexInRange(i, len));
    }

    // ------------------------------------------------------------------ reductions

    /** Pairwise tree over the lanes of (a0 + a1) + (a2 + a3). */
    private static float combine(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        float[] t = a0.add(a1).add(a2.add(a3)).toArray();
        for (int w = L / 2; w >= 1; w >>= 1)
            for (int k = 0; k < w; k++) t[k] += t[k + w];
        return t[0];
    }

    private static float blockSum(float[] x, int p, int n) {
        var a0 = FloatVector.zero(S);
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(S, x, p + i));
            a1 = a1.add(FloatVector.fromArray(S, x, p + i + L));
            a2 = a2.add(FloatVector.fromArray(S, x, p + i + 2 * L));
            a3 = a3.add(FloatVector.fromArray(S, x, p + i + 3 * L));
        }
        for (int g = 0; i < n; g++, i += L) {
            var v = FloatVector.fromArray(S, x, p + i, S.indexInRange(i, n));
            if (g == 0) a0 = a0.add(v);
            else if (g == 1) a1 = a1.add(v);
            else if (g == 2) a2 = a2.add(v);
            else a3 = a3.add(v);
        }
        return combine(a0, a1, a2, a3);
    }

    private static float blockDot(float[] a, int pa, float[] b, int pb, int n) {
        var a0 = FloatVector.zero(S);
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            a0 = FloatVector.fromArray(S, a, pa + i).fma(FloatVector.fromArray(S, b, pb + i), a0);
            a1 = FloatVector.fromArray(S, a, pa + i + L).fma(FloatVector.fromArray(S, b, pb + i + L), a1);
            a2 = FloatVector.fromArray(S, a, pa + i + 2 * L).fma(FloatVector.fromArray(S, b, pb + i + 2 * L), a2);
            a3 = FloatVector.fromArray(S, a, pa + i + 3 * L).fma(FloatVector.fromArray(S, b, pb + i + 3 * L), a3);
        }
        for (int g = 0; i < n; g++, i += L) {
            var m = S.indexInRange(i, n);
            var v = FloatVector.fromArray(S, a, pa + i, m).mul(FloatVector.fromArray(S, b, pb + i, m));
            if (g == 0) a0 = a0.add(v);
            else if (g == 1) a1 = a1.add(v);
            else if (g == 2) a2 = a2.add(v);
            else a3 = a3.add(v);
        }
        return combine(a0, a1, a2, a3);
    }

    /** Sum of (x - mu)^2 over one block. */
    private static float blockSqDev(float[] x, int p, int n, float mu) {
        var a0 = FloatVector.zero(S);
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            var d0 = FloatVector.fromArray(S, x, p + i).sub(mu);
            var d1 = FloatVector.fromArray(S, x, p + i + L).sub(mu);
            var d2 = FloatVector.fromArray(S, x, p + i + 2 * L).sub(mu);
            var d3 = FloatVector.fromArray(S, x, p + i + 3 * L).sub(mu);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
        }
        for (int g = 0; i < n; g++, i += L) {
            var m = S.indexInRange(i, n);
            var d = FloatVector.fromArray(S, x, p + i, m).lanewise(VectorOperators.SUB, mu, m);
            var v = d.mul(d);
            if (g == 0) a0 = a0.add(v);
            else if (g == 1) a1 = a1.add(v);
            else if (g == 2) a2 = a2.add(v);
            else a3 = a3.add(v);
        }
        return combine(a0, a1, a2, a3);
    }

    /** Sum of exp(x - mx) over one block, also stored to out when out is not null. */
    private static float blockExpSub(float[] x, int p, int n, float mx, float[] out, int po) {
        var a0 = FloatVector.zero(S);
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            var e0 = VectorMath.exp(FloatVector.fromArray(S, x, p + i).sub(mx));
            var e1 = VectorMath.exp(FloatVector.fromArray(S, x, p + i + L).sub(mx));
            var e2 = VectorMath.exp(FloatVector.fromArray(S, x, p + i + 2 * L).sub(mx));
            var e3 = VectorMath.exp(FloatVector.fromArray(S, x, p + i + 3 * L).sub(mx));
            if (out != null) {
                e0.intoArray(out, po + i);
                e1.intoArray(out, po + i + L);
                e2.intoArray(out, po + i + 2 * L);
                e3.intoArray(out, po + i + 3 * L);
            }
            a0 = a0.add(e0);
            a1 = a1.add(e1);
            a2 = a2.add(e2);
            a3 = a3.add(e3);
        }
        for (int g = 0; i < n; g++, i += L) {
            var m = S.indexInRange(i, n);
            var e = VectorMath.exp(FloatVector.fromArray(S, x, p + i, m).sub(mx));
            if (out != null) e.intoArray(out, po + i, m);
            e = FloatVector.zero(S).blend(e, m);
            if (g == 0) a0 = a0.add(e);
            else if (g == 1) a1 = a1.add(e);
            else if (g == 2) a2 = a2.add(e);
            else a3 = a3.add(e);
        }
        return combine(a0, a1, a2, a3);
    }

    @Override
    public float sum(float[] x, int xo, int len) {
        double total = 0;
        for (int s = 0; s < len; s += BLOCK) total += blockSum(x, xo + s, Math.min(BLOCK, len - s));
        return (float) total;
    }

    @Override
    public double sumDouble(float[] x, int xo, int len) {
        int ld = D.length();
        var a0 = DoubleVector.zero(D);
        var a1 = a0;
        int i = 0;
        for (; i + 2 * ld <= len; i += 2 * ld) {
            a0 = a0.add(FloatVector.fromArray(FD, x, xo + i).convertShape(VectorOperators.F2D, D, 0));
            a1 = a1.add(FloatVector.fromArray(FD, x, xo + i + ld).convertShape(VectorOperators.F2D, D, 0));
        }
        double[] t = a0.add(a1).toArray();
        double s = 0;
        for (double v : t) s += v;
        for (; i < len; i++) s += x[xo + i];
        return s;
    }

    @Override
    public float max(float[] x, int xo, int len) {
        var acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0, ub = S.loopBound(len);
        for (; i < ub; i += L) acc = acc.max(FloatVector.fromArray(S, x, xo + i));
        if (i < len) {
            var m = S.indexInRange(i, len);
            acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xo + i, m), m);
        }
        float r = Float.NEGATIVE_INFINITY;
        for (float v : acc.toArray()) r = Math.max(r, v);
        return r;
    }

    @Override
    public float min(float[] x, int xo, int len) {
        var acc = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
        int i = 0, ub = S.loopBound(len);
        for (; i < ub; i += L) acc = acc.min(FloatVector.fromArray(S, x, xo + i));
        if (i < len) {
            var m = S.indexInRange(i, len);
            acc = acc.lanewise(VectorOperators.MIN, FloatVector.fromArray(S, x, xo + i, m), m);
        }
        float r = Float.POSITIVE_INFINITY;
        for (float v : acc.toArray()) r = Math.min(r, v);
        return r;
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int len) {
        double total = 0;
        for (int s = 0; s < len; s += BLOCK) total += blockDot(a, ao + s, b, bo + s, Math.min(BLOCK, len - s));
        return (float) total;
    }

    @Override
    public float sumSquares(float[] x, int xo, int len) {
        return dot(x, xo, x, xo, len);
    }

    private static float sumSqDev(float[] x, int xo, int len, float mu) {
        double total = 0;
        for (int s = 0; s < len; s += BLOCK) total += blockSqDev(x, xo + s, Math.min(BLOCK, len - s), mu);
        return (float) total;
    }

    private static float sumExpSub(float[] x, int xo, int len, float mx, float[] out, int oo) {
        double total = 0;
        for (int s = 0; s < len; s += BLOCK)
            total += blockExpSub(x, xo + s, Math.min(BLOCK, len - s), mx, out, oo + s);
        return (float) total;
    }

    // ------------------------------------------------------------------ row kernels

    @Override
    public void softmaxRows(float[] x, int xo, float[] out, int oo, int rows, int cols) {
        if (cols < L) {
            SHORT_ROWS.softmaxRows(x, xo, out, oo, rows, cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, or = oo + r * cols;
            float mx = max(x, xr, cols);
            float inv = 1f / sumExpSub(x, xr, cols, mx, out, or);
            scale(inv, out, or, cols);
        }
    }

    @Override
    public void logSoftmaxRows(float[] x, int xo, float[] out, int oo, int rows, int cols) {
        if (cols < L) {
            SHORT_ROWS.logSoftmaxRows(x, xo, out, oo, rows, cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, or = oo + r * cols;
            float mx = max(x, xr, cols);
            float logSum = (float) Math.log(sumExpSub(x, xr, cols, mx, null, 0));
            // (x - max) first: exact for the largest entries, as PyTorch orders it.
            int i = 0, ub = S.loopBound(cols);
            for (; i < ub; i += L) FloatVector.fromArray(S, x, xr + i).sub(mx).sub(logSum).intoArray(out, or + i);
            if (i < cols) {
                var m = S.indexInRange(i, cols);
                FloatVector.fromArray(S, x, xr + i, m).sub(mx).sub(logSum).intoArray(out, or + i, m);
            }
        }
    }

    @Override
    public void softmaxBackwardRows(float[] y, int yo, float[] gy, int gyo, float[] gx, int gxo, int rows, int cols) {
        if (cols < L) {
            SHORT_ROWS.softmaxBackwardRows(y, yo, gy, gyo, gx, gxo, rows, cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            int yr = yo + r * cols, gr = gyo + r * cols, dr = gxo + r * cols;
            float d = dot(gy, gr, y, yr, cols);
            int i = 0, ub = S.loopBound(cols);
            for (; i < ub; i += L) {
                var vy = FloatVector.fromArray(S, y, yr + i);
                vy.mul(FloatVector.fromArray(S, gy, gr + i).sub(d)).intoArray(gx, dr + i);
            }
            if (i < cols) {
                var m = S.indexInRange(i, cols);
                var vy = FloatVector.fromArray(S, y, yr + i, m);
                vy.mul(FloatVector.fromArray(S, gy, gr + i, m).sub(d)).intoArray(gx, dr + i, m);
            }
        }
    }

    @Override
    public void logSoftmaxBackwardRows(float[] y, int yo, float[] gy, int gyo, float[] gx, int gxo, int rows, int cols) {
        if (cols < L) {
            SHORT_ROWS.logSoftmaxBackwardRows(y, yo, gy, gyo, gx, gxo, rows, cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            int yr = yo + r * cols, gr = gyo + r * cols, dr = gxo + r * cols;
            float s = sum(gy, gr, cols);
            int i = 0, ub = S.loopBound(cols);
            for (; i < ub; i += L) {
                var e = VectorMath.exp(FloatVector.fromArray(S, y, yr + i));
                e.mul(-s).add(FloatVector.fromArray(S, gy, gr + i)).intoArray(gx, dr + i);
            }
            if (i < cols) {
                var m = S.indexInRange(i, cols);
                var e = VectorMath.exp(FloatVector.fromArray(S, y, yr + i, m));
                e.mul(-s).add(FloatVector.fromArray(S, gy, gr + i, m)).intoArray(gx, dr + i, m);
            }
        }
    }

    @Override
    public void layerNormRows(float[] x, int xo, float[] gamma, float[] beta, float eps, float[] out, int oo,
            float[] mean, float[] rstd, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, or = oo + r * cols;
            float mu = sum(x, xr, cols) / cols;
            float rs = (float) (1.0 / Math.sqrt(sumSqDev(x, xr, cols, mu) / cols + eps));
            if (mean != null) mean[r] = mu;
            if (rstd != null) rstd[r] = rs;
            normalizeRow(x, xr, mu, rs, gamma, beta, out, or, cols);
        }
    }

    /** out = (x - mu) * rs * gamma + beta, with gamma and/or beta optional. */
    private static void normalizeRow(float[] x, int xr, float mu, float rs, float[] gamma, float[] beta,
            float[] out, int or, int cols) {
        int i = 0, ub = S.loopBound(cols);
        if (gamma != null && beta != null) {
            for (; i < ub; i += L) {
                var v = FloatVector.fromArray(S, x, xr + i).sub(mu).mul(rs);
                v.fma(FloatVector.fromArray(S, gamma, i), FloatVector.fromArray(S, beta, i)).intoArray(out, or + i);
            }
        }
        for (; i < cols; i += L) {
            var m = S.indexInRange(i, cols);
            var v = FloatVector.fromArray(S, x, xr + i, m).sub(mu).mul(rs);
            if (gamma != null) v = v.mul(FloatVector.fromArray(S, gamma, i, m));
            if (beta != null) v = v.add(FloatVector.fromArray(S, beta, i, m));
            v.intoArray(out, or + i, m);
        }
    }

    @Override
    public void layerNormBackwardRows(float[] x, int xo, float[] gamma, float[] mean, float[] rstd,
            float[] gy, int gyo, float[] gx, int gxo, float[] gGamma, float[] gBeta, int rows, int cols) {
        float[] sums = new float[2];
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, gr = gyo + r * cols, dr = gxo + r * cols;
            float mu = mean[r], rs = rstd[r];
            layerNormGradSums(x, xr, mu, rs, gamma, gy, gr, gGamma, gBeta, cols, sums);
            layerNormGradRow(x, xr, mu, rs, gamma, gy, gr, gx, dr, cols, sums[0] / cols, sums[1] / cols);
        }
    }

    // The layer-norm and rms-norm backward passes are split into one small method per loop: as a single method
    // C1 ran out of registers compiling it, so it stayed in tier-2 code where every vector operation runs its
    // boxed Java fallback, and C2 did not pick it up within minutes of training (a third of a training step).

    /**
     * One row's sums of g = gy * gamma and of g * xhat into {@code sums[0]} and {@code sums[1]}, adding the row's
     * terms to the gamma and beta gradients.
     */
    private static void layerNormGradSums(float[] x, int xr, float mu, float rs, float[] gamma, float[] gy, int gr,
            float[] gGamma, float[] gBeta, int cols, float[] sums) {
        var sg = FloatVector.zero(S);
        var sgx = sg;
        int i = 0, ub = S.loopBound(cols);
        for (; i < ub; i += L) {
            var xh = FloatVector.fromArray(S, x, xr + i).sub(mu).mul(rs);
            var vgy = FloatVector.fromArray(S, gy, gr + i);
            var g = gamma == null ? vgy : vgy.mul(FloatVector.fromArray(S, gamma, i));
            sg = sg.add(g);
            sgx = g.fma(xh, sgx);
            if (gGamma != null) vgy.fma(xh, FloatVector.fromArray(S, gGamma, i)).intoArray(gGamma, i);
            if (gBeta != null) vgy.add(FloatVector.fromArray(S, gBeta, i)).intoArray(gBeta, i);
        }
        if (i < cols) {
            var m = S.indexInRange(i, cols);
            var xh = FloatVector.fromArray(S, x, xr + i, m).sub(mu).mul(rs);
            var vgy = FloatVector.fromArray(S, gy, gr + i, m);
            var g = gamma == null ? vgy : vgy.mul(FloatVector.fromArray(S, gamma, i, m));
            g = FloatVector.zero(S).blend(g, m);
            sg = sg.add(g);
            sgx = g.fma(xh, sgx);
            if (gGamma != null) vgy.fma(xh, FloatVector.fromArray(S, gGamma, i, m)).intoArray(gGamma, i, m);
            if (gBeta != null) vgy.add(FloatVector.fromArray(S, gBeta, i, m)).intoArray(gBeta, i, m);
        }
        sums[0] = laneSum(sg);
        sums[1] = laneSum(sgx);
    }

    /** One row of the input gradient: {@code gx = ((g - mg) - xhat * mgx) * rs}. */
    private static void layerNormGradRow(float[] x, int xr, float mu, float rs, float[] gamma, float[] gy, int gr,
            float[] gx, int dr, int cols, float mg, float mgx) {
        int i = 0, ub = S.loopBound(cols);
        for (; i < ub; i += L) {
            var xh = FloatVector.fromArray(S, x, xr + i).sub(mu).mul(rs);
            var vgy = FloatVector.fromArray(S, gy, gr + i);
            var g = gamma == null ? vgy : vgy.mul(FloatVector.fromArray(S, gamma, i));
            g.sub(mg).sub(xh.mul(mgx)).mul(rs).intoArray(gx, dr + i);
        }
        if (i < cols) {
            var m = S.indexInRange(i, cols);
            var xh = FloatVector.fromArray(S, x, xr + i, m).sub(mu).mul(rs);
            var vgy = FloatVector.fromArray(S, gy, gr + i, m);
            var g = gamma == null ? vgy : vgy.mul(FloatVector.fromArray(S, gamma, i, m));
            g.sub(mg).sub(xh.mul(mgx)).mul(rs).intoArray(gx, dr + i, m);
        }
    }

    @Override
    public void rmsNormRows(float[] x, int xo, float[] gamma, float eps, float[] out, int oo, float[] rstd,
            int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, or = oo + r * cols;
            float rs = (float) (1.0 / Math.sqrt(sumSquares(x, xr, cols) / cols + eps));
            if (rstd != null) rstd[r] = rs;
            normalizeRow(x, xr, 0f, rs, gamma, null, out, or, cols);
        }
    }

    @Override
    public void rmsNormBackwardRows(float[] x, int xo, float[] gamma, float[] rstd, float[] gy, int gyo,
            float[] gx, int gxo, float[] gGamma, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, gr = gyo + r * cols, dr = gxo + r * cols;
            float rs = rstd[r];
            float mgx = rmsNormGradSum(x, xr, rs, gamma, gy, gr, gGamma, cols) / cols;
            layerNormGradRow(x, xr, 0f, rs, gamma, gy, gr, gx, dr, cols, 0f, mgx);
        }
    }

    /** One row's sum of g * xhat (g = gy * gamma, xhat = x * rs), adding the row's terms to the gamma gradient. */
    private static float rmsNormGradSum(float[] x, int xr, float rs, float[] gamma, float[] gy, int gr,
            float[] gGamma, int cols) {
        var sgx = FloatVector.zero(S);
        int i = 0, ub = S.loopBound(cols);
        for (; i < ub; i += L) {
            var xh = FloatVector.fromArray(S, x, xr + i).mul(rs);
            var vgy = FloatVector.fromArray(S, gy, gr + i);
            var g = gamma == null ? vgy : vgy.mul(FloatVector.fromArray(S, gamma, i));
            sgx = g.fma(xh, sgx);
            if (gGamma != null) vgy.fma(xh, FloatVector.fromArray(S, gGamma, i)).intoArray(gGamma, i);
        }
        if (i < cols) {
            var m = S.indexInRange(i, cols);
            var xh = FloatVector.fromArray(S, x, xr + i, m).mul(rs);
            var vgy = FloatVector.fromArray(S, gy, gr + i, m);
            var g = gamma == null ? vgy : vgy.mul(FloatVector.fromArray(S, gamma, i, m));
            sgx = g.fma(xh, sgx);
            if (gGamma != null) vgy.fma(xh, FloatVector.fromArray(S, gGamma, i, m)).intoArray(gGamma, i, m);
        }
        return laneSum(sgx);
    }

    /** Pairwise tree over the lanes of one vector. */
    private static float laneSum(FloatVector v) {
        float[] t = v.toArray();
        for (int w = L / 2; w >= 1; w >>= 1)
            for (int k = 0; k < w; k++) t[k] += t[k + w];
        return t[0];
    }
}
