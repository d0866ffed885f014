// Fused scaled dot-product attention, FlashAttention-2 style: query tiles stream over key tiles
// with an online softmax (running max and sum per row), so no [Tq, Tk] score matrix exists; the
// forward stores the row log-sum-exp, the backward recomputes the probabilities from it.
//
// q [B, H, Tq, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv] with any batch/head/time strides and a
// contiguous last dimension; query head h reads kv head h / (H / Hkv) by index (MHA, GQA, MQA).
// Masks: causal (query i sees keys j <= i + causalOffset) and key padding (pad[b, j] != 0: masked).
// A row that sees no key gets output 0 and log-sum-exp -inf, and no gradient.
//
// Two families with the same contract:
//  - *_f32: float SIMT kernels (256 threads, 4x4 register micro-tiles), any D, Dv <= 128; the
//    float32 path and the oracle-tight one (1e-5 against the CPU).
//  - *_bf16_dNN: bfloat16 tensor-core kernels (128 threads = 4 warps of 16 query rows), D = Dv = NN,
//    mma.sync m16n8k16 with fp32 accumulation, ldmatrix fragments, cp.async double-buffered tiles.
// The backward is deterministic: dK/dV per key tile summing the G query heads of a kv head inside
// the block, dQ per query tile in a second kernel (no atomics), after a delta = rowsum(dO * O) pass.
#include "common.cuh"

struct AttnArgs {
    const void* q;
    const void* k;
    const void* v;
    const void* o;       // forward output (backward only)
    const void* dout;    // gradient of the output (backward only)
    void* out;           // forward output
    float* lse;          // [B, H, Tq] row log-sum-exp (natural log)
    float* delta;        // [B, H, Tq] rowsum(dO * O) (backward)
    void* dq;
    void* dk;
    void* dv;
    const u8* pad;       // [B, Tk], nonzero = masked; null when there is no padding
    i64 sq[3], sk[3], sv[3], so[3], sdo[3], sdq[3], sdk[3], sdv[3];   // element strides of (b, h, t)
    int B, H, Hkv, Tq, Tk, D, Dv, causal, causalOffset;
    float scaleLog2;     // softmax scale * log2(e): scores live in base 2
    float scale;
};

__device__ __forceinline__ bool attn_visible(const AttnArgs& a, const u8* pad, int row, int key) {
    return key < a.Tk && (!a.causal || key <= row + a.causalOffset) && (pad == 0 || pad[key] == 0);
}

// Keys a query tile [q0, q0 + rows) can see: all, or up to the last row's causal limit.
__device__ __forceinline__ int attn_key_end(const AttnArgs& a, int q0, int rows) {
    return a.causal ? imax(0, imin(a.Tk, q0 + rows + a.causalOffset)) : a.Tk;
}

__device__ __forceinline__ float ld_any(const void* p, i64 i, int dt) {
    return dt == DT_BF16 ? bf16_to_f32(((const u16*)p)[i]) : ((const float*)p)[i];
}

// delta[b, h, t] = sum_c dO[t, c] * O[t, c]: one warp per query row.
extern "C" __global__ void attn_delta(AttnArgs a, int dt) {
    const int warps = blockDim.x >> 5, warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const i64 rows = (i64)a.B * a.H * a.Tq;
    for (i64 r = (i64)blockIdx.x * warps + warp; r < rows; r += (i64)gridDim.x * warps) {
        int t = (int)(r % a.Tq), h = (int)((r / a.Tq) % a.H), b = (int)(r / ((i64)a.Tq * a.H));
        i64 oo = b * a.so[0] + h * a.so[1] + t * a.so[2], od = b * a.sdo[0] + h * a.sdo[1] + t * a.sdo[2];
        float s = 0;
        for (int c = lane; c < a.Dv; c += 32) s += ld_any(a.dout, od + c, dt) * ld_any(a.o, oo + c, dt);
        s = warp_sum_w(s, 32);
        if (lane == 0) a.delta[r] = s;
    }
}

// ======================================================================== float32 SIMT kernels
// Thread (ty, tx) = (tid / 16, tid % 16) owns rows ty*4 .. ty*4+3 of a tile and the columns
// tx + 16 j; the 16 threads of a row group are 16 consecutive lanes, so row reductions are
// 16-lane shuffles. Shared rows are padded to an odd length (D + 1) against bank conflicts.

#define SF_THREADS 256
#define SF_BM 64
#define SF_BN 64
#define SF_BQ 32   // query rows per step of the dK/dV kernel
#define SF_BK 32   // keys per step of the dQ kernel

