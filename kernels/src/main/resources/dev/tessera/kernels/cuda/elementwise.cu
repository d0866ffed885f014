// Elementwise kernels: copies with dtype conversion, fills, unary/binary maps, where, clamp and
// the in-place updates. Arithmetic is done in double and rounded once to the output dtype, which
// for float operands gives exactly IEEE float results for + - * / and sqrt and the correctly
// rounded value (as the CPU's scalar reference) for the transcendental functions.
#include "common.cuh"

// UnaryOp ordinals
#define U_NEG 0
#define U_EXP 1
#define U_LOG 2
#define U_SQRT 3
#define U_RSQRT 4
#define U_ABS 5
#define U_SQUARE 6
#define U_RECIPROCAL 7
#define U_SIN 8
#define U_COS 9
#define U_TANH 10
#define U_SIGMOID 11
#define U_RELU 12
#define U_GELU 13
#define U_GELU_TANH 14
#define U_ELU 15
#define U_SILU 16
#define U_SIGN 17
#define U_FLOOR 18
#define U_CEIL 19
#define U_ROUND 20
#define U_LOG1P 21
#define U_EXPM1 22
#define U_ERF 23

// BinaryOp ordinals
#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_MAX 4
#define B_MIN 5
#define B_POW 6
#define B_EQ 7
#define B_NE 8
#define B_LT 9
#define B_LE 10
#define B_GT 11
#define B_GE 12
#define B_AND 13
#define B_OR 14

__device__ __forceinline__ double sigmoid(double x) {
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

__device__ double unary_op(int op, double x) {
    switch (op) {
        case U_NEG: return -x;
        case U_EXP: return exp(x);
        case U_LOG: return log(x);
        case U_SQRT: return sqrt(x);
        case U_RSQRT: return 1.0 / sqrt(x);
        case U_ABS: return fabs(x);
        case U_SQUARE: return x * x;
        case U_RECIPROCAL: return 1.0 / x;
        case U_SIN: return sin(x);
        case U_COS: return cos(x);
        case U_TANH: return tanh(x);
        case U_SIGMOID: return sigmoid(x);
        case U_RELU: return x > 0 ? x : (x == x ? 0.0 : x);
        case U_GELU: return 0.5 * x * (1.0 + erf(x * 0.70710678118654752440));
        case U_GELU_TANH: return 0.5 * x * (1.0 + tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x)));
        case U_ELU: return x > 0 ? x : expm1(x);
        case U_SILU: return x * sigmoid(x);
        case U_SIGN: return x > 0 ? 1.0 : (x < 0 ? -1.0 : x);
        case U_FLOOR: return floor(x);
        case U_CEIL: return ceil(x);
        case U_ROUND: return rint(x);
        case U_LOG1P: return log1p(x);
        case U_EXPM1: return expm1(x);
        default: return erf(x);
    }
}

// Math.max/min semantics: NaN propagates, max(-0, +0) = +0, min(-0, +0) = -0.
__device__ __forceinline__ double java_max(double a, double b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0 && b == 0.0) return __longlong_as_double(__double_as_longlong(a) & __double_as_longlong(b));
    return a > b ? a : b;
}
__device__ __forceinline__ double java_min(double a, double b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0 && b == 0.0) return __longlong_as_double(__double_as_longlong(a) | __double_as_longlong(b));
    return a < b ? a : b;
}

__device__ double binary_op(int op, double a, double b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_MAX: return java_max(a, b);
        case B_MIN: return java_min(a, b);
        case B_POW: return pow(a, b);
        case B_EQ: return a == b ? 1.0 : 0.0;
        case B_NE: return a != b ? 1.0 : 0.0;
        case B_LT: return a < b ? 1.0 : 0.0;
        case B_LE: return a <= b ? 1.0 : 0.0;
        case B_GT: return a > b ? 1.0 : 0.0;
        case B_GE: return a >= b ? 1.0 : 0.0;
        case B_AND: return a != 0.0 && b != 0.0 ? 1.0 : 0.0;
        default: return a != 0.0 || b != 0.0 ? 1.0 : 0.0;
    }
}

