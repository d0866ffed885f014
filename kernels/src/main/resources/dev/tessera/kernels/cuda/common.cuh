// Shared definitions of Tessera's CUDA kernels. NVRTC compatibility rules for every source:
// no #include except this header (passed to NVRTC in memory), no toolkit or libc headers,
// no INFINITY/FLT_MAX/printf, every __global__ entry point extern "C".
#pragma once

typedef unsigned long long u64;
typedef long long i64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define K_INF __int_as_float(0x7f800000)
#define K_NAN __int_as_float(0x7fc00000)
#define D_INF __longlong_as_double(0x7ff0000000000000LL)
#define D_NAN __longlong_as_double(0x7ff8000000000000LL)

// dtype codes: the ordinals of dev.tessera.tensor.DType
#define DT_F32 0
#define DT_F64 1
#define DT_I32 2
#define DT_BOOL 3
#define DT_BF16 4

// Operand geometry of strided kernels: an iteration shape and, per operand, element strides and
// an element offset. Built on the host after dropping size-1 and merging contiguous dimensions.
#define MAXD 8
#define MAXOPS 4
struct Strided {
    int rank;
    int n;
    int shape[MAXD];
    int st[MAXOPS][MAXD];
    int off[MAXOPS];
};

// Storage offsets of element i (row-major in g.shape) for operands 0..ops-1.
template <int OPS>
__device__ __forceinline__ void strided_offsets(const Strided& g, i64 i, i64* o) {
#pragma unroll
    for (int k = 0; k < OPS; k++) o[k] = g.off[k];
    for (int d = g.rank - 1; d >= 0; d--) {
        int s = g.shape[d];
        i64 c = i % s;
        i /= s;
#pragma unroll
        for (int k = 0; k < OPS; k++) o[k] += c * g.st[k][d];
    }
}

#define GRID_STRIDE(i, n) for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

__device__ __forceinline__ float bf16_to_f32(u16 h) { return __uint_as_float(((u32)h) << 16); }

// float -> bfloat16 with round-to-nearest-even; NaN stays a quiet NaN (as DType.toBf16)
__device__ __forceinline__ u16 f32_to_bf16(float f) {
    u32 b = __float_as_uint(f);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (u16)((b >> 16) | 0x40);
    return (u16)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

__device__ __forceinline__ int elem_size(int dt) {
    return dt == DT_F64 ? 8 : (dt == DT_BOOL ? 1 : (dt == DT_BF16 ? 2 : 4));
}

// Element i of a buffer of dtype dt, as a double (BOOL as 0/1).
__device__ __forceinline__ double ld(const void* p, int dt, i64 i) {
    switch (dt) {
        case DT_F32: return ((const float*)p)[i];
        case DT_F64: return ((const double*)p)[i];
        case DT_I32: return ((const int*)p)[i];
        case DT_BOOL: return ((const u8*)p)[i];
        default: return bf16_to_f32(((const u16*)p)[i]);
    }
}

// Stores v converting like CpuStorage.set: ints truncate toward zero (saturating, NaN -> 0),
// BOOL = v != 0, BF16 = round(float(v)).
__device__ __forceinline__ void st(void* p, int dt, i64 i, double v) {
    switch (dt) {
        case DT_F32: ((float*)p)[i] = (float)v; break;
        case DT_F64: ((double*)p)[i] = v; break;
        case DT_I32: ((int*)p)[i] = v != v ? 0 : (v >= 2147483647.0 ? 2147483647 : (v <= -2147483648.0 ? (int)0x80000000 : (int)v)); break;
        case DT_BOOL: ((u8*)p)[i] = v != 0.0 ? 1 : 0; break;
        default: ((u16*)p)[i] = f32_to_bf16((float)v); break;
    }
}

// Copies one element of size es bytes.
__device__ __forceinline__ void copy_elem(void* dst, i64 di, const void* src, i64 si, int es) {
    switch (es) {
        case 1: ((u8*)dst)[di] = ((const u8*)src)[si]; break;
        case 2: ((u16*)dst)[di] = ((const u16*)src)[si]; break;
        case 4: ((u32*)dst)[di] = ((const u32*)src)[si]; break;
        default: ((u64*)dst)[di] = ((const u64*)src)[si]; break;
    }
}

// Block-wide sum of doubles in a fixed order (deterministic). All threads get the result.
// scratch: 32 doubles of shared memory.
__device__ __forceinline__ double block_sum(double v, double* scratch) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = (blockDim.x + 31) >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// NaN-propagating maximum (the first NaN wins).
__device__ __forceinline__ double nan_max(double a, double b) { return a != a ? a : (b != b ? b : (b > a ? b : a)); }
__device__ __forceinline__ double nan_min(double a, double b) { return a != a ? a : (b != b ? b : (b < a ? b : a)); }

// Block-wide NaN-propagating max of doubles; all threads get the result.
__device__ __forceinline__ double block_max(double v, double* scratch) {
    for (int o = 16; o > 0; o >>= 1) v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, o));
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = (blockDim.x + 31) >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : -D_INF;
    for (int o = 16; o > 0; o >>= 1) v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