// grid (B * H, ceil(Tq / 64)); dynamic shared memory (64 (D+1) * 2 + 64 Dv + 64 * 65) floats
extern "C" __global__ void __launch_bounds__(SF_THREADS) attn_fwd_f32(AttnArgs a) {
    DYN_SMEM(float, sm);
    const int D = a.D, Dv = a.Dv, ldq = D + 1, ldp = SF_BN + 1;
    float* Qs = sm;
    float* Ks = Qs + SF_BM * ldq;
    float* Vs = Ks + SF_BN * ldq;
    float* Ps = Vs + SF_BN * Dv;
    const int tid = threadIdx.x, ty = tid >> 4, tx = tid & 15;
    const int qt = gridDim.y - 1 - blockIdx.y;   // the longest causal tiles start first
    const int bh = blockIdx.x, b = bh / a.H, h = bh % a.H, hk = h / (a.H / a.Hkv);
    const int q0 = qt * SF_BM;
    const float* Q = (const float*)a.q + b * a.sq[0] + h * a.sq[1];
    const float* K = (const float*)a.k + b * a.sk[0] + hk * a.sk[1];
    const float* V = (const float*)a.v + b * a.sv[0] + hk * a.sv[1];
    const u8* pad = a.pad ? a.pad + (i64)b * a.Tk : 0;
    for (int i = tid; i < SF_BM * D; i += SF_THREADS) {
        int r = i / D, c = i - r * D;
        Qs[r * ldq + c] = q0 + r < a.Tq ? Q[(i64)(q0 + r) * a.sq[2] + c] : 0.0f;
    }
    const int kEnd = attn_key_end(a, q0, SF_BM);
    float acc[4][8], m[4], l[4];
#pragma unroll
    for (int i = 0; i < 4; i++) {
        m[i] = -K_INF;
        l[i] = 0;
#pragma unroll
        for (int c = 0; c < 8; c++) acc[i][c] = 0;
    }
    for (int n0 = 0; n0 < kEnd; n0 += SF_BN) {
        __syncthreads();
        for (int i = tid; i < SF_BN * D; i += SF_THREADS) {
            int r = i / D, c = i - r * D;
            Ks[r * ldq + c] = n0 + r < a.Tk ? K[(i64)(n0 + r) * a.sk[2] + c] : 0.0f;
        }
        for (int i = tid; i < SF_BN * Dv; i += SF_THREADS) {
            int r = i / Dv, c = i - r * Dv;
            Vs[r * Dv + c] = n0 + r < a.Tk ? V[(i64)(n0 + r) * a.sv[2] + c] : 0.0f;
        }
        __syncthreads();
        float s[4][4];
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
            for (int j = 0; j < 4; j++) s[i][j] = 0;
        for (int d = 0; d < D; d++) {
            float qv[4], kv[4];
#pragma unroll
            for (int i = 0; i < 4; i++) qv[i] = Qs[(ty * 4 + i) * ldq + d];
#pragma unroll
            for (int j = 0; j < 4; j++) kv[j] = Ks[(tx + 16 * j) * ldq + d];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) s[i][j] = fmaf(qv[i], kv[j], s[i][j]);
        }
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int row = q0 + ty * 4 + i;
            float mx = -K_INF;
#pragma unroll
            for (int j = 0; j < 4; j++) {
                s[i][j] = attn_visible(a, pad, row, n0 + tx + 16 * j) ? s[i][j] * a.scaleLog2 : -K_INF;
                mx = fmaxf(mx, s[i][j]);
            }
            mx = warp_max_w(mx, 16);
            const float mn = fmaxf(m[i], mx), mref = mn == -K_INF ? 0.0f : mn;
            const float corr = exp2f(m[i] - mref);
            m[i] = mn;
            float ps = 0;
#pragma unroll
            for (int j = 0; j < 4; j++) {
                float p = exp2f(s[i][j] - mref);
                Ps[(ty * 4 + i) * ldp + tx + 16 * j] = p;
                ps += p;
            }
            l[i] = l[i] * corr + ps;
#pragma unroll
            for (int c = 0; c < 8; c++) acc[i][c] *= corr;
        }
        __syncthreads();
        const int nk = imin(SF_BN, kEnd - n0);
        for (int j = 0; j < nk; j++) {
            float p[4];
#pragma unroll
            for (int i = 0; i < 4; i++) p[i] = Ps[(ty * 4 + i) * ldp + j];
#pragma unroll
            for (int c = 0; c < 8; c++) {
                const int col = tx + 16 * c;
                const float vv = col < Dv ? Vs[j * Dv + col] : 0.0f;
#pragma unroll
                for (int i = 0; i < 4; i++) acc[i][c] = fmaf(p[i], vv, acc[i][c]);
            }
        }
    }
    float* O = (float*)a.out + b * a.so[0] + h * a.so[1];
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const float sum = warp_sum_w(l[i], 16);
        const int row = q0 + ty * 4 + i;
        if (row >= a.Tq) continue;
        const float inv = sum > 0 ? 1.0f / sum : 0.0f;
#pragma unroll
        for (int c = 0; c < 8; c++) {
            const int col = tx + 16 * c;
            if (col < Dv) O[(i64)row * a.so[2] + col] = acc[i][c] * inv;
        }
        if (tx == 0) a.lse[((i64)bh) * a.Tq + row] = sum > 0 ? (m[i] + log2f(sum)) * K_LN2 : -K_INF;
    }
}

