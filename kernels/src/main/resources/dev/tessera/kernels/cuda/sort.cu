// Row sorts for sort and top-k: every element becomes a key whose unsigned order is the value
// order (NaN above +inf, -0 equal to +0, as the CPU backend) plus its index; (key, index) pairs
// are sorted with a bitonic network (in shared memory for rows up to 2048 padded elements, in
// global memory step by step above), so equal keys keep index order: the sort is stable and the
// same as the CPU's.
#include "common.cuh"

#define SMEM_SORT 2048

__device__ __forceinline__ u64 order_key(const void* x, int dt, i64 i, int descending) {
    u64 k;
    if (dt == DT_F64) {
        double v = ((const double*)x)[i];
        i64 bits = v != v ? 0x7ff8000000000000LL : (v == 0.0 ? 0LL : __double_as_longlong(v));
        i64 s = bits ^ ((bits >> 63) & 0x7fffffffffffffffLL);
        k = (u64)s ^ 0x8000000000000000ULL;
    } else {
        int s;
        if (dt == DT_F32 || dt == DT_BF16) {
            float v = dt == DT_F32 ? ((const float*)x)[i] : bf16_to_f32(((const u16*)x)[i]);
            int bits = v != v ? 0x7fc00000 : (v == 0.0f ? 0 : __float_as_int(v));
            s = bits ^ ((bits >> 31) & 0x7fffffff);
        } else if (dt == DT_I32) {
            s = ((const int*)x)[i];
        } else {
            s = ((const u8*)x)[i];
        }
        k = (u64)((u32)s ^ 0x80000000u) << 32;
    }
    return descending ? ~k : k;
}

__device__ __forceinline__ bool before(u64 ka, u32 ia, u64 kb, u32 ib) {
    return ka < kb || (ka == kb && ia < ib);
}

// keys/idx rows of P (a power of two) entries; padding sorts last
extern "C" __global__ void sort_keys(int rows, int n, int P, const void* x, int dt, int descending, u64* keys, u32* idx) {
    GRID_STRIDE(t, (i64)rows * P) {
        i64 r = t / P;
        int j = (int)(t % P);
        if (j < n) {
            keys[t] = order_key(x, dt, r * n + j, descending);
            idx[t] = (u32)j;
        } else {
            keys[t] = ~0ULL;
            idx[t] = 0xffffffffu;
        }
    }
}

// one block (P/2 threads, at most 1024) sorts one row of P <= 2048 entries in shared memory
extern "C" __global__ void sort_rows_smem(int P, u64* keys, u32* idx) {
    __shared__ u64 sk[SMEM_SORT];
    __shared__ u32 si[SMEM_SORT];
    i64 base = (i64)blockIdx.x * P;
    for (int j = threadIdx.x; j < P; j += blockDim.x) {
        sk[j] = keys[base + j];
        si[j] = idx[base + j];
    }
    __syncthreads();
    for (int k = 2; k <= P; k <<= 1) {
        for (int j = k >> 1; j > 0; j >>= 1) {
            for (int t = threadIdx.x; t < P / 2; t += blockDim.x) {
                int lo = 2 * t - (t & (j - 1));
                int hi = lo + j;
                bool up = (lo & k) == 0;
                bool swap = up ? before(sk[hi], si[hi], sk[lo], si[lo]) : before(sk[lo], si[lo], sk[hi], si[hi]);
                if (swap) {
                    u64 tk = sk[lo]; sk[lo] = sk[hi]; sk[hi] = tk;
                    u32 ti = si[lo]; si[lo] = si[hi]; si[hi] = ti;
                }
            }
            __syncthreads();
        }
    }
    for (int j = threadIdx.x; j < P; j += blockDim.x) {
        keys[base + j] = sk[j];
        idx[base + j] = si[j];
    }
}

// one compare-exchange step (k, j) of the bitonic network over every row, in global memory
extern "C" __global__ void sort_step(int rows, int P, int k, int j, u64* keys, u32* idx) {
    GRID_STRIDE(t, (i64)rows * (P / 2)) {
        i64 r = t / (P / 2);
        int h = (int)(t % (P / 2));
        int lo = 2 * h - (h & (j - 1));
        int hi = lo + j;
        bool up = (lo & k) == 0;
        i64 a = r * P + lo, b = r * P + hi;
        u64 ka = keys[a], kb = keys[b];
        u32 ia = idx[a], ib = idx[b];
        bool swap = up ? before(kb, ib, ka, ia) : before(ka, ia, kb, ib);
        if (swap) {
            keys[a] = kb; keys[b] = ka;
            idx[a] = ib; idx[b] = ia;
        }
    }
}

// values[r, t] = x[r, idx[r, t]], indices[r, t] = idx[r, t] for t < k
extern "C" __global__ void sort_take(int rows, int n, int k, int P, const u32* idx, const void* x, int es, void* values, int* indices) {
    GRID_STRIDE(t, (i64)rows * k) {
        i64 r = t / k;
        int c = (int)(t % k);
        u32 j = idx[r * P + c];
        copy_elem(values, t, x, r * n + j, es);
        indices[t] = (int)j;
    }
}
