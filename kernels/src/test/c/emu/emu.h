/*
 * Host emulation of the CUDA C subset used by Tessera's kernels (tests only): each .cu file is
 * compiled as C++ after this header, and emu_runtime.cpp runs a launch block by block with one
 * cooperative user-level context per CUDA thread (ucontext), so __syncthreads and warp shuffles
 * behave as on a GPU for kernels whose barriers are reached uniformly. Everything runs on one OS
 * thread, so atomics are plain read-modify-writes.
 */
#pragma once
#define TESSERA_EMU 1
#include <math.h>
#include <stdint.h>
#include <string.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

struct uint3 { unsigned x, y, z; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
static inline float4 make_float4(float a, float b, float c, float d) { float4 r = {a, b, c, d}; return r; }
static inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { uint4 r = {a, b, c, d}; return r; }

extern uint3 threadIdx, blockIdx, blockDim, gridDim;

/** One emulated kernel: its name, a trampoline unpacking cuLaunchKernel's argument pointers,
 *  whether it synchronises (barriers or shuffles: run with one context per thread), and the byte
 *  size of each parameter (the fake driver copies arguments when a launch is captured). */
struct EmuKernel { const char* name; void (*fn)(void**); int sync; int nparams; const int* psizes; };

void emu_syncthreads();
void emu_syncwarp();
extern unsigned long long emu_slots[1024];
/** Per-thread exchange area for multi-word warp collectives (mma fragments). */
extern unsigned emu_frag[1024][8];
/** The launch's dynamic shared memory (sharedBytes of cuLaunchKernel, zero-filled per launch). */
extern unsigned char* emu_dyn_smem;

#define DYN_SMEM(T, name) T* name = (T*)emu_dyn_smem

static inline void __syncthreads() { emu_syncthreads(); }
static inline void __syncwarp(unsigned = 0xffffffffu) { emu_syncwarp(); }
static inline unsigned __activemask() { return 0xffffffffu; }
static inline int __popc(unsigned v) { return __builtin_popcount(v); }
static inline int __ffs(int v) { return __builtin_ffs(v); }
static inline int __clz(int v) { return v == 0 ? 32 : __builtin_clz((unsigned)v); }
static inline unsigned warp_base() { return threadIdx.x & ~31u; }
static inline unsigned warp_lanes() { unsigned b = warp_base(); return blockDim.x - b < 32 ? blockDim.x - b : 32; }

/** Every lane publishes v, then reads lane src's value (the common core of the shuffles). */
template <typename T>
static inline T emu_exchange(T v, int src) {
    unsigned long long bits = 0;
    memcpy(&bits, &v, sizeof(T));
    emu_slots[threadIdx.x] = bits;
    emu_syncwarp();
    unsigned long long other = emu_slots[warp_base() | ((unsigned)src & 31u)];
    emu_syncwarp();
    T r;
    memcpy(&r, &other, sizeof(T));
    return r;
}
template <typename T> static inline T __shfl_sync(unsigned, T v, int src, int width = 32) {
    int lane = threadIdx.x & 31;
    return emu_exchange(v, (lane & ~(width - 1)) | (src & (width - 1)));
}
template <typename T> static inline T __shfl_down_sync(unsigned, T v, unsigned d, int width = 32) {
    int lane = threadIdx.x & 31, seg = lane & ~(width - 1);
    int src = lane + (int)d;
    return emu_exchange(v, src < seg + width ? src : lane);
}
template <typename T> static inline T __shfl_up_sync(unsigned, T v, unsigned d, int width = 32) {
    int lane = threadIdx.x & 31, seg = lane & ~(width - 1);
    int src = lane - (int)d;
    return emu_exchange(v, src >= seg ? src : lane);
}
static inline unsigned __ballot_sync(unsigned, int pred) {
    emu_slots[threadIdx.x] = pred ? 1 : 0;
    emu_syncwarp();
    unsigned r = 0, b = warp_base(), n = warp_lanes();
    for (unsigned l = 0; l < n; l++) if (emu_slots[b + l]) r |= 1u << l;
    emu_syncwarp();
    return r;
}
static inline unsigned __match_any_sync(unsigned, unsigned v) {
    emu_slots[threadIdx.x] = v;
    emu_syncwarp();
    unsigned r = 0, b = warp_base(), n = warp_lanes();
    for (unsigned l = 0; l < n; l++) if ((unsigned)emu_slots[b + l] == v) r |= 1u << l;
    emu_syncwarp();
    return r;
}
static inline unsigned lanemask_lt() { return (1u << (threadIdx.x & 31)) - 1; }

template <typename T>
static inline T __shfl_xor_sync(unsigned, T v, int o) {
    return emu_exchange(v, (int)((threadIdx.x & 31u) ^ (unsigned)o));
}

static inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
static inline float __uint_as_float(unsigned i) { float f; memcpy(&f, &i, 4); return f; }
static inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
static inline unsigned __float_as_uint(float f) { unsigned i; memcpy(&i, &f, 4); return i; }
static inline double __longlong_as_double(long long i) { double d; memcpy(&d, &i, 8); return d; }
static inline long long __double_as_longlong(double d) { long long i; memcpy(&i, &d, 8); return i; }
static inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline float __fsqrt_rn(float a) { return sqrtf(a); }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __ddiv_rn(double a, double b) { return a / b; }
static inline int atomicMin(int* p, int v) { int o = *p; if (v < o) *p = v; return o; }
static inline int atomicMax(int* p, int v) { int o = *p; if (v > o) *p = v; return o; }
static inline int atomicAdd(int* p, int v) { int o = *p; *p = o + v; return o; }
static inline unsigned atomicAdd(unsigned* p, unsigned v) { unsigned o = *p; *p = o + v; return o; }
static inline float atomicAdd(float* p, float v) { float o = *p; *p = o + v; return o; }
static inline double atomicAdd(double* p, double v) { double o = *p; *p = o + v; return o; }
static inline int atomicCAS(int* p, int c, int v) { int o = *p; if (o == c) *p = v; return o; }
static inline int atomicExch(int* p, int v) { int o = *p; *p = v; return o; }
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline float __fdividef(float a, float b) { return a / b; }
static inline float __frcp_rn(float a) { return 1.0f / a; }
static inline float __saturatef(float a) { return a < 0 ? 0.0f : (a > 1 ? 1.0f : a); }
template <typename T> static inline T __ldg(const T* p) { return *p; }

/* ---- tensor-core, ldmatrix and cp.async twins (sm_80 PTX semantics, per lane) ---- */
static inline unsigned short emu_bf16(float f) {
    unsigned b;
    memcpy(&b, &f, 4);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((b >> 16) | 0x40);
    return (unsigned short)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}
static inline float emu_f32(unsigned short h) { unsigned b = (unsigned)h << 16; float f; memcpy(&f, &b, 4); return f; }
static inline unsigned pack_bf16x2(float lo, float hi) { return (unsigned)emu_bf16(lo) | ((unsigned)emu_bf16(hi) << 16); }

/** ldmatrix.x4 (trans = 0) or .x4.trans: lane l passes the row address for row l%8 of matrix l/8. */
static inline void emu_ldsm(unsigned* r, const unsigned short* p, int trans) {
    emu_slots[threadIdx.x] = (unsigned long long)(uintptr_t)p;
    emu_syncwarp();
    unsigned b = warp_base(), lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    for (int m = 0; m < 4; m++) {
        const unsigned short* rows[8];
        for (int i = 0; i < 8; i++) rows[i] = (const unsigned short*)(uintptr_t)emu_slots[b + 8 * m + i];
        unsigned short lo = trans ? rows[2 * t][g] : rows[g][2 * t];
        unsigned short hi = trans ? rows[2 * t + 1][g] : rows[g][2 * t + 1];
        r[m] = (unsigned)lo | ((unsigned)hi << 16);
    }
    emu_syncwarp();
}
static inline void ldsm_x4(unsigned* r, const unsigned short* p) { emu_ldsm(r, p, 0); }
static inline void ldsm_x4_t(unsigned* r, const unsigned short* p) { emu_ldsm(r, p, 1); }

/** mma.sync.m16n8k16.row.col.f32.bf16.bf16.f32: every lane publishes its fragments, then computes its own outputs. */
static inline void mma_bf16(float* d, const unsigned* a, unsigned b0, unsigned b1) {
    unsigned* me = emu_frag[threadIdx.x];
    for (int i = 0; i < 4; i++) me[i] = a[i];
    me[4] = b0;
    me[5] = b1;
    emu_syncwarp();
    unsigned base = warp_base(), lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    float A[16][16], B[16][8];
    for (unsigned l = 0; l < 32; l++) {
        unsigned lg = l >> 2, lt = l & 3;
        const unsigned* f = emu_frag[base + l];
        for (int h = 0; h < 2; h++) {
            A[lg][2 * lt + h] = emu_f32((unsigned short)(f[0] >> (16 * h)));
            A[lg + 8][2 * lt + h] = emu_f32((unsigned short)(f[1] >> (16 * h)));
            A[lg][2 * lt + 8 + h] = emu_f32((unsigned short)(f[2] >> (16 * h)));
            A[lg + 8][2 * lt + 8 + h] = emu_f32((unsigned short)(f[3] >> (16 * h)));
            B[2 * lt + h][lg] = emu_f32((unsigned short)(f[4] >> (16 * h)));
            B[2 * lt + 8 + h][lg] = emu_f32((unsigned short)(f[5] >> (16 * h)));
        }
    }
    emu_syncwarp();
    for (int e = 0; e < 4; e++) {
        int row = g + (e >= 2 ? 8 : 0), col = 2 * t + (e & 1);
        float acc = d[e];
        for (int k = 0; k < 16; k++) acc += A[row][k] * B[k][col];
        d[e] = acc;
    }
}

/** cp.async: the copy happens at once (the emulator has no concurrency to hide). */
static inline void cp_async16(void* smem, const void* gmem, int bytes) {
    memset(smem, 0, 16);
    if (bytes > 0) memcpy(smem, gmem, (size_t)bytes);
}
static inline void cp_async_commit() {}
template <int N> static inline void cp_async_wait() {}