// dK, dV of one key tile: grid (B * Hkv, ceil(Tk / 64)); the tile walks the query tiles of each of
// the G query heads of its kv head. Shared: K [64][D+1], V [64][Dv+1], Q [32][D+1], dO [32][Dv+1],
// P^T and dS^T [64][33], log-sum-exp and delta [32] each.
extern "C" __global__ void __launch_bounds__(SF_THREADS) attn_bwd_dkdv_f32(AttnArgs a) {
    DYN_SMEM(float, sm);
    const int D = a.D, Dv = a.Dv, ldk = D + 1, ldv = Dv + 1, ldp = SF_BQ + 1;
    float* Ks = sm;
    float* Vs = Ks + SF_BN * ldk;
    float* Qs = Vs + SF_BN * ldv;
    float* Os = Qs + SF_BQ * ldk;
    float* PT = Os + SF_BQ * ldv;
    float* ST = PT + SF_BN * ldp;
    float* Ls = ST + SF_BN * ldp;
    float* Ds = Ls + SF_BQ;
    const int tid = threadIdx.x, ty = tid >> 4, tx = tid & 15;
    const int bk = blockIdx.x, b = bk / a.Hkv, hk = bk % a.Hkv, G = a.H / a.Hkv;
    const int n0 = blockIdx.y * SF_BN;
    const float* K = (const float*)a.k + b * a.sk[0] + hk * a.sk[1];
    const float* V = (const float*)a.v + b * a.sv[0] + hk * a.sv[1];
    const u8* pad = a.pad ? a.pad + (i64)b * a.Tk : 0;
    for (int i = tid; i < SF_BN * D; i += SF_THREADS) {
        int r = i / D, c = i - r * D;
        Ks[r * ldk + c] = n0 + r < a.Tk ? K[(i64)(n0 + r) * a.sk[2] + c] : 0.0f;
    }
    for (int i = tid; i < SF_BN * Dv; i += SF_THREADS) {
        int r = i / Dv, c = i - r * Dv;
        Vs[r * ldv + c] = n0 + r < a.Tk ? V[(i64)(n0 + r) * a.sv[2] + c] : 0.0f;
    }
    float dk[4][8], dv[4][8];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int c = 0; c < 8; c++) dk[i][c] = dv[i][c] = 0;
    // the first query row that can see key n0
    const int qStart = a.causal ? imax(0, n0 - a.causalOffset) / SF_BQ * SF_BQ : 0;
    for (int gi = 0; gi < G; gi++) {
        const int h = hk * G + gi;
        const i64 bh = (i64)b * a.H + h;
        const float* Q = (const float*)a.q + b * a.sq[0] + h * a.sq[1];
        const float* dO = (const float*)a.dout + b * a.sdo[0] + h * a.sdo[1];
        for (int q0 = qStart; q0 < a.Tq; q0 += SF_BQ) {
            __syncthreads();
            for (int i = tid; i < SF_BQ * D; i += SF_THREADS) {
                int r = i / D, c = i - r * D;
                Qs[r * ldk + c] = q0 + r < a.Tq ? Q[(i64)(q0 + r) * a.sq[2] + c] : 0.0f;
            }
            for (int i = tid; i < SF_BQ * Dv; i += SF_THREADS) {
                int r = i / Dv, c = i - r * Dv;
                Os[r * ldv + c] = q0 + r < a.Tq ? dO[(i64)(q0 + r) * a.sdo[2] + c] : 0.0f;
            }
            if (tid < SF_BQ) {
                bool in = q0 + tid < a.Tq;
                Ls[tid] = in ? a.lse[bh * a.Tq + q0 + tid] * K_LOG2E : -K_INF;
                Ds[tid] = in ? a.delta[bh * a.Tq + q0 + tid] : 0.0f;
            }
            __syncthreads();
            float s[4][2], dp[4][2];
#pragma unroll
            for (int i = 0; i < 4; i++) s[i][0] = s[i][1] = dp[i][0] = dp[i][1] = 0;
            for (int d = 0; d < D; d++) {
                float kv[4], qv[2];
#pragma unroll
                for (int i = 0; i < 4; i++) kv[i] = Ks[(ty * 4 + i) * ldk + d];
#pragma unroll
                for (int j = 0; j < 2; j++) qv[j] = Qs[(tx + 16 * j) * ldk + d];
#pragma unroll
                for (int i = 0; i < 4; i++)
#pragma unroll
                    for (int j = 0; j < 2; j++) s[i][j] = fmaf(kv[i], qv[j], s[i][j]);
            }
            for (int c = 0; c < Dv; c++) {
                float vv[4], ov[2];
#pragma unroll
                for (int i = 0; i < 4; i++) vv[i] = Vs[(ty * 4 + i) * ldv + c];
#pragma unroll
                for (int j = 0; j < 2; j++) ov[j] = Os[(tx + 16 * j) * ldv + c];
#pragma unroll
                for (int i = 0; i < 4; i++)
#pragma unroll
                    for (int j = 0; j < 2; j++) dp[i][j] = fmaf(vv[i], ov[j], dp[i][j]);
            }
#pragma unroll
            for (int i = 0; i < 4; i++) {
#pragma unroll
                for (int j = 0; j < 2; j++) {
                    const int qi = tx + 16 * j, row = q0 + qi, key = n0 + ty * 4 + i;
                    const float lr = Ls[qi];
                    const bool vis = row < a.Tq && lr != -K_INF && attn_visible(a, pad, row, key);
                    const float p = vis ? exp2f(s[i][j] * a.scaleLog2 - lr) : 0.0f;
                    PT[(ty * 4 + i) * ldp + qi] = p;
                    ST[(ty * 4 + i) * ldp + qi] = p * (dp[i][j] - Ds[qi]);
                }
            }
            __syncthreads();
            const int nq = imin(SF_BQ, a.Tq - q0);
            for (int j = 0; j < nq; j++) {
                float p[4], ds[4];
#pragma unroll
                for (int i = 0; i < 4; i++) {
                    p[i] = PT[(ty * 4 + i) * ldp + j];
                    ds[i] = ST[(ty * 4 + i) * ldp + j];
                }
#pragma unroll
                for (int c = 0; c < 8; c++) {
                    const int col = tx + 16 * c;
                    const float ov = col < Dv ? Os[j * ldv + col] : 0.0f;
                    const float qv = col < D ? Qs[j * ldk + col] : 0.0f;
#pragma unroll
                    for (int i = 0; i < 4; i++) {
                        dv[i][c] = fmaf(p[i], ov, dv[i][c]);
                        dk[i][c] = fmaf(ds[i], qv, dk[i][c]);
                    }
                }
            }
        }
    }
    float* dK = (float*)a.dk + b * a.sdk[0] + hk * a.sdk[1];
    float* dV = (float*)a.dv + b * a.sdv[0] + hk * a.sdv[1];
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const int key = n0 + ty * 4 + i;
        if (key >= a.Tk) continue;
#pragma unroll
        for (int c = 0; c < 8; c++) {
            const int col = tx + 16 * c;
            if (col < D) dK[(i64)key * a.sdk[2] + col] = dk[i][c] * a.scale;
            if (col < Dv) dV[(i64)key * a.sdv[2] + col] = dv[i][c];
        }
    }
}