// ---------------------------------------------------------------- generic strided kernels

// operand 0 = dst, 1 = src; same dtype copies move the bits unchanged
extern "C" __global__ void ew_copy(Strided g, void* dst, int ddt, const void* src, int sdt) {
    int es = elem_size(ddt);
    GRID_STRIDE(i, g.n) {
        i64 o[2];
        strided_offsets<2>(g, i, o);
        if (ddt == sdt) copy_elem(dst, o[0], src, o[1], es);
        else st(dst, ddt, o[0], ld(src, sdt, o[1]));
    }
}

extern "C" __global__ void ew_fill(Strided g, void* dst, int dt, double v) {
    GRID_STRIDE(i, g.n) {
        i64 o[1];
        strided_offsets<1>(g, i, o);
        st(dst, dt, o[0], v);
    }
}

// operand 0 = out, 1 = x
extern "C" __global__ void ew_unary(Strided g, int op, void* out, int odt, const void* x, int xdt) {
    GRID_STRIDE(i, g.n) {
        i64 o[2];
        strided_offsets<2>(g, i, o);
        st(out, odt, o[0], unary_op(op, ld(x, xdt, o[1])));
    }
}

// operand 0 = out, 1 = a, 2 = b
extern "C" __global__ void ew_binary(Strided g, int op, void* out, int odt, const void* a, int adt, const void* b, int bdt) {
    GRID_STRIDE(i, g.n) {
        i64 o[3];
        strided_offsets<3>(g, i, o);
        st(out, odt, o[0], binary_op(op, ld(a, adt, o[1]), ld(b, bdt, o[2])));
    }
}

// operand 0 = out, 1 = x
extern "C" __global__ void ew_binary_scalar(Strided g, int op, void* out, int odt, const void* x, int xdt, double s,
                                            int scalarFirst) {
    GRID_STRIDE(i, g.n) {
        i64 o[2];
        strided_offsets<2>(g, i, o);
        double v = ld(x, xdt, o[1]);
        st(out, odt, o[0], scalarFirst ? binary_op(op, s, v) : binary_op(op, v, s));
    }
}

// operand 0 = out, 1 = cond (BOOL), 2 = a, 3 = b; a, b and out share one dtype of es bytes
extern "C" __global__ void ew_where(Strided g, void* out, const u8* cond, const void* a, const void* b, int es) {
    GRID_STRIDE(i, g.n) {
        i64 o[4];
        strided_offsets<4>(g, i, o);
        if (cond[o[1]]) copy_elem(out, o[0], a, o[2], es);
        else copy_elem(out, o[0], b, o[3], es);
    }
}

// operand 0 = out, 1 = x; NaN passes through
extern "C" __global__ void ew_clamp(Strided g, void* out, int odt, const void* x, int xdt, double lo, double hi) {
    GRID_STRIDE(i, g.n) {
        i64 o[2];
        strided_offsets<2>(g, i, o);
        double v = ld(x, xdt, o[1]);
        st(out, odt, o[0], v < lo ? lo : (v > hi ? hi : v));
    }
}

// dst += alpha * src; operand 0 = dst, 1 = src. Float operands use float arithmetic (as the CPU).
extern "C" __global__ void ew_axpy(Strided g, void* dst, int ddt, const void* src, int sdt, double alpha) {
    float fa = (float)alpha;
    GRID_STRIDE(i, g.n) {
        i64 o[2];
        strided_offsets<2>(g, i, o);
        if (ddt == DT_F32 && sdt == DT_F32) {
            float* y = (float*)dst;
            y[o[0]] = __fadd_rn(y[o[0]], __fmul_rn(fa, ((const float*)src)[o[1]]));
        } else {
            st(dst, ddt, o[0], ld(dst, ddt, o[0]) + alpha * ld(src, sdt, o[1]));
        }
    }
}

