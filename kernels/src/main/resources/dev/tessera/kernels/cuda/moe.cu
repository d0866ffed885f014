// Mixture-of-experts routing on the GPU, with the conventions of DESIGN.md §7 and moe.SparseMoE:
//  - gating: softmax of the router logits in float, top-k of (probs + optional selection bias)
//    with ties to the lower expert index and NaN never preferred, gates = the chosen probabilities
//    renormalised to sum 1;
//  - dispatch plan ("drop by position", GShard order): assignments are ranked in the priority order
//    p = j * T + t (all first choices in token order, then all second choices, ...); each expert's
//    assignments take positions 0, 1, ... in that order; positions >= capacity are dropped. Built by
//    per-chunk histograms, an exclusive scan over chunks, and in-chunk ranks from warp match masks:
//    a stable counting sort, deterministic (integer atomics only, order-independent);
//  - permute: token rows gathered into the [E * C, d] expert buffer (empty slots zero);
//  - combine: y[t] = sum_j gate[t, j] * h[slot(t, j)] over kept choices, as a gather (no atomics).
// Every backward is a gather as well, so results do not depend on scheduling.
#include "common.cuh"

#define MOE_CHUNK 256   // priority positions per block of the plan kernels (8 warps)

// One warp per token: probs[t, :] = softmax(logits[t, :]); choice[t, :] and gates[t, :] as above.
// Each lane owns experts lane, lane + 32, ... (at most 32 of them: E <= 1024), tracked in a bitmask.
extern "C" __global__ void moe_gate(int T, int E, int k, const float* logits, const float* bias, float* probs, int* choice,
                                    float* gates) {
    const int warps = blockDim.x >> 5, lane = threadIdx.x & 31;
    for (i64 t = (i64)blockIdx.x * warps + (threadIdx.x >> 5); t < T; t += (i64)gridDim.x * warps) {
        const float* x = logits + t * E;
        float mx = -K_INF;
        for (int e = lane; e < E; e += 32) mx = fmaxf(mx, x[e]);
        mx = warp_max_w(mx, 32);
        float sum = 0;
        for (int e = lane; e < E; e += 32) sum += expf(x[e] - mx);
        sum = warp_sum_w(sum, 32);
        const float inv = 1.0f / sum;
        for (int e = lane; e < E; e += 32) probs[t * E + e] = expf(x[e] - mx) * inv;
        __syncwarp();
        u32 taken = 0;
        float chosen = 0;
        for (int j = 0; j < k; j++) {
            // this lane's best untaken expert
            int be = -1;
            float bv = 0;
            for (int e = lane, s = 0; e < E; e += 32, s++) {
                if (taken & (1u << s)) continue;
                float v = probs[t * E + e] + (bias ? bias[e] : 0.0f);
                if (be < 0 || v > bv || (bv != bv && v == v)) { be = e; bv = v; }
            }
            // warp argmax: larger value, then number over NaN, then lower index
            for (int o = 16; o > 0; o >>= 1) {
                float ov = __shfl_xor_sync(0xffffffffu, bv, o);
                int oe = __shfl_xor_sync(0xffffffffu, be, o);
                bool better = oe >= 0 && (be < 0 || ov > bv || (bv != bv && ov == ov) || ((ov == bv || (ov != ov && bv != bv)) && oe < be));
                if (better) { be = oe; bv = ov; }
            }
            if ((be & 31) == lane) taken |= 1u << (be >> 5);
            if (lane == 0) choice[t * k + j] = be;
            chosen += probs[t * E + be];
        }
        const float invc = 1.0f / chosen;
        for (int j = lane; j < k; j += 32) gates[t * k + j] = probs[t * E + choice[t * k + j]] * invc;
    }
}

// counts[c, e]: assignments to expert e among priority positions [c * CHUNK, (c + 1) * CHUNK).
// One block of MOE_CHUNK threads per chunk; shared histogram of E ints (dynamic).
extern "C" __global__ void moe_count(int T, int k, int E, const int* choice, int* counts) {
    DYN_SMEM(int, hist);
    for (int e = threadIdx.x; e < E; e += blockDim.x) hist[e] = 0;
    __syncthreads();
    const i64 p = (i64)blockIdx.x * MOE_CHUNK + threadIdx.x, n = (i64)T * k;
    if (p < n) {
        const int j = (int)(p / T), t = (int)(p - (i64)j * T);
        atomicAdd(&hist[choice[(i64)t * k + j]], 1);
    }
    __syncthreads();
    for (int e = threadIdx.x; e < E; e += blockDim.x) counts[(i64)blockIdx.x * E + e] = hist[e];
}