// dQ of one query tile: grid (B * H, ceil(Tq / 64)). Shared: Q [64][D+1], dO [64][Dv+1],
// K [32][D+1], V [32][Dv+1], dS [64][33], log-sum-exp and delta [64] each.
extern "C" __global__ void __launch_bounds__(SF_THREADS) attn_bwd_dq_f32(AttnArgs a) {
    DYN_SMEM(float, sm);
    const int D = a.D, Dv = a.Dv, ldq = D + 1, ldv = Dv + 1, ldp = SF_BK + 1;
    float* Qs = sm;
    float* Os = Qs + SF_BM * ldq;
    float* Ks = Os + SF_BM * ldv;
    float* Vs = Ks + SF_BK * ldq;
    float* Ss = Vs + SF_BK * ldv;
    float* Ls = Ss + SF_BM * ldp;
    float* Ds = Ls + SF_BM;
    const int tid = threadIdx.x, ty = tid >> 4, tx = tid & 15;
    const int qt = gridDim.y - 1 - blockIdx.y;
    const int bh = blockIdx.x, b = bh / a.H, h = bh % a.H, hk = h / (a.H / a.Hkv);
    const int q0 = qt * SF_BM;
    const float* Q = (const float*)a.q + b * a.sq[0] + h * a.sq[1];
    const float* dO = (const float*)a.dout + b * a.sdo[0] + h * a.sdo[1];
    const float* K = (const float*)a.k + b * a.sk[0] + hk * a.sk[1];
    const float* V = (const float*)a.v + b * a.sv[0] + hk * a.sv[1];
    const u8* pad = a.pad ? a.pad + (i64)b * a.Tk : 0;
    for (int i = tid; i < SF_BM * D; i += SF_THREADS) {
        int r = i / D, c = i - r * D;
        Qs[r * ldq + c] = q0 + r < a.Tq ? Q[(i64)(q0 + r) * a.sq[2] + c] : 0.0f;
    }
    for (int i = tid; i < SF_BM * Dv; i += SF_THREADS) {
        int r = i / Dv, c = i - r * Dv;
        Os[r * ldv + c] = q0 + r < a.Tq ? dO[(i64)(q0 + r) * a.sdo[2] + c] : 0.0f;
    }
    if (tid < SF_BM) {
        bool in = q0 + tid < a.Tq;
        Ls[tid] = in ? a.lse[(i64)bh * a.Tq + q0 + tid] * K_LOG2E : -K_INF;
        Ds[tid] = in ? a.delta[(i64)bh * a.Tq + q0 + tid] : 0.0f;
    }
    const int kEnd = attn_key_end(a, q0, SF_BM);
    float dq[4][8];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int c = 0; c < 8; c++) dq[i][c] = 0;
    for (int n0 = 0; n0 < kEnd; n0 += SF_BK) {
        __syncthreads();
        for (int i = tid; i < SF_BK * D; i += SF_THREADS) {
            int r = i / D, c = i - r * D;
            Ks[r * ldq + c] = n0 + r < a.Tk ? K[(i64)(n0 + r) * a.sk[2] + c] : 0.0f;
        }
        for (int i = tid; i < SF_BK * Dv; i += SF_THREADS) {
            int r = i / Dv, c = i - r * Dv;
            Vs[r * ldv + c] = n0 + r < a.Tk ? V[(i64)(n0 + r) * a.sv[2] + c] : 0.0f;
        }
        __syncthreads();
        float s[4][2], dp[4][2];
#pragma unroll
        for (int i = 0; i < 4; i++) s[i][0] = s[i][1] = dp[i][0] = dp[i][1] = 0;
        for (int d = 0; d < D; d++) {
            float qv[4], kv[2];
#pragma unroll
            for (int i = 0; i < 4; i++) qv[i] = Qs[(ty * 4 + i) * ldq + d];
#pragma unroll
            for (int j = 0; j < 2; j++) kv[j] = Ks[(tx + 16 * j) * ldq + d];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) s[i][j] = fmaf(qv[i], kv[j], s[i][j]);
        }
        for (int c = 0; c < Dv; c++) {
            float ov[4], vv[2];
#pragma unroll
            for (int i = 0; i < 4; i++) ov[i] = Os[(ty * 4 + i) * ldv + c];
#pragma unroll
            for (int j = 0; j < 2; j++) vv[j] = Vs[(tx + 16 * j) * ldv + c];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) dp[i][j] = fmaf(ov[i], vv[j], dp[i][j]);
        }
#pragma unroll
        for (int i = 0; i < 4; i++) {
#pragma unroll
            for (int j = 0; j < 2; j++) {
                const int ri = ty * 4 + i, row = q0 + ri, key = n0 + tx + 16 * j;
                const float lr = Ls[ri];
                const bool vis = row < a.Tq && lr != -K_INF && attn_visible(a, pad, row, key);
                const float p = vis ? exp2f(s[i][j] * a.scaleLog2 - lr) : 0.0f;
                Ss[ri * ldp + tx + 16 * j] = p * (dp[i][j] - Ds[ri]);
            }
        }
        __syncthreads();
        const int nk = imin(SF_BK, kEnd - n0);
        for (int j = 0; j < nk; j++) {
            float ds[4];
#pragma unroll
            for (int i = 0; i < 4; i++) ds[i] = Ss[(ty * 4 + i) * ldp + j];
#pragma unroll
            for (int c = 0; c < 8; c++) {
                const int col = tx + 16 * c;
                const float kv = col < D ? Ks[j * ldq + col] : 0.0f;
#pragma unroll
                for (int i = 0; i < 4; i++) dq[i][c] = fmaf(ds[i], kv, dq[i][c]);
            }
        }
    }
    float* dQ = (float*)a.dq + b * a.sdq[0] + h * a.sdq[1];
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const int row = q0 + ty * 4 + i;
        if (row >= a.Tq) continue;
#pragma unroll
        for (int c = 0; c < 8; c++) {
            const int col = tx + 16 * c;
            if (col < D) dQ[(i64)row * a.sdq[2] + col] = dq[i][c] * a.scale;
        }
    }
}

