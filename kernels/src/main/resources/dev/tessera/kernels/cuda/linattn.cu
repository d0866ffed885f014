// Linear attention (Katharopoulos et al.) with phi(x) = elu(x) + 1, as nn.attention.LinearAttention:
// out_i = phi(q_i)^T S / max(phi(q_i)^T z, 1e-30) with S = sum_j phi(k_j) v_j^T and z = sum_j phi(k_j)
// over all keys (non-causal) or keys j <= i (causal); padded keys contribute nothing; query head h
// reads kv head h / (H / Hkv). Float32 throughout.
//
// Causal: the chunked form. A block owns one (batch, head) and walks the sequence in chunks of C
// rows, keeping the running state (S, z) in shared memory: inside a chunk the masked quadratic form
// (phi(Q) phi(K)^T o M) V, across chunks phi(Q) S_prev. The backward runs the same walk for dQ
// (storing dN = dO / den and dd = -(dO . o) / den) and a reverse walk with the suffix state
// R = sum_{i >= j} phi(q_i) dN_i^T, r = sum phi(q_i) dd_i for dK and dV; the reverse walk loops over
// the query heads of a kv head inside one block, so dK/dV need no atomics.
// Non-causal: the state per kv head by one block, then rows in parallel.
//
// phi'(x) = 1 for x > 0, exp(x) = phi(x) otherwise; phi(x) > 1 exactly when x > 0, so phi' is read
// off phi itself.
#include "common.cuh"

struct LaArgs {
    const float* q;
    const float* k;
    const float* v;
    const float* dout;
    float* out;
    float* dq;
    float* dk;
    float* dv;
    float* S;     // [B, Hkv, D, Dv] state (non-causal) or suffix state scratch
    float* z;     // [B, Hkv, D]
    float* dn;    // [B, H, Tq, Dv] dO / den (backward)
    float* dd;    // [B, H, Tq]     -(dO . o) / den (backward)
    const u8* pad;   // [B, Tk], nonzero = masked; null when none
    i64 sq[3], sk[3], sv[3], sdo[3];   // element strides (b, h, t) of q, k, v, dout; last dims contiguous
    int B, H, Hkv, Tq, Tk, D, Dv, C;   // C: chunk length of the causal kernels
};

#define LA_THREADS 256
#define LA_TINY 1e-30f

__device__ __forceinline__ float la_phi(float x) { return x > 0 ? x + 1.0f : expf(x); }
__device__ __forceinline__ float la_dphi(float phi) { return phi > 1.0f ? 1.0f : phi; }

// Stages rows [t0, t0 + C) of a [T, n] slice (row stride ld) into shared [C][n]: phi applied when
// `phi`, padded keys (pad != null) and rows past T zeroed.
__device__ __forceinline__ void la_stage(float* dst, const float* src, i64 ld, int t0, int C, int T, int n, bool phi, const u8* pad) {
    for (int i = threadIdx.x; i < C * n; i += blockDim.x) {
        const int r = i / n, c = i - r * n, t = t0 + r;
        float x = 0;
        if (t < T && (pad == 0 || pad[t] == 0)) {
            x = src[(i64)t * ld + c];
            if (phi) x = la_phi(x);
        }
        dst[i] = x;
    }
}

// ---------------------------------------------------------------- causal

