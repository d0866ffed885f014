// Indexing kernels: index validation, gather, scatter-add, index-select, index-add, one-hot,
// cumulative sum and bincount. Accumulating kernels give each output "column" to one thread that
// walks the indexed dimension in increasing order: the summation order is the CPU's, so results
// are bitwise reproducible and equal to the CPU backend's.
#include "common.cuh"

// res[0] = lowest flat position (row-major in g.shape) of an index outside [0, size) that is not
// `ignore` (pass INT_MIN for none); res must start at INT_MAX. operand 0 = index.
extern "C" __global__ void check_index(Strided g, const int* idx, int size, int ignore, int* res) {
    GRID_STRIDE(i, g.n) {
        i64 o[1];
        strided_offsets<1>(g, i, o);
        int v = idx[o[0]];
        if (v != ignore && (v < 0 || v >= size)) atomicMin(res, (int)i);
    }
}

// out (contiguous, index's shape) = x[..., index[...], ...] along dim.
// operand 0 = out, 1 = index, 2 = x with its stride along dim set to 0 (xDimStride applies to the index value)
extern "C" __global__ void gather(Strided g, void* out, const int* idx, const void* x, int xDimStride, int es) {
    GRID_STRIDE(i, g.n) {
        i64 o[3];
        strided_offsets<3>(g, i, o);
        copy_elem(out, o[0], x, o[2] + (i64)idx[o[1]] * xDimStride, es);
    }
}

__device__ __forceinline__ void add_elem(void* dst, i64 di, const void* src, i64 si, int dt) {
    switch (dt) {
        case DT_F32: ((float*)dst)[di] += ((const float*)src)[si]; break;
        case DT_F64: ((double*)dst)[di] += ((const double*)src)[si]; break;
        case DT_I32: ((int*)dst)[di] = (int)((u32)((int*)dst)[di] + (u32)((const int*)src)[si]); break;
        case DT_BOOL: ((u8*)dst)[di] |= ((const u8*)src)[si]; break;
        default: {
            u16* d = (u16*)dst;
            d[di] = f32_to_bf16(bf16_to_f32(d[di]) + bf16_to_f32(((const u16*)src)[si]));
        }
    }
}

// out[..., index[..j..], ...] += src[..j..] for j in order, one thread per column (g.shape = index
// shape with the dim extent set to 1). operand 0 = out (stride along dim = 0), 1 = index, 2 = src.
extern "C" __global__ void scatter_add(Strided g, void* out, int dt, const int* idx, const void* src, int d,
                                       int outDimStride, int idxDimStride, int srcDimStride) {
    GRID_STRIDE(i, g.n) {
        i64 o[3];
        strided_offsets<3>(g, i, o);
        for (int j = 0; j < d; j++) {
            int v = idx[o[1] + (i64)j * idxDimStride];
            add_elem(out, o[0] + (i64)v * outDimStride, src, o[2] + (i64)j * srcDimStride, dt);
        }
    }
}

// out (contiguous [outer, J, inner]) = x[..., index[j], ...]; operand 0 = out, 1 = x with the
// extent along dim replaced by J and stride 0 there; position j along dim is coordinate jdim.
extern "C" __global__ void index_select(Strided g, void* out, const void* x, const int* idx, int dim, int xDimStride, int es) {
    GRID_STRIDE(i, g.n) {
        i64 o[2];
        strided_offsets<2>(g, i, o);
        // recover the coordinate along dim from the flat index
        i64 r = i;
        int c = 0;
        for (int k = g.rank - 1; k >= dim; k--) {
            c = (int)(r % g.shape[k]);
            r /= g.shape[k];
        }
        copy_elem(out, o[0], x, o[1] + (i64)idx[c] * xDimStride, es);
    }
}

// out [outer, size, inner] (zeroed) += src [outer, J, inner] at idx[q] for q in order; one thread per (outer, inner)
extern "C" __global__ void index_add(int outer, int size, int inner, int J, void* out, int dt, const int* idx, const void* src) {
    GRID_STRIDE(t, (i64)outer * inner) {
        i64 o = t / inner, k = t % inner;
        for (int q = 0; q < J; q++) {
            add_elem(out, (o * size + idx[q]) * inner + k, src, (o * J + q) * inner + k, dt);
        }
    }
}