// ======================================================================== bfloat16 tensor-core kernels
// Warp w of a 4-warp block owns 16 rows of a 64-row tile. Fragment conventions (common.cuh): an
// accumulator tile c[n][4] covers rows g and g+8 (g = lane/4) and columns n*8 + 2t, +1 (t = lane%4);
// two neighbouring accumulator tiles re-packed as bf16 are exactly an A fragment (the FA2 trick
// that keeps P in registers). Shared rows hold D + 8 elements so ldmatrix rows hit distinct banks.

#define TB_THREADS 128

// Stages rows [r0, r0 + rows) (bf16, D wide, row stride ld elements) into shared [rows][D + 8];
// rows at or beyond limit are zero-filled.
template <int D>
__device__ __forceinline__ void attn_stage(u16* dst, const u16* src, i64 ld, int r0, int rows, int limit) {
    constexpr int CH = D / 8, LD = D + 8;
    for (int c = threadIdx.x; c < rows * CH; c += TB_THREADS) {
        const int r = c / CH, col = (c - r * CH) * 8;
        const bool ok = r0 + r < limit;
        cp_async16(dst + r * LD + col, ok ? (const void*)(src + (i64)(r0 + r) * ld + col) : (const void*)src, ok ? 16 : 0);
    }
}

// Row-major 16x16 A fragment at (row0, col0) of a shared tile with row stride LD.
template <int LD>
__device__ __forceinline__ void frag_a(u32* r, const u16* s, int row0, int col0) {
    const int lane = threadIdx.x & 31;
    ldsm_x4(r, s + (row0 + (lane & 15)) * LD + col0 + (lane >> 4) * 8);
}
// B fragments of two n8 tiles (n0, n0 + 8) x k16 at k0 where B[k][n] = S[n][k] (S row-major [n][k]).
template <int LD>
__device__ __forceinline__ void frag_b_rows(u32* r, const u16* s, int n0, int k0) {
    const int lane = threadIdx.x & 31;
    ldsm_x4(r, s + (n0 + (lane & 7) + ((lane >> 4) << 3)) * LD + k0 + ((lane >> 3) & 1) * 8);
}
// B fragments of two n8 tiles (n0, n0 + 8) x k16 at k0 where B[k][n] = S[k][n] (S row-major [k][n]).
template <int LD>
__device__ __forceinline__ void frag_b_cols(u32* r, const u16* s, int k0, int n0) {
    const int lane = threadIdx.x & 31;
    ldsm_x4_t(r, s + (k0 + (lane & 7) + ((lane >> 3) & 1) * 8) * LD + n0 + (lane >> 4) * 8);
}
// A fragment of k-step kk from accumulator tiles c[2kk], c[2kk+1] (scaled by nothing).
__device__ __forceinline__ void acc_to_a(u32* r, const float* c0, const float* c1) {
    r[0] = pack_bf16x2(c0[0], c0[1]);
    r[1] = pack_bf16x2(c0[2], c0[3]);
    r[2] = pack_bf16x2(c1[0], c1[1]);
    r[3] = pack_bf16x2(c1[2], c1[3]);
}

