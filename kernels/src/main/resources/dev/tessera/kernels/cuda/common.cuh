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

// ---------------------------------------------------------------- tiles, tensor cores, async copies
// The fused kernels (attention, MoE, linear attention) build on these. On the GPU they are inline
// PTX (sm_80+: mma.sync bf16, ldmatrix, cp.async); the test emulator (TESSERA_EMU) supplies
// host versions with the same per-lane fragment semantics, so fragment indexing is exercised
// without a GPU.

__device__ __forceinline__ int imin(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ int imax(int a, int b) { return a > b ? a : b; }

#define K_LN2 0.6931471805599453f
#define K_LOG2E 1.4426950408889634f

// Dynamically sized shared memory of a kernel (the launch's sharedBytes), 16-byte aligned.
#ifndef TESSERA_EMU
extern __shared__ __align__(16) unsigned char tessera_dyn_smem[];
#define DYN_SMEM(T, name) T* name = (T*)tessera_dyn_smem

// Two floats as one 32-bit pair of bfloat16 (lo in the low half), round-to-nearest-even.
__device__ __forceinline__ u32 pack_bf16x2(float lo, float hi) {
    u32 r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

// Shared-memory address of a generic pointer (for ldmatrix / cp.async).
__device__ __forceinline__ u32 smem_u32(const void* p) {
    u32 a;
    asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
    return a;
}

// ldmatrix.x4: lane l passes the address of row (l % 8) of 8x8 matrix (l / 8); register i receives
// matrix i's elements (row lane/4, cols 2*(lane%4), +1), or with .trans (rows 2*(lane%4), +1, col lane/4).
__device__ __forceinline__ void ldsm_x4(u32* r, const u16* p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_u32(p)));
}
__device__ __forceinline__ void ldsm_x4_t(u32* r, const u16* p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_u32(p)));
}

// d += A (16x16 bf16, row) * B (16x8 bf16, col), fp32 accumulate. Lane l, g = l/4, t = l%4:
// a0 (g, 2t..2t+1), a1 (g+8, 2t..), a2 (g, 2t+8..), a3 (g+8, 2t+8..); b0 (k 2t..2t+1, n g),
// b1 (k 2t+8.., n g); d0,d1 (g, 2t..2t+1), d2,d3 (g+8, 2t..2t+1).
__device__ __forceinline__ void mma_bf16(float* d, const u32* a, u32 b0, u32 b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// 16-byte global -> shared copy in the background; bytes < 16 zero-fills the rest (0: all zeros).
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, int bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(smem_u32(smem)), "l"(gmem), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;"); }
// waits until at most N committed groups are still in flight
template <int N> __device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;" :: "n"(N)); }

// Bits of the lanes below this one.
__device__ __forceinline__ u32 lanemask_lt() {
    u32 m;
    asm("mov.u32 %0, %%lanemask_lt;" : "=r"(m));
    return m;
}
#endif

// Warp-wide reductions over the lanes whose index differs only in the bits of (width - 1).
__device__ __forceinline__ float warp_max_w(float v, int width) {
    for (int o = width >> 1; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
__device__ __forceinline__ float warp_sum_w(float v, int width) {
    for (int o = width >> 1; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