// dst *= s (for float dst, s is rounded to float first, as the CPU does)
extern "C" __global__ void ew_scale(Strided g, void* dst, int dt, double s) {
    if (dt == DT_F32) s = (float)s;
    GRID_STRIDE(i, g.n) {
        i64 o[1];
        strided_offsets<1>(g, i, o);
        st(dst, dt, o[0], ld(dst, dt, o[0]) * s);
    }
}

// ---------------------------------------------------------------- contiguous float32 fast paths (float4)

extern "C" __global__ void ew_unary_f32(i64 n, int op, float* __restrict__ out, const float* __restrict__ x) {
    i64 n4 = n >> 2;
    const float4* x4 = (const float4*)x;
    float4* o4 = (float4*)out;
    GRID_STRIDE(i, n4) {
        float4 v = x4[i];
        o4[i] = make_float4((float)unary_op(op, v.x), (float)unary_op(op, v.y), (float)unary_op(op, v.z),
                            (float)unary_op(op, v.w));
    }
    GRID_STRIDE(j, n - 4 * n4) out[4 * n4 + j] = (float)unary_op(op, x[4 * n4 + j]);
}

extern "C" __global__ void ew_binary_f32(i64 n, int op, float* __restrict__ out, const float* __restrict__ a,
                                         const float* __restrict__ b) {
    i64 n4 = n >> 2;
    const float4* a4 = (const float4*)a;
    const float4* b4 = (const float4*)b;
    float4* o4 = (float4*)out;
    GRID_STRIDE(i, n4) {
        float4 u = a4[i], v = b4[i];
        o4[i] = make_float4((float)binary_op(op, u.x, v.x), (float)binary_op(op, u.y, v.y),
                            (float)binary_op(op, u.z, v.z), (float)binary_op(op, u.w, v.w));
    }
    GRID_STRIDE(j, n - 4 * n4) out[4 * n4 + j] = (float)binary_op(op, a[4 * n4 + j], b[4 * n4 + j]);
}

extern "C" __global__ void ew_binary_scalar_f32(i64 n, int op, float* __restrict__ out, const float* __restrict__ x,
                                                double s, int scalarFirst) {
    i64 n4 = n >> 2;
    const float4* x4 = (const float4*)x;
    float4* o4 = (float4*)out;
    GRID_STRIDE(i, n4) {
        float4 v = x4[i];
        if (scalarFirst) {
            o4[i] = make_float4((float)binary_op(op, s, v.x), (float)binary_op(op, s, v.y),
                                (float)binary_op(op, s, v.z), (float)binary_op(op, s, v.w));
        } else {
            o4[i] = make_float4((float)binary_op(op, v.x, s), (float)binary_op(op, v.y, s),
                                (float)binary_op(op, v.z, s), (float)binary_op(op, v.w, s));
        }
    }
    GRID_STRIDE(j, n - 4 * n4) {
        double v = x[4 * n4 + j];
        out[4 * n4 + j] = (float)(scalarFirst ? binary_op(op, s, v) : binary_op(op, v, s));
    }
}

extern "C" __global__ void ew_axpy_f32(i64 n, float alpha, float* __restrict__ y, const float* __restrict__ x) {
    i64 n4 = n >> 2;
    const float4* x4 = (const float4*)x;
    float4* y4 = (float4*)y;
    GRID_STRIDE(i, n4) {
        float4 u = x4[i], v = y4[i];
        y4[i] = make_float4(__fadd_rn(v.x, __fmul_rn(alpha, u.x)), __fadd_rn(v.y, __fmul_rn(alpha, u.y)),
                            __fadd_rn(v.z, __fmul_rn(alpha, u.z)), __fadd_rn(v.w, __fmul_rn(alpha, u.w)));
    }
    GRID_STRIDE(j, n - 4 * n4) y[4 * n4 + j] = __fadd_rn(y[4 * n4 + j], __fmul_rn(alpha, x[4 * n4 + j]));
}