// Exclusive scan over chunks per expert: offsets[c, e] = sum_{c' < c} counts[c', e]; load[e] = total.
// One block; each thread walks the chunks of its experts in order.
extern "C" __global__ void moe_scan(int chunks, int E, const int* counts, int* offsets, int* load) {
    for (int e = threadIdx.x; e < E; e += blockDim.x) {
        int run = 0;
        for (int c = 0; c < chunks; c++) {
            offsets[(i64)c * E + e] = run;
            run += counts[(i64)c * E + e];
        }
        load[e] = run;
    }
}

// Positions: assignment a = t * k + j at priority p = j * T + t gets position offsets[chunk, e] +
// (its rank among the chunk's earlier assignments to e). Rank = lanes below it in its warp with the
// same expert (__match_any_sync) + that expert's count in earlier warps (shared [8][E], dynamic).
// slotOf[a] = e * cap + pos, or -1 when pos >= cap; slotToken / slotAssign [E * cap] (prefilled -1)
// name the token and assignment in each kept slot.
extern "C" __global__ void moe_place(int T, int k, int E, int cap, const int* choice, const int* offsets, int* slotOf,
                                     int* slotToken, int* slotAssign) {
    DYN_SMEM(int, warpCount);   // [MOE_CHUNK / 32][E]
    const int warp = threadIdx.x >> 5, warps = MOE_CHUNK / 32;
    for (int i = threadIdx.x; i < warps * E; i += blockDim.x) warpCount[i] = 0;
    __syncthreads();
    const i64 p = (i64)blockIdx.x * MOE_CHUNK + threadIdx.x, n = (i64)T * k;
    const bool live = p < n;
    int j = 0, t = 0, e = -1;
    if (live) {
        j = (int)(p / T);
        t = (int)(p - (i64)j * T);
        e = choice[(i64)t * k + j];
    }
    const u32 peers = __match_any_sync(0xffffffffu, (u32)e);
    const int below = __popc(peers & lanemask_lt());
    // the lowest lane of each group records the group's size for its warp
    if (live && below == 0) warpCount[warp * E + e] = __popc(peers);
    __syncthreads();
    if (live) {
        int rank = below;
        for (int w = 0; w < warp; w++) rank += warpCount[w * E + e];
        const int pos = offsets[(i64)blockIdx.x * E + e] + rank;
        const int a = t * k + j;
        if (pos < cap) {
            const int slot = e * cap + pos;
            slotOf[a] = slot;
            slotToken[slot] = t;
            slotAssign[slot] = a;
        } else {
            slotOf[a] = -1;
        }
    }
}

// buf[s, :] = x[slotToken[s], :] (zeros for empty slots); one warp per slot row, es-byte elements,
// 16-byte vectors when the row length allows (rowBytes % 16 == 0 and aligned bases).
extern "C" __global__ void moe_permute(int slots, int rowBytes, int vec, const int* slotToken, const u8* x, u8* buf) {
    const int warps = blockDim.x >> 5, lane = threadIdx.x & 31;
    for (i64 s = (i64)blockIdx.x * warps + (threadIdx.x >> 5); s < slots; s += (i64)gridDim.x * warps) {
        const int t = slotToken[s];
        u8* dst = buf + s * rowBytes;
        const u8* src = x + (i64)(t < 0 ? 0 : t) * rowBytes;
        if (vec) {
            for (int c = lane; c < rowBytes / 16; c += 32) {
                uint4 v = t < 0 ? make_uint4(0, 0, 0, 0) : ((const uint4*)src)[c];
                ((uint4*)dst)[c] = v;
            }
        } else {
            for (int c = lane; c < rowBytes; c += 32) dst[c] = t < 0 ? 0 : src[c];
        }
    }
}

template <typename T>
__device__ __forceinline__ void moe_permute_bwd(int tokens, int k, int d, const int* slotOf, const T* dbuf, T* dx) {
    GRID_STRIDE(i, (i64)tokens * d) {
        const i64 t = i / d, c = i - t * d;
        T acc = 0;
        for (int j = 0; j < k; j++) {
            const int s = slotOf[t * k + j];
            if (s >= 0) acc += dbuf[(i64)s * d + c];
        }
        dx[i] = acc;
    }
}
// dx[t, :] = sum_j dbuf[slotOf[t, j], :] over kept choices, in j order
extern "C" __global__ void moe_permute_bwd_f32(int tokens, int k, int d, const int* slotOf, const float* dbuf, float* dx) {
    moe_permute_bwd<float>(tokens, k, d, slotOf, dbuf, dx);
}
extern "C" __global__ void moe_permute_bwd_f64(int tokens, int k, int d, const int* slotOf, const double* dbuf, double* dx) {
    moe_permute_bwd<double>(tokens, k, d, slotOf, dbuf, dx);
}