// grid B * H; shared: S [D][Dv], z [D], Q [C][D], K [C][D], V [C][Dv], A [C][C], den [C]
extern "C" __global__ void __launch_bounds__(LA_THREADS) la_fwd_causal(LaArgs a) {
    DYN_SMEM(float, sm);
    const int D = a.D, Dv = a.Dv, C = a.C, T = a.Tq;
    float* S = sm;
    float* z = S + D * Dv;
    float* Q = z + D;
    float* K = Q + C * D;
    float* V = K + C * D;
    float* A = V + C * Dv;
    float* den = A + C * C;
    const int bh = blockIdx.x, b = bh / a.H, h = bh % a.H, hk = h / (a.H / a.Hkv);
    const float* q = a.q + b * a.sq[0] + h * a.sq[1];
    const float* k = a.k + b * a.sk[0] + hk * a.sk[1];
    const float* v = a.v + b * a.sv[0] + hk * a.sv[1];
    const u8* pad = a.pad ? a.pad + (i64)b * a.Tk : 0;
    float* out = a.out + (i64)bh * T * Dv;
    for (int i = threadIdx.x; i < D * Dv; i += blockDim.x) S[i] = 0;
    for (int i = threadIdx.x; i < D; i += blockDim.x) z[i] = 0;
    for (int t0 = 0; t0 < T; t0 += C) {
        __syncthreads();
        la_stage(Q, q, a.sq[2], t0, C, T, D, true, 0);
        la_stage(K, k, a.sk[2], t0, C, T, D, true, pad);
        la_stage(V, v, a.sv[2], t0, C, T, Dv, false, 0);
        __syncthreads();
        for (int e = threadIdx.x; e < C * C; e += blockDim.x) {
            const int i = e / C, j = e - i * C;
            float s = 0;
            if (j <= i) for (int d = 0; d < D; d++) s += Q[i * D + d] * K[j * D + d];
            A[e] = s;
        }
        __syncthreads();
        for (int i = threadIdx.x; i < C; i += blockDim.x) {
            float s = 0;
            for (int j = 0; j <= i; j++) s += A[i * C + j];
            for (int d = 0; d < D; d++) s += Q[i * D + d] * z[d];
            den[i] = s;
        }
        __syncthreads();
        const int n = imin(C, T - t0);
        for (int e = threadIdx.x; e < n * Dv; e += blockDim.x) {
            const int i = e / Dv, c = e - i * Dv;
            float s = 0;
            for (int j = 0; j <= i; j++) s += A[i * C + j] * V[j * Dv + c];
            for (int d = 0; d < D; d++) s += Q[i * D + d] * S[d * Dv + c];
            out[(i64)(t0 + i) * Dv + c] = s / fmaxf(den[i], LA_TINY);
        }
        __syncthreads();
        for (int e = threadIdx.x; e < D * Dv; e += blockDim.x) {
            const int d = e / Dv, c = e - d * Dv;
            float s = 0;
            for (int j = 0; j < C; j++) s += K[j * D + d] * V[j * Dv + c];
            S[e] += s;
        }
        for (int d = threadIdx.x; d < D; d += blockDim.x) {
            float s = 0;
            for (int j = 0; j < C; j++) s += K[j * D + d];
            z[d] += s;
        }
    }
}