// out [n, classes] zeroed; out[i, index[i]] = 1. operand 0 = index (iteration over index shape)
extern "C" __global__ void one_hot(Strided g, const int* idx, int classes, float* out) {
    GRID_STRIDE(i, g.n) {
        i64 o[1];
        strided_offsets<1>(g, i, o);
        out[i * classes + idx[o[0]]] = 1.0f;
    }
}

// inclusive prefix sums of a contiguous [outer, d, inner]; F32 accumulates in double and rounds
// each prefix once; I32 wraps on overflow
extern "C" __global__ void cumsum(int outer, int d, int inner, const void* x, void* out, int dt) {
    GRID_STRIDE(t, (i64)outer * inner) {
        i64 o = t / inner, k = t % inner;
        double acc = 0;
        u32 iacc = 0;
        for (int j = 0; j < d; j++) {
            i64 p = (o * d + j) * inner + k;
            switch (dt) {
                case DT_F32: acc += ((const float*)x)[p]; ((float*)out)[p] = (float)acc; break;
                case DT_F64: acc += ((const double*)x)[p]; ((double*)out)[p] = acc; break;
                default: iacc += (u32)((const int*)x)[p]; ((int*)out)[p] = (int)iacc; break;
            }
        }
    }
}

// res[0] = lowest position of a negative value (start INT_MAX), res[1] = max value (start -1)
extern "C" __global__ void bincount_scan(Strided g, const int* x, int* res) {
    GRID_STRIDE(i, g.n) {
        i64 o[1];
        strided_offsets<1>(g, i, o);
        int v = x[o[0]];
        if (v < 0) atomicMin(res, (int)i);
        else atomicMax(res + 1, v);
    }
}

// counts (zeroed) += 1 per value; integer atomics are exact, so the result is deterministic
extern "C" __global__ void bincount_count(Strided g, const int* x, int* counts) {
    GRID_STRIDE(i, g.n) {
        i64 o[1];
        strided_offsets<1>(g, i, o);
        atomicAdd(counts + x[o[0]], 1);
    }
}

// First position p in sorted[0, n) with sorted[p] >= v.
__device__ __forceinline__ int lower_bound_i32(const int* sorted, int n, int v) {
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) >> 1;
        if (sorted[mid] < v) lo = mid + 1; else hi = mid;
    }
    return lo;
}

// index_add by segments (the embedding backward): `sorted` is the index stably sorted and `perm`
// the original positions, so row r's contributions are perm[lower_bound(r) .. lower_bound(r + 1))
// in increasing index order: the same additions in the same order as index_add, but one thread
// per output element of [outer, size, inner] instead of one per (outer, inner) column walking all J.
extern "C" __global__ void index_add_sorted(int outer, int size, int inner, int J, void* out, int dt, const int* sorted,
                                            const int* perm, const void* src) {
    GRID_STRIDE(t, (i64)outer * size * inner) {
        const i64 k = t % inner, r = (t / inner) % size, o = t / ((i64)inner * size);
        const int q0 = lower_bound_i32(sorted, J, (int)r), q1 = lower_bound_i32(sorted, J, (int)r + 1);
        const i64 base = o * J * inner + k;
        switch (dt) {
            case DT_F32: {
                float acc = 0;
                for (int q = q0; q < q1; q++) acc += ((const float*)src)[base + (i64)perm[q] * inner];
                ((float*)out)[t] = acc;
                break;
            }
            case DT_F64: {
                double acc = 0;
                for (int q = q0; q < q1; q++) acc += ((const double*)src)[base + (i64)perm[q] * inner];
                ((double*)out)[t] = acc;
                break;
            }
            case DT_I32: {
                u32 acc = 0;
                for (int q = q0; q < q1; q++) acc += (u32)((const int*)src)[base + (i64)perm[q] * inner];
                ((int*)out)[t] = (int)acc;
                break;
            }
            case DT_BOOL: {
                u8 acc = 0;
                for (int q = q0; q < q1; q++) acc |= ((const u8*)src)[base + (i64)perm[q] * inner];
                ((u8*)out)[t] = acc;
                break;
            }
            default: {
                u16 acc = 0;
                for (int q = q0; q < q1; q++) acc = f32_to_bf16(bf16_to_f32(acc) + bf16_to_f32(((const u16*)src)[base + (i64)perm[q] * inner]));
                ((u16*)out)[t] = acc;
            }
        }
    }
}
