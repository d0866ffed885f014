// Random fills and dropout from the Philox 4x32-10 stream of dev.tessera.tensor.Rng, element-indexed
// exactly like the CPU backend: element i of a float fill uses word i % 4 of block base + i / 4
// (key = seed halves, counter = block number low/high, stream id low/high), so the GPU draws the
// same numbers and dropout keeps the same elements. Arithmetic that must match the CPU bit for
// bit uses explicitly rounded operations (no fused multiply-add).
#include "common.cuh"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

__device__ __forceinline__ uint4 philox(u32 k0, u32 k1, u64 ctr, u64 stream) {
    u32 c0 = (u32)ctr, c1 = (u32)(ctr >> 32), c2 = (u32)stream, c3 = (u32)(stream >> 32);
#pragma unroll
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        u32 hi0 = __umulhi(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
        u32 hi1 = __umulhi(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
        u32 n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    }
    return make_uint4(c0, c1, c2, c3);
}

__device__ __forceinline__ u32 word(uint4 w, int k) { return k == 0 ? w.x : (k == 1 ? w.y : (k == 2 ? w.z : w.w)); }

__device__ __forceinline__ float unit24(u32 w) { return __fmul_rn((float)(w >> 8), 5.9604644775390625e-8f); }
__device__ __forceinline__ double unit53(u32 a, u32 b) {
    return ((double)(a >> 5) * 67108864.0 + (double)(b >> 6)) * 1.1102230246251565e-16;
}

// uniform [lo, hi) floats: one thread per Philox block (4 elements)
extern "C" __global__ void rand_uniform_f32(i64 n, float* out, u32 k0, u32 k1, u64 base, u64 stream, float lo, float hi) {
    float span = __fsub_rn(hi, lo);
    GRID_STRIDE(b, (n + 3) >> 2) {
        uint4 w = philox(k0, k1, base + b, stream);
        for (int k = 0; k < 4; k++) {
            i64 i = 4 * b + k;
            if (i >= n) break;
            float v = __fadd_rn(lo, __fmul_rn(unit24(word(w, k)), span));
            out[i] = (v < hi || !(lo < hi)) ? v : nextafterf(hi, -K_INF);
        }
    }
}

// normal floats: pair (2p, 2p+1) uses words 2p % 4 and 2p % 4 + 1 (Box-Muller in double)
extern "C" __global__ void rand_normal_f32(i64 n, float* out, u32 k0, u32 k1, u64 base, u64 stream, float mean, float stdv) {
    GRID_STRIDE(b, (n + 3) >> 2) {
        uint4 w = philox(k0, k1, base + b, stream);
        for (int k = 0; k < 4; k++) {
            i64 i = 4 * b + k;
            if (i >= n) break;
            int q = k & 2;
            double u1 = ((double)word(w, q) + 1.0) * 2.3283064365386963e-10;
            double u2 = (double)word(w, q + 1) * 2.3283064365386963e-10;
            double r = sqrt(-2.0 * log(u1));
            double z = (k & 1) == 0 ? r * cos(6.283185307179586 * u2) : r * sin(6.283185307179586 * u2);
            out[i] = (float)__dadd_rn((double)mean, __dmul_rn((double)stdv, z));
        }
    }
}

// uniform doubles: element i uses block base + i / 2, words 2 (i % 2) and 2 (i % 2) + 1
extern "C" __global__ void rand_uniform_f64(i64 n, double* out, u32 k0, u32 k1, u64 base, u64 stream, double lo, double hi) {
    double span = __dsub_rn(hi, lo);
    GRID_STRIDE(b, (n + 1) >> 1) {
        uint4 w = philox(k0, k1, base + b, stream);
        for (int k = 0; k < 2; k++) {
            i64 i = 2 * b + k;
            if (i >= n) break;
            double v = __dadd_rn(lo, __dmul_rn(span, unit53(word(w, 2 * k), word(w, 2 * k + 1))));
            out[i] = (v < hi || !(lo < hi)) ? v : nextafter(hi, -D_INF);
        }
    }
}

// normal doubles: pair p uses all four words of block base + p
extern "C" __global__ void rand_normal_f64(i64 n, double* out, u32 k0, u32 k1, u64 base, u64 stream, double mean, double stdv) {
    GRID_STRIDE(b, (n + 1) >> 1) {
        uint4 w = philox(k0, k1, base + b, stream);
        double u1 = unit53(w.x, w.y) + 1.1102230246251565e-16;
        double u2 = unit53(w.z, w.w);
        double r = sqrt(-2.0 * log(u1));
        for (int k = 0; k < 2; k++) {
            i64 i = 2 * b + k;
            if (i >= n) break;
            double z = k == 0 ? r * cos(6.283185307179586 * u2) : r * sin(6.283185307179586 * u2);
            out[i] = __dadd_rn(mean, __dmul_rn(stdv, z));
        }
    }
}

// inverted dropout on a contiguous F32 (or F64) x: keep iff the element's uniform float >= p
extern "C" __global__ void dropout_f32(i64 n, const float* x, float* out, float* mask, u32 k0, u32 k1, u64 base, u64 stream,
                                       double p, float scale) {
    GRID_STRIDE(b, (n + 3) >> 2) {
        uint4 w = philox(k0, k1, base + b, stream);
        for (int k = 0; k < 4; k++) {
            i64 i = 4 * b + k;
            if (i >= n) break;
            float keep = (double)unit24(word(w, k)) >= p ? scale : 0.0f;
            mask[i] = keep;
            out[i] = __fmul_rn(x[i], keep);
        }
    }
}
extern "C" __global__ void dropout_f64(i64 n, const double* x, double* out, double* mask, u32 k0, u32 k1, u64 base,
                                       u64 stream, double p, double scale) {
    GRID_STRIDE(b, (n + 3) >> 2) {
        uint4 w = philox(k0, k1, base + b, stream);
        for (int k = 0; k < 4; k++) {
            i64 i = 4 * b + k;
            if (i >= n) break;
            double keep = (double)unit24(word(w, k)) >= p ? scale : 0.0;
            mask[i] = keep;
            out[i] = __dmul_rn(x[i], keep);
        }
    }
}