// dQ (and the dn, dd scratch): grid B * H; shared as the forward plus dO [C][Dv] (turned into dn in
// place) and dd [C]. M[i][j] = dn_i . v_j + dd_i (j <= i) reuses A after the outputs are formed.
extern "C" __global__ void __launch_bounds__(LA_THREADS) la_bwd_q_causal(LaArgs a) {
    DYN_SMEM(float, sm);
    const int D = a.D, Dv = a.Dv, C = a.C, T = a.Tq;
    float* S = sm;
    float* z = S + D * Dv;
    float* Q = z + D;
    float* K = Q + C * D;
    float* V = K + C * D;
    float* A = V + C * Dv;
    float* den = A + C * C;
    float* DN = den + C;
    float* DD = DN + C * Dv;
    const int bh = blockIdx.x, b = bh / a.H, h = bh % a.H, hk = h / (a.H / a.Hkv);
    const float* q = a.q + b * a.sq[0] + h * a.sq[1];
    const float* k = a.k + b * a.sk[0] + hk * a.sk[1];
    const float* v = a.v + b * a.sv[0] + hk * a.sv[1];
    const float* dout = a.dout + b * a.sdo[0] + h * a.sdo[1];
    const u8* pad = a.pad ? a.pad + (i64)b * a.Tk : 0;
    float* dq = a.dq + (i64)bh * T * D;
    float* dn = a.dn + (i64)bh * T * Dv;
    float* dd = a.dd + (i64)bh * T;
    for (int i = threadIdx.x; i < D * Dv; i += blockDim.x) S[i] = 0;
    for (int i = threadIdx.x; i < D; i += blockDim.x) z[i] = 0;
    for (int t0 = 0; t0 < T; t0 += C) {
        __syncthreads();
        la_stage(Q, q, a.sq[2], t0, C, T, D, true, 0);
        la_stage(K, k, a.sk[2], t0, C, T, D, true, pad);
        la_stage(V, v, a.sv[2], t0, C, T, Dv, false, 0);
        la_stage(DN, dout, a.sdo[2], t0, C, T, Dv, false, 0);
        __syncthreads();
        for (int e = threadIdx.x; e < C * C; e += blockDim.x) {
            const int i = e / C, j = e - i * C;
            float s = 0;
            if (j <= i) for (int d = 0; d < D; d++) s += Q[i * D + d] * K[j * D + d];
            A[e] = s;
        }
        __syncthreads();
        // one warp per row: den, o . dO, then dn = dO / den and dd
        const int warps = blockDim.x >> 5, lane = threadIdx.x & 31;
        for (int i = threadIdx.x >> 5; i < C; i += warps) {
            float s = 0;
            for (int j = lane; j <= i; j += 32) s += A[i * C + j];
            for (int d = lane; d < D; d += 32) s += Q[i * D + d] * z[d];
            const float dsum = warp_sum_w(s, 32), dc = fmaxf(dsum, LA_TINY);
            float dot = 0;
            for (int c = lane; c < Dv; c += 32) {
                float nm = 0;
                for (int j = 0; j <= i; j++) nm += A[i * C + j] * V[j * Dv + c];
                for (int d = 0; d < D; d++) nm += Q[i * D + d] * S[d * Dv + c];
                dot += DN[i * Dv + c] * (nm / dc);
            }
            dot = warp_sum_w(dot, 32);
            __syncwarp();
            for (int c = lane; c < Dv; c += 32) DN[i * Dv + c] /= dc;
            if (lane == 0) DD[i] = dsum > LA_TINY ? -dot / dc : 0.0f;
        }
        __syncthreads();
        const int n = imin(C, T - t0);
        for (int e = threadIdx.x; e < n * Dv; e += blockDim.x) dn[(i64)t0 * Dv + e] = DN[e];
        for (int i = threadIdx.x; i < n; i += blockDim.x) dd[t0 + i] = DD[i];
        for (int e = threadIdx.x; e < C * C; e += blockDim.x) {
            const int i = e / C, j = e - i * C;
            float s = 0;
            if (j <= i) {
                s = DD[i];
                for (int c = 0; c < Dv; c++) s += DN[i * Dv + c] * V[j * Dv + c];
            }
            A[e] = s;
        }
        __syncthreads();
        for (int e = threadIdx.x; e < n * D; e += blockDim.x) {
            const int i = e / D, d = e - i * D;
            float s = z[d] * DD[i];
            for (int j = 0; j <= i; j++) s += A[i * C + j] * K[j * D + d];
            for (int c = 0; c < Dv; c++) s += S[d * Dv + c] * DN[i * Dv + c];
            dq[(i64)(t0 + i) * D + d] = s * la_dphi(Q[i * D + d]);
        }
        __syncthreads();
        for (int e = threadIdx.x; e < D * Dv; e += blockDim.x) {
            const int d = e / Dv, c = e - d * Dv;
            float s = 0;
            for (int j = 0; j < C; j++) s += K[j * D + d] * V[j * Dv + c];
            S[e] += s;
        }
        for (int d = threadIdx.x; d < D; d += blockDim.x) {
            float s = 0;
            for (int j = 0; j < C; j++) s += K[j * D + d];
            z[d] += s;
        }
    }
}