template <typename T>
__device__ __forceinline__ void moe_combine(int tokens, int k, int d, const int* slotOf, const T* gates, const T* h, T* y) {
    GRID_STRIDE(i, (i64)tokens * d) {
        const i64 t = i / d, c = i - t * d;
        T acc = 0;
        for (int j = 0; j < k; j++) {
            const int s = slotOf[t * k + j];
            if (s >= 0) acc += gates[t * k + j] * h[(i64)s * d + c];
        }
        y[i] = acc;
    }
}
// y[t, :] = sum_j gates[t, j] * h[slotOf[t, j], :] over kept choices, in j order
extern "C" __global__ void moe_combine_f32(int tokens, int k, int d, const int* slotOf, const float* gates, const float* h,
                                           float* y) {
    moe_combine<float>(tokens, k, d, slotOf, gates, h, y);
}
extern "C" __global__ void moe_combine_f64(int tokens, int k, int d, const int* slotOf, const double* gates, const double* h,
                                           double* y) {
    moe_combine<double>(tokens, k, d, slotOf, gates, h, y);
}

template <typename T>
__device__ __forceinline__ void moe_combine_bwd_h(int slots, int k, int d, const int* slotAssign, const T* gates, const T* dy,
                                                  T* dh) {
    GRID_STRIDE(i, (i64)slots * d) {
        const i64 s = i / d, c = i - s * d;
        const int a = slotAssign[s];
        dh[i] = a < 0 ? (T)0 : gates[a] * dy[(i64)(a / k) * d + c];
    }
}
// dh[s, :] = gate(a) * dy[token(a), :] for the assignment a in slot s (zero for empty slots)
extern "C" __global__ void moe_combine_bwd_h_f32(int slots, int k, int d, const int* slotAssign, const float* gates,
                                                 const float* dy, float* dh) {
    moe_combine_bwd_h<float>(slots, k, d, slotAssign, gates, dy, dh);
}
extern "C" __global__ void moe_combine_bwd_h_f64(int slots, int k, int d, const int* slotAssign, const double* gates,
                                                 const double* dy, double* dh) {
    moe_combine_bwd_h<double>(slots, k, d, slotAssign, gates, dy, dh);
}

// dgates[a] = <dy[token(a), :], h[slotOf[a], :]> (zero when dropped); one warp per assignment
template <typename T>
__device__ __forceinline__ void moe_combine_bwd_gate(int n, int k, int d, const int* slotOf, const T* dy, const T* h, T* dg) {
    const int warps = blockDim.x >> 5, lane = threadIdx.x & 31;
    for (i64 a = (i64)blockIdx.x * warps + (threadIdx.x >> 5); a < n; a += (i64)gridDim.x * warps) {
        const int s = slotOf[a];
        double acc = 0;
        if (s >= 0) {
            const T* y = dy + (a / k) * d;
            const T* x = h + (i64)s * d;
            for (int c = lane; c < d; c += 32) acc += (double)y[c] * (double)x[c];
        }
        for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
        if (lane == 0) dg[a] = (T)acc;
    }
}
extern "C" __global__ void moe_combine_bwd_gate_f32(int n, int k, int d, const int* slotOf, const float* dy, const float* h,
                                                    float* dg) {
    moe_combine_bwd_gate<float>(n, k, d, slotOf, dy, h, dg);
}
extern "C" __global__ void moe_combine_bwd_gate_f64(int n, int k, int d, const int* slotOf, const double* dy, const double* h,
                                                    double* dg) {
    moe_combine_bwd_gate<double>(n, k, d, slotOf, dy, h, dg);
}

// Router gradient through the renormalised gates and the softmax, one warp per token:
// with S = sum_j p[c_j] and g_j = p[c_j] / S, dp[c_j] = (dg_j - sum_i dg_i g_i) / S (+ dprobs[t, e]
// from other terms such as a balance loss, nullable), then dlogit_e = p_e (dp_e - sum_e' p_e' dp_e').
extern "C" __global__ void moe_gate_bwd(int T, int E, int k, const float* probs, const int* choice, const float* gates,
                                        const float* dgates, const float* dprobs, float* dlogits) {
    const int warps = blockDim.x >> 5, lane = threadIdx.x & 31;
    for (i64 t = (i64)blockIdx.x * warps + (threadIdx.x >> 5); t < T; t += (i64)gridDim.x * warps) {
        const float* p = probs + t * E;
        float S = 0, dot = 0;
        for (int j = 0; j < k; j++) {
            S += p[choice[t * k + j]];
            dot += dgates[t * k + j] * gates[t * k + j];
        }
        // dp_e for this lane's experts: the direct term plus the gate term when e was chosen
        float inner = 0;
        for (int e = lane; e < E; e += 32) {
            float dp = dprobs ? dprobs[t * E + e] : 0.0f;
            for (int j = 0; j < k; j++) if (choice[t * k + j] == e) dp += (dgates[t * k + j] - dot) / S;
            inner += p[e] * dp;
            dlogits[t * E + e] = dp;   // stashed, finished below
        }
        inner = warp_sum_w(inner, 32);
        for (int e = lane; e < E; e += 32) dlogits[t * E + e] = p[e] * (dlogits[t * E + e] - inner);
    }
}
