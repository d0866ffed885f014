// Row reductions of a contiguous [outer, inner] view in two deterministic passes: each block
// reduces one chunk of one row to a partial (value, index, aux) in double; one thread per row
// then combines its chunks in chunk order. The result never depends on timing.
#include "common.cuh"

// ReduceOp ordinals
#define R_SUM 0
#define R_MEAN 1
#define R_MAX 2
#define R_MIN 3
#define R_PROD 4
#define R_LOGSUMEXP 5
#define R_ARGMAX 6
#define R_ARGMIN 7

struct Part {
    double v;   // sum / product / extreme / running max
    double aux; // logsumexp: sum of exp(x - v)
    int idx;    // arg ops: index of v (INT_MAX when empty)
};

// arg reductions: a NaN beats every number (the lower index among NaNs), then the better value,
// ties to the lower index; independent of combination order
__device__ __forceinline__ Part arg_combine(Part a, Part b, bool isMax) {
    if (a.idx == 0x7fffffff) return b;
    if (b.idx == 0x7fffffff) return a;
    bool an = a.v != a.v, bn = b.v != b.v;
    if (an || bn) {
        if (an && bn) return a.idx < b.idx ? a : b;
        return an ? a : b;
    }
    if (a.v == b.v) return a.idx < b.idx ? a : b;
    return (isMax ? b.v > a.v : b.v < a.v) ? b : a;
}

__device__ __forceinline__ Part lse_combine(Part a, Part b) {
    if (a.v != a.v) return a;
    if (b.v != b.v) return b;
    double m = a.v > b.v ? a.v : b.v;
    if (m == -D_INF) { Part r; r.v = m; r.aux = 0; r.idx = 0; return r; }
    double s = (a.v == -D_INF ? 0.0 : a.aux * exp(a.v - m)) + (b.v == -D_INF ? 0.0 : b.aux * exp(b.v - m));
    Part r; r.v = m; r.aux = s; r.idx = 0;
    return r;
}

__device__ __forceinline__ Part identity(int op) {
    Part p; p.aux = 0; p.idx = 0x7fffffff;
    switch (op) {
        case R_PROD: p.v = 1; break;
        case R_MAX: case R_LOGSUMEXP: p.v = -D_INF; break;
        case R_MIN: p.v = D_INF; break;
        default: p.v = 0;
    }
    return p;
}

__device__ __forceinline__ Part combine(int op, Part a, Part b) {
    switch (op) {
        case R_SUM: case R_MEAN: a.v += b.v; return a;
        case R_PROD: a.v *= b.v; return a;
        case R_MAX: a.v = nan_max(a.v, b.v); return a;
        case R_MIN: a.v = nan_min(a.v, b.v); return a;
        case R_LOGSUMEXP: return lse_combine(a, b);
        case R_ARGMAX: return arg_combine(a, b, true);
        default: return arg_combine(a, b, false);
    }
}

__device__ __forceinline__ Part shfl_part(Part p, int o) {
    Part q;
    q.v = __shfl_xor_sync(0xffffffffu, p.v, o);
    q.aux = __shfl_xor_sync(0xffffffffu, p.aux, o);
    q.idx = __shfl_xor_sync(0xffffffffu, p.idx, o);
    return q;
}

// grid.x = outer * chunks; block = 32..256 threads (a multiple of 32)
extern "C" __global__ void reduce_partial(int outer, i64 inner, int chunks, i64 chunkLen, int op, const void* x, int dt,
                                          Part* parts) {
    __shared__ Part scratch[32];
    i64 b = blockIdx.x;
    int row = (int)(b / chunks), c = (int)(b % chunks);
    i64 start = c * chunkLen, end = start + chunkLen < inner ? start + chunkLen : inner;
    const i64 base = (i64)row * inner;
    Part acc = identity(op);
    for (i64 j = start + threadIdx.x; j < end; j += blockDim.x) {
        double v = ld(x, dt, base + j);
        Part p;
        p.v = v;
        p.aux = 1.0;  // logsumexp of one element: exp(v - v)
        p.idx = (int)j;
        if (op == R_LOGSUMEXP && (v == D_INF || v == -D_INF)) p.aux = v == -D_INF ? 0.0 : 1.0;
        acc = combine(op, acc, p);
    }
    for (int o = 16; o > 0; o >>= 1) acc = combine(op, acc, shfl_part(acc, o));
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    if (lane == 0) scratch[warp] = acc;
    __syncthreads();
    if (warp == 0) {
        acc = lane < warps ? scratch[lane] : identity(op);
        for (int o = 16; o > 0; o >>= 1) acc = combine(op, acc, shfl_part(acc, o));
        if (lane == 0) parts[b] = acc;
    }
}

// one thread per row: combine the row's chunks in order and store in the output dtype
extern "C" __global__ void reduce_finish(int outer, i64 inner, int chunks, int op, const Part* parts, void* out, int odt) {
    GRID_STRIDE(r, outer) {
        Part acc = parts[r * chunks];
        for (int c = 1; c < chunks; c++) acc = combine(op, acc, parts[r * chunks + c]);
        double v;
        switch (op) {
            case R_MEAN: v = acc.v / (double)inner; break;
            case R_LOGSUMEXP:
                v = (acc.v != acc.v || acc.v == D_INF || acc.v == -D_INF) ? acc.v : acc.v + log(acc.aux);
                break;
            case R_ARGMAX: case R_ARGMIN: v = acc.idx == 0x7fffffff ? 0 : acc.idx; break;
            default: v = acc.v;
        }
        st(out, odt, r, v);
    }
}