// dK, dV: grid B * Hkv; for each query head of the kv head, a reverse walk over the chunks with the
// suffix state (R [D][Dv], r [D]). dK/dV rows accumulate over the query heads in the output arrays
// (first head writes, the others add: one block owns them), then dK takes phi'(k) and the padding.
// Shared: R, r, Q [C][D], K [C][D], V [C][Dv], DN [C][Dv], DD [C], P [C][C], M [C][C].
extern "C" __global__ void __launch_bounds__(LA_THREADS) la_bwd_kv_causal(LaArgs a) {
    DYN_SMEM(float, sm);
    const int D = a.D, Dv = a.Dv, C = a.C, T = a.Tq, G = a.H / a.Hkv;
    float* R = sm;
    float* r = R + D * Dv;
    float* Q = r + D;
    float* K = Q + C * D;
    float* V = K + C * D;
    float* DN = V + C * Dv;
    float* DD = DN + C * Dv;
    float* P = DD + C;
    float* M = P + C * C;
    const int bk = blockIdx.x, b = bk / a.Hkv, hk = bk % a.Hkv;
    const float* k = a.k + b * a.sk[0] + hk * a.sk[1];
    const float* v = a.v + b * a.sv[0] + hk * a.sv[1];
    const u8* pad = a.pad ? a.pad + (i64)b * a.Tk : 0;
    float* dk = a.dk + (i64)bk * T * D;
    float* dv = a.dv + (i64)bk * T * Dv;
    const int last = (T - 1) / C * C;
    for (int gi = 0; gi < G; gi++) {
        const int h = hk * G + gi;
        const float* q = a.q + b * a.sq[0] + h * a.sq[1];
        const float* dn = a.dn + ((i64)b * a.H + h) * T * Dv;
        const float* dd = a.dd + ((i64)b * a.H + h) * T;
        __syncthreads();
        for (int i = threadIdx.x; i < D * Dv; i += blockDim.x) R[i] = 0;
        for (int i = threadIdx.x; i < D; i += blockDim.x) r[i] = 0;
        for (int t0 = last; t0 >= 0; t0 -= C) {
            __syncthreads();
            la_stage(Q, q, a.sq[2], t0, C, T, D, true, 0);
            la_stage(K, k, a.sk[2], t0, C, T, D, true, pad);
            la_stage(V, v, a.sv[2], t0, C, T, Dv, false, 0);
            la_stage(DN, dn, Dv, t0, C, T, Dv, false, 0);
            for (int i = threadIdx.x; i < C; i += blockDim.x) DD[i] = t0 + i < T ? dd[t0 + i] : 0.0f;
            __syncthreads();
            for (int e = threadIdx.x; e < C * C; e += blockDim.x) {
                const int i = e / C, j = e - i * C;
                float p = 0, m = 0;
                if (j <= i) {
                    for (int d = 0; d < D; d++) p += Q[i * D + d] * K[j * D + d];
                    m = DD[i];
                    for (int c = 0; c < Dv; c++) m += DN[i * Dv + c] * V[j * Dv + c];
                }
                P[e] = p;
                M[e] = m;
            }
            __syncthreads();
            const int n = imin(C, T - t0);
            for (int e = threadIdx.x; e < n * D; e += blockDim.x) {
                const int j = e / D, d = e - j * D;
                float s = r[d];
                for (int i = j; i < C; i++) s += M[i * C + j] * Q[i * D + d];
                for (int c = 0; c < Dv; c++) s += R[d * Dv + c] * V[j * Dv + c];
                float* o = dk + (i64)(t0 + j) * D + d;
                *o = gi == 0 ? s : *o + s;
            }
            for (int e = threadIdx.x; e < n * Dv; e += blockDim.x) {
                const int j = e / Dv, c = e - j * Dv;
                float s = 0;
                for (int i = j; i < C; i++) s += P[i * C + j] * DN[i * Dv + c];
                for (int d = 0; d < D; d++) s += R[d * Dv + c] * K[j * D + d];
                float* o = dv + (i64)(t0 + j) * Dv + c;
                *o = gi == 0 ? s : *o + s;
            }
            __syncthreads();
            for (int e = threadIdx.x; e < D * Dv; e += blockDim.x) {
                const int d = e / Dv, c = e - d * Dv;
                float s = 0;
                for (int i = 0; i < C; i++) s += Q[i * D + d] * DN[i * Dv + c];
                R[e] += s;
            }
            for (int d = threadIdx.x; d < D; d += blockDim.x) {
                float s = 0;
                for (int i = 0; i < C; i++) s += Q[i * D + d] * DD[i];
                r[d] += s;
            }
        }
    }
    __syncthreads();
    for (i64 e = threadIdx.x; e < (i64)T * D; e += blockDim.x) {
        const int t = (int)(e / D), d = (int)(e - (i64)t * D);
        const bool masked = pad != 0 && pad[t] != 0;
        dk[e] = masked ? 0.0f : dk[e] * la_dphi(la_phi(k[(i64)t * a.sk[2] + d]));
    }
}

