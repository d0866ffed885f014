/*
 * Host emulation of the CUDA C subset used by Tessera's kernels (tests only): each .cu file is
 * compiled as C++ after this header, and emu_runtime.cpp runs a launch block by block with one
 * cooperative user-level context per CUDA thread (ucontext), so __syncthreads and warp shuffles
 * behave as on a GPU for kernels whose barriers are reached uniformly. Everything runs on one OS
 * thread, so atomics are plain read-modify-writes.
 */
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static

struct uint3 { unsigned x, y, z; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
static inline float4 make_float4(float a, float b, float c, float d) { float4 r = {a, b, c, d}; return r; }
static inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { uint4 r = {a, b, c, d}; return r; }

extern uint3 threadIdx, blockIdx, blockDim, gridDim;

/** One emulated kernel: its name, a trampoline unpacking cuLaunchKernel's argument pointers, and
 *  whether it synchronises (barriers or shuffles: run with one context per thread). */
struct EmuKernel { const char* name; void (*fn)(void**); int sync; };

void emu_syncthreads();
void emu_syncwarp();
extern unsigned long long emu_slots[1024];

static inline void __syncthreads() { emu_syncthreads(); }

template <typename T>
static inline T __shfl_xor_sync(unsigned, T v, int o) {
    unsigned long long bits = 0;
    memcpy(&bits, &v, sizeof(T));
    emu_slots[threadIdx.x] = bits;
    emu_syncwarp();
    unsigned long long other = emu_slots[(threadIdx.x & ~31u) | ((threadIdx.x & 31u) ^ (unsigned)o)];
    emu_syncwarp();
    T r;
    memcpy(&r, &other, sizeof(T));
    return r;
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