// grid (B * H, ceil(Tq / 64)); shared (64 + 4 * 64) * (D + 8) bf16 (Q, double-buffered K and V)
template <int D>
__device__ __forceinline__ void attn_fwd_bf16(const AttnArgs& a) {
    constexpr int BM = 64, BN = 64, LD = D + 8;
    DYN_SMEM(u16, sm);
    u16* Qs = sm;
    u16* Kb = Qs + BM * LD;
    u16* Vb = Kb + 2 * BN * LD;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int qt = gridDim.y - 1 - blockIdx.y, bh = blockIdx.x, b = bh / a.H, h = bh % a.H, hk = h / (a.H / a.Hkv);
    const int q0 = qt * BM, r0 = q0 + warp * 16 + g;
    const u16* Q = (const u16*)a.q + b * a.sq[0] + h * a.sq[1];
    const u16* K = (const u16*)a.k + b * a.sk[0] + hk * a.sk[1];
    const u16* V = (const u16*)a.v + b * a.sv[0] + hk * a.sv[1];
    const u8* pad = a.pad ? a.pad + (i64)b * a.Tk : 0;
    const int kEnd = attn_key_end(a, q0, BM), nKt = (kEnd + BN - 1) / BN;
    attn_stage<D>(Qs, Q, a.sq[2], q0, BM, a.Tq);
    if (nKt > 0) {
        attn_stage<D>(Kb, K, a.sk[2], 0, BN, a.Tk);
        attn_stage<D>(Vb, V, a.sv[2], 0, BN, a.Tk);
    }
    cp_async_commit();
    u32 qf[D / 16][4];
    float o[D / 8][4], m[2] = {-K_INF, -K_INF}, l[2] = {0.0f, 0.0f};
#pragma unroll
    for (int d = 0; d < D / 8; d++) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0;
    for (int kt = 0; kt < nKt; kt++) {
        if (kt + 1 < nKt) {
            const int nb = (kt + 1) & 1;
            attn_stage<D>(Kb + nb * BN * LD, K, a.sk[2], (kt + 1) * BN, BN, a.Tk);
            attn_stage<D>(Vb + nb * BN * LD, V, a.sv[2], (kt + 1) * BN, BN, a.Tk);
            cp_async_commit();
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
        if (kt == 0) {
#pragma unroll
            for (int ks = 0; ks < D / 16; ks++) frag_a<LD>(qf[ks], Qs, warp * 16, ks * 16);
        }
        const u16* Ks = Kb + (kt & 1) * BN * LD;
        const u16* Vs = Vb + (kt & 1) * BN * LD;
        const int n0 = kt * BN;
        float s[BN / 8][4];
#pragma unroll
        for (int n = 0; n < BN / 8; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0;
#pragma unroll
        for (int ks = 0; ks < D / 16; ks++) {
#pragma unroll
            for (int np = 0; np < BN / 16; np++) {
                u32 bb[4];
                frag_b_rows<LD>(bb, Ks, np * 16, ks * 16);
                mma_bf16(s[2 * np], qf[ks], bb[0], bb[1]);
                mma_bf16(s[2 * np + 1], qf[ks], bb[2], bb[3]);
            }
        }
        // every (row, key) pair of this warp visible: no per-element mask
        const bool full = pad == 0 && n0 + BN <= a.Tk && (!a.causal || n0 + BN - 1 <= q0 + warp * 16 + a.causalOffset);
#pragma unroll
        for (int n = 0; n < BN / 8; n++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                float v = s[n][e] * a.scaleLog2;
                if (!full && !attn_visible(a, pad, r0 + (e >> 1) * 8, n0 + n * 8 + 2 * t + (e & 1))) v = -K_INF;
                s[n][e] = v;
            }
        }
#pragma unroll
        for (int r = 0; r < 2; r++) {
            float mx = -K_INF;
#pragma unroll
            for (int n = 0; n < BN / 8; n++) mx = fmaxf(mx, fmaxf(s[n][2 * r], s[n][2 * r + 1]));
            mx = warp_max_w(mx, 4);
            const float mn = fmaxf(m[r], mx), mref = mn == -K_INF ? 0.0f : mn;
            const float corr = exp2f(m[r] - mref);
            m[r] = mn;
            l[r] *= corr;
#pragma unroll
            for (int d = 0; d < D / 8; d++) {
                o[d][2 * r] *= corr;
                o[d][2 * r + 1] *= corr;
            }
#pragma unroll
            for (int n = 0; n < BN / 8; n++) {
                const float p0 = exp2f(s[n][2 * r] - mref), p1 = exp2f(s[n][2 * r + 1] - mref);
                s[n][2 * r] = p0;
                s[n][2 * r + 1] = p1;
                l[r] += p0 + p1;
            }
        }
#pragma unroll
        for (int kk = 0; kk < BN / 16; kk++) {
            u32 pa[4];
            acc_to_a(pa, s[2 * kk], s[2 * kk + 1]);
#pragma unroll
            for (int dp = 0; dp < D / 16; dp++) {
                u32 bb[4];
                frag_b_cols<LD>(bb, Vs, kk * 16, dp * 16);
                mma_bf16(o[2 * dp], pa, bb[0], bb[1]);
                mma_bf16(o[2 * dp + 1], pa, bb[2], bb[3]);
            }
        }
        __syncthreads();
    }
    cp_async_wait<0>();
    u16* O = (u16*)a.out + b * a.so[0] + h * a.so[1];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        const float sum = warp_sum_w(l[r], 4);
        const int row = r0 + r * 8;
        if (row >= a.Tq) continue;
        const float inv = sum > 0 ? 1.0f / sum : 0.0f;
#pragma unroll
        for (int d = 0; d < D / 8; d++) {
            *(u32*)(O + (i64)row * a.so[2] + d * 8 + 2 * t) = pack_bf16x2(o[d][2 * r] * inv, o[d][2 * r + 1] * inv);
        }
        if (t == 0) a.lse[(i64)bh * a.Tq + row] = sum > 0 ? (m[r] + log2f(sum)) * K_LN2 : -K_INF;
    }
}