// ---------------------------------------------------------------- non-causal

// S = sum_j phi(k_j) v_j^T, z = sum_j phi(k_j) over unpadded keys: grid B * Hkv, one thread per
// state element walking the keys in order.
extern "C" __global__ void la_state(LaArgs a) {
    const int D = a.D, Dv = a.Dv, bk = blockIdx.x, b = bk / a.Hkv, hk = bk % a.Hkv;
    const float* k = a.k + b * a.sk[0] + hk * a.sk[1];
    const float* v = a.v + b * a.sv[0] + hk * a.sv[1];
    const u8* pad = a.pad ? a.pad + (i64)b * a.Tk : 0;
    float* S = a.S + (i64)bk * D * Dv;
    float* z = a.z + (i64)bk * D;
    for (int e = threadIdx.x; e < D * Dv + D; e += blockDim.x) {
        const bool isz = e >= D * Dv;
        const int d = isz ? e - D * Dv : e / Dv, c = isz ? 0 : e - d * Dv;
        float s = 0;
        for (int j = 0; j < a.Tk; j++) {
            if (pad && pad[j]) continue;
            const float f = la_phi(k[(i64)j * a.sk[2] + d]);
            s += isz ? f : f * v[(i64)j * a.sv[2] + c];
        }
        if (isz) z[d] = s; else S[e] = s;
    }
}

// out: grid (B * H, ceil(Tq / 8)), 8 warps, one warp per query row.
extern "C" __global__ void la_fwd_noncausal(LaArgs a) {
    const int D = a.D, Dv = a.Dv, bh = blockIdx.x, b = bh / a.H, h = bh % a.H, hk = h / (a.H / a.Hkv);
    const int lane = threadIdx.x & 31, i = blockIdx.y * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (i >= a.Tq) return;
    const float* q = a.q + b * a.sq[0] + h * a.sq[1] + (i64)i * a.sq[2];
    const float* S = a.S + ((i64)b * a.Hkv + hk) * D * Dv;
    const float* z = a.z + ((i64)b * a.Hkv + hk) * D;
    float s = 0;
    for (int d = lane; d < D; d += 32) s += la_phi(q[d]) * z[d];
    const float den = fmaxf(warp_sum_w(s, 32), LA_TINY);
    float* out = a.out + ((i64)bh * a.Tq + i) * Dv;
    for (int c = lane; c < Dv; c += 32) {
        float nm = 0;
        for (int d = 0; d < D; d++) nm += la_phi(q[d]) * S[d * Dv + c];
        out[c] = nm / den;
    }
}

// dQ and the dn, dd scratch: grid (B * H, ceil(Tq / 8)), one warp per query row.
extern "C" __global__ void la_bwd_q_noncausal(LaArgs a) {
    const int D = a.D, Dv = a.Dv, bh = blockIdx.x, b = bh / a.H, h = bh % a.H, hk = h / (a.H / a.Hkv);
    const int lane = threadIdx.x & 31, i = blockIdx.y * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (i >= a.Tq) return;
    const float* q = a.q + b * a.sq[0] + h * a.sq[1] + (i64)i * a.sq[2];
    const float* g = a.dout + b * a.sdo[0] + h * a.sdo[1] + (i64)i * a.sdo[2];
    const float* S = a.S + ((i64)b * a.Hkv + hk) * D * Dv;
    const float* z = a.z + ((i64)b * a.Hkv + hk) * D;
    float* dn = a.dn + ((i64)bh * a.Tq + i) * Dv;
    float s = 0;
    for (int d = lane; d < D; d += 32) s += la_phi(q[d]) * z[d];
    const float dsum = warp_sum_w(s, 32), dc = fmaxf(dsum, LA_TINY);
    float dot = 0;
    for (int c = lane; c < Dv; c += 32) {
        float nm = 0;
        for (int d = 0; d < D; d++) nm += la_phi(q[d]) * S[d * Dv + c];
        dot += g[c] * (nm / dc);
        dn[c] = g[c] / dc;
    }
    dot = warp_sum_w(dot, 32);
    const float ddi = dsum > LA_TINY ? -dot / dc : 0.0f;
    if (lane == 0) a.dd[(i64)bh * a.Tq + i] = ddi;
    __syncwarp();
    float* dq = a.dq + ((i64)bh * a.Tq + i) * D;
    for (int d = lane; d < D; d += 32) {
        float t = z[d] * ddi;
        for (int c = 0; c < Dv; c++) t += S[d * Dv + c] * dn[c];
        dq[d] = t * la_dphi(la_phi(q[d]));
    }
}

// R = sum over the kv head's query heads and rows of phi(q_i) dn_i^T, r = sum phi(q_i) dd_i
// (into the S, z scratch): grid B * Hkv, one thread per state element.
extern "C" __global__ void la_state_bwd(LaArgs a) {
    const int D = a.D, Dv = a.Dv, bk = blockIdx.x, b = bk / a.Hkv, hk = bk % a.Hkv, G = a.H / a.Hkv;
    float* R = a.S + (i64)bk * D * Dv;
    float* r = a.z + (i64)bk * D;
    for (int e = threadIdx.x; e < D * Dv + D; e += blockDim.x) {
        const bool isr = e >= D * Dv;
        const int d = isr ? e - D * Dv : e / Dv, c = isr ? 0 : e - d * Dv;
        float s = 0;
        for (int gi = 0; gi < G; gi++) {
            const int h = hk * G + gi;
            const i64 bh = (i64)b * a.H + h;
            const float* q = a.q + b * a.sq[0] + h * a.sq[1];
            for (int i = 0; i < a.Tq; i++) {
                const float f = la_phi(q[(i64)i * a.sq[2] + d]);
                s += isr ? f * a.dd[bh * a.Tq + i] : f * a.dn[(bh * a.Tq + i) * Dv + c];
            }
        }
        if (isr) r[d] = s; else R[e] = s;
    }
}

// dK, dV: grid (B * Hkv, ceil(Tk / 8)), one warp per key row: dphi(k_j) = R v_j + r, dv_j = R^T phi(k_j).
extern "C" __global__ void la_bwd_kv_noncausal(LaArgs a) {
    const int D = a.D, Dv = a.Dv, bk = blockIdx.x, b = bk / a.Hkv, hk = bk % a.Hkv;
    const int lane = threadIdx.x & 31, j = blockIdx.y * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (j >= a.Tk) return;
    const float* k = a.k + b * a.sk[0] + hk * a.sk[1] + (i64)j * a.sk[2];
    const float* v = a.v + b * a.sv[0] + hk * a.sv[1] + (i64)j * a.sv[2];
    const float* R = a.S + (i64)bk * D * Dv;
    const float* r = a.z + (i64)bk * D;
    const bool masked = a.pad != 0 && a.pad[(i64)b * a.Tk + j] != 0;
    float* dk = a.dk + ((i64)bk * a.Tk + j) * D;
    float* dv = a.dv + ((i64)bk * a.Tk + j) * Dv;
    for (int d = lane; d < D; d += 32) {
        float s = r[d];
        for (int c = 0; c < Dv; c++) s += R[d * Dv + c] * v[c];
        dk[d] = masked ? 0.0f : s * la_dphi(la_phi(k[d]));
    }
    for (int c = lane; c < Dv; c += 32) {
        float s = 0;
        if (!masked) for (int d = 0; d < D; d++) s += R[d * Dv + c] * la_phi(k[d]);
        dv[c] = s;
    }
}