// dK, dV of a 64-key tile: grid (B * Hkv, ceil(Tk / 64)). Warp w owns keys w*16 .. w*16+15 and
// accumulates over the G query heads and their query tiles (BQ rows, double-buffered Q and dO).
// S^T = K Q^T and dP^T = V dO^T come out in accumulator layout [key][query], which is directly the
// A operand of dV += P^T dO and dK += dS^T Q.
template <int D>
__device__ __forceinline__ void attn_bwd_dkdv_bf16(const AttnArgs& a) {
    constexpr int BN = 64, BQ = D > 64 ? 32 : 64, LD = D + 8;
    DYN_SMEM(u16, sm);
    u16* Ks = sm;
    u16* Vs = Ks + BN * LD;
    u16* Qb = Vs + BN * LD;
    u16* Ob = Qb + 2 * BQ * LD;
    float* Lb = (float*)(Ob + 2 * BQ * LD);
    float* Db = Lb + 2 * BQ;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int bk = blockIdx.x, b = bk / a.Hkv, hk = bk % a.Hkv, G = a.H / a.Hkv;
    const int n0 = blockIdx.y * BN, key0 = n0 + warp * 16 + g;
    const u16* K = (const u16*)a.k + b * a.sk[0] + hk * a.sk[1];
    const u16* V = (const u16*)a.v + b * a.sv[0] + hk * a.sv[1];
    const u8* pad = a.pad ? a.pad + (i64)b * a.Tk : 0;
    attn_stage<D>(Ks, K, a.sk[2], n0, BN, a.Tk);
    attn_stage<D>(Vs, V, a.sv[2], n0, BN, a.Tk);
    const int qStart = a.causal ? imax(0, n0 - a.causalOffset) / BQ * BQ : 0;
    const int nQt = a.Tq > qStart ? (a.Tq - qStart + BQ - 1) / BQ : 0, total = G * nQt;
    // stage step `it` (query head it / nQt, query tile it % nQt) into buffer `buf`
    auto stage = [&](int it, int buf) {
        const int h = hk * G + it / nQt, q0 = qStart + (it % nQt) * BQ;
        const i64 bh = (i64)b * a.H + h;
        attn_stage<D>(Qb + buf * BQ * LD, (const u16*)a.q + b * a.sq[0] + h * a.sq[1], a.sq[2], q0, BQ, a.Tq);
        attn_stage<D>(Ob + buf * BQ * LD, (const u16*)a.dout + b * a.sdo[0] + h * a.sdo[1], a.sdo[2], q0, BQ, a.Tq);
        for (int r = threadIdx.x; r < BQ; r += TB_THREADS) {
            const bool in = q0 + r < a.Tq;
            Lb[buf * BQ + r] = in ? a.lse[bh * a.Tq + q0 + r] * K_LOG2E : -K_INF;
            Db[buf * BQ + r] = in ? a.delta[bh * a.Tq + q0 + r] : 0.0f;
        }
    };
    if (total > 0) stage(0, 0);
    cp_async_commit();
    float dk[D / 8][4], dv[D / 8][4];
#pragma unroll
    for (int d = 0; d < D / 8; d++)
#pragma unroll
        for (int e = 0; e < 4; e++) dk[d][e] = dv[d][e] = 0;
    for (int it = 0; it < total; it++) {
        const int buf = it & 1;
        if (it + 1 < total) {
            __syncthreads();   // the other buffer's last readers are done (plain stores to Lb/Db)
            stage(it + 1, buf ^ 1);
            cp_async_commit();
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
        const u16* Qs = Qb + buf * BQ * LD;
        const u16* Os = Ob + buf * BQ * LD;
        const float* Ls = Lb + buf * BQ;
        const float* Ds = Db + buf * BQ;
        const int q0 = qStart + (it % nQt) * BQ;
        float s[BQ / 8][4], dp[BQ / 8][4];
#pragma unroll
        for (int n = 0; n < BQ / 8; n++)
#pragma unroll
            for (int e = 0; e < 4; e++) s[n][e] = dp[n][e] = 0;
#pragma unroll
        for (int ks = 0; ks < D / 16; ks++) {
            u32 ka[4], va[4];
            frag_a<LD>(ka, Ks, warp * 16, ks * 16);
            frag_a<LD>(va, Vs, warp * 16, ks * 16);
#pragma unroll
            for (int np = 0; np < BQ / 16; np++) {
                u32 bb[4];
                frag_b_rows<LD>(bb, Qs, np * 16, ks * 16);
                mma_bf16(s[2 * np], ka, bb[0], bb[1]);
                mma_bf16(s[2 * np + 1], ka, bb[2], bb[3]);
                frag_b_rows<LD>(bb, Os, np * 16, ks * 16);
                mma_bf16(dp[2 * np], va, bb[0], bb[1]);
                mma_bf16(dp[2 * np + 1], va, bb[2], bb[3]);
            }
        }
#pragma unroll
        for (int n = 0; n < BQ / 8; n++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int qi = n * 8 + 2 * t + (e & 1), row = q0 + qi, key = key0 + (e >> 1) * 8;
                const float lr = Ls[qi];
                const bool vis = row < a.Tq && lr != -K_INF && attn_visible(a, pad, row, key);
                const float p = vis ? exp2f(s[n][e] * a.scaleLog2 - lr) : 0.0f;
                s[n][e] = p;
                dp[n][e] = p * (dp[n][e] - Ds[qi]);
            }
        }
#pragma unroll
        for (int kk = 0; kk < BQ / 16; kk++) {
            u32 pa[4], da[4];
            acc_to_a(pa, s[2 * kk], s[2 * kk + 1]);
            acc_to_a(da, dp[2 * kk], dp[2 * kk + 1]);
#pragma unroll
            for (int dd = 0; dd < D / 16; dd++) {
                u32 bb[4];
                frag_b_cols<LD>(bb, Os, kk * 16, dd * 16);
                mma_bf16(dv[2 * dd], pa, bb[0], bb[1]);
                mma_bf16(dv[2 * dd + 1], pa, bb[2], bb[3]);
                frag_b_cols<LD>(bb, Qs, kk * 16, dd * 16);
                mma_bf16(dk[2 * dd], da, bb[0], bb[1]);
                mma_bf16(dk[2 * dd + 1], da, bb[2], bb[3]);
            }
        }
    }
    u16* dK = (u16*)a.dk + b * a.sdk[0] + hk * a.sdk[1];
    u16* dV = (u16*)a.dv + b * a.sdv[0] + hk * a.sdv[1];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        const int key = key0 + r * 8;
        if (key >= a.Tk) continue;
#pragma unroll
        for (int d = 0; d < D / 8; d++) {
            *(u32*)(dK + (i64)key * a.sdk[2] + d * 8 + 2 * t) = pack_bf16x2(dk[d][2 * r] * a.scale, dk[d][2 * r + 1] * a.scale);
            *(u32*)(dV + (i64)key * a.sdv[2] + d * 8 + 2 * t) = pack_bf16x2(dv[d][2 * r], dv[d][2 * r + 1]);
        }
    }
}

// dQ of a 64-row query tile: grid (B * H, ceil(Tq / 64)); shared Q, dO [64][D+8], double-buffered
// K and V [2][64][D+8], log-sum-exp and delta [64].
template <int D>
__device__ __forceinline__ void attn_bwd_dq_bf16(const AttnArgs& a) {
    constexpr int BM = 64, BN = 64, LD = D + 8;
    DYN_SMEM(u16, sm);
    u16* Qs = sm;
    u16* Os = Qs + BM * LD;
    u16* Kb = Os + BM * LD;
    u16* Vb = Kb + 2 * BN * LD;
    float* Ls = (float*)(Vb + 2 * BN * LD);
    float* Ds = Ls + BM;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int qt = gridDim.y - 1 - blockIdx.y, bh = blockIdx.x, b = bh / a.H, h = bh % a.H, hk = h / (a.H / a.Hkv);
    const int q0 = qt * BM, r0 = q0 + warp * 16 + g;
    const u16* K = (const u16*)a.k + b * a.sk[0] + hk * a.sk[1];
    const u16* V = (const u16*)a.v + b * a.sv[0] + hk * a.sv[1];
    const u8* pad = a.pad ? a.pad + (i64)b * a.Tk : 0;
    attn_stage<D>(Qs, (const u16*)a.q + b * a.sq[0] + h * a.sq[1], a.sq[2], q0, BM, a.Tq);
    attn_stage<D>(Os, (const u16*)a.dout + b * a.sdo[0] + h * a.sdo[1], a.sdo[2], q0, BM, a.Tq);
    for (int r = threadIdx.x; r < BM; r += TB_THREADS) {
        const bool in = q0 + r < a.Tq;
        Ls[r] = in ? a.lse[(i64)bh * a.Tq + q0 + r] * K_LOG2E : -K_INF;
        Ds[r] = in ? a.delta[(i64)bh * a.Tq + q0 + r] : 0.0f;
    }
    const int kEnd = attn_key_end(a, q0, BM), nKt = (kEnd + BN - 1) / BN;
    if (nKt > 0) {
        attn_stage<D>(Kb, K, a.sk[2], 0, BN, a.Tk);
        attn_stage<D>(Vb, V, a.sv[2], 0, BN, a.Tk);
    }
    cp_async_commit();
    float dq[D / 8][4];
#pragma unroll
    for (int d = 0; d < D / 8; d++) dq[d][0] = dq[d][1] = dq[d][2] = dq[d][3] = 0;
    for (int kt = 0; kt < nKt; kt++) {
        if (kt + 1 < nKt) {
            const int nb = (kt + 1) & 1;
            attn_stage<D>(Kb + nb * BN * LD, K, a.sk[2], (kt + 1) * BN, BN, a.Tk);
            attn_stage<D>(Vb + nb * BN * LD, V, a.sv[2], (kt + 1) * BN, BN, a.Tk);
            cp_async_commit();
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
        const u16* Ks = Kb + (kt & 1) * BN * LD;
        const u16* Vs = Vb + (kt & 1) * BN * LD;
        const int n0 = kt * BN;
        float s[BN / 8][4], dp[BN / 8][4];
#pragma unroll
        for (int n = 0; n < BN / 8; n++)
#pragma unroll
            for (int e = 0; e < 4; e++) s[n][e] = dp[n][e] = 0;
#pragma unroll
        for (int ks = 0; ks < D / 16; ks++) {
            u32 qa[4], oa[4];
            frag_a<LD>(qa, Qs, warp * 16, ks * 16);
            frag_a<LD>(oa, Os, warp * 16, ks * 16);
#pragma unroll
            for (int np = 0; np < BN / 16; np++) {
                u32 bb[4];
                frag_b_rows<LD>(bb, Ks, np * 16, ks * 16);
                mma_bf16(s[2 * np], qa, bb[0], bb[1]);
                mma_bf16(s[2 * np + 1], qa, bb[2], bb[3]);
                frag_b_rows<LD>(bb, Vs, np * 16, ks * 16);
                mma_bf16(dp[2 * np], oa, bb[0], bb[1]);
                mma_bf16(dp[2 * np + 1], oa, bb[2], bb[3]);
            }
        }
#pragma unroll
        for (int n = 0; n < BN / 8; n++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int ri = warp * 16 + g + (e >> 1) * 8, row = q0 + ri, key = n0 + n * 8 + 2 * t + (e & 1);
                const float lr = Ls[ri];
                const bool vis = row < a.Tq && lr != -K_INF && attn_visible(a, pad, row, key);
                const float p = vis ? exp2f(s[n][e] * a.scaleLog2 - lr) : 0.0f;
                s[n][e] = p * (dp[n][e] - Ds[ri]);
            }
        }
#pragma unroll
        for (int kk = 0; kk < BN / 16; kk++) {
            u32 da[4];
            acc_to_a(da, s[2 * kk], s[2 * kk + 1]);
#pragma unroll
            for (int dd = 0; dd < D / 16; dd++) {
                u32 bb[4];
                frag_b_cols<LD>(bb, Ks, kk * 16, dd * 16);
                mma_bf16(dq[2 * dd], da, bb[0], bb[1]);
                mma_bf16(dq[2 * dd + 1], da, bb[2], bb[3]);
            }
        }
        __syncthreads();
    }
    cp_async_wait<0>();
    u16* dQ = (u16*)a.dq + b * a.sdq[0] + h * a.sdq[1];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        const int row = r0 + r * 8;
        if (row >= a.Tq) continue;
#pragma unroll
        for (int d = 0; d < D / 8; d++) {
            *(u32*)(dQ + (i64)row * a.sdq[2] + d * 8 + 2 * t) = pack_bf16x2(dq[d][2 * r] * a.scale, dq[d][2 * r + 1] * a.scale);
        }
    }
}

extern "C" __global__ void __launch_bounds__(TB_THREADS) attn_fwd_bf16_d32(AttnArgs a) { attn_fwd_bf16<32>(a); }
extern "C" __global__ void __launch_bounds__(TB_THREADS) attn_fwd_bf16_d64(AttnArgs a) { attn_fwd_bf16<64>(a); }
extern "C" __global__ void __launch_bounds__(TB_THREADS) attn_fwd_bf16_d128(AttnArgs a) { attn_fwd_bf16<128>(a); }
extern "C" __global__ void __launch_bounds__(TB_THREADS) attn_bwd_dkdv_bf16_d32(AttnArgs a) { attn_bwd_dkdv_bf16<32>(a); }
extern "C" __global__ void __launch_bounds__(TB_THREADS) attn_bwd_dkdv_bf16_d64(AttnArgs a) { attn_bwd_dkdv_bf16<64>(a); }
extern "C" __global__ void __launch_bounds__(TB_THREADS) attn_bwd_dkdv_bf16_d128(AttnArgs a) { attn_bwd_dkdv_bf16<128>(a); }
extern "C" __global__ void __launch_bounds__(TB_THREADS) attn_bwd_dq_bf16_d32(AttnArgs a) { attn_bwd_dq_bf16<32>(a); }
extern "C" __global__ void __launch_bounds__(TB_THREADS) attn_bwd_dq_bf16_d64(AttnArgs a) { attn_bwd_dq_bf16<64>(a); }
extern "C" __global__ void __launch_bounds__(TB_THREADS) attn_bwd_dq_bf16_d128(AttnArgs a) { attn_bwd_dq_bf16<128>(a); }
