// Fused row kernels: softmax / log-softmax (forward and backward), layer norm and RMS norm
// (forward, dx, and deterministic dgamma/dbeta), cross-entropy (forward and backward) and the
// AdamW step. One block per row; row sums accumulate in double. Float rows follow the CPU
// backend's float formulas (statistics rounded to float once, then float arithmetic), so results
// agree with it to rounding.
#include "common.cuh"

template <typename T> __device__ __forceinline__ T ex(T v);
template <> __device__ __forceinline__ float ex<float>(float v) { return (float)exp((double)v); }
template <> __device__ __forceinline__ double ex<double>(double v) { return exp(v); }

// ---------------------------------------------------------------- softmax family

template <typename T>
__device__ void softmax_row(int n, const T* x, T* y, int logMode) {
    __shared__ double scratch[32];
    double m = -D_INF;
    for (int j = threadIdx.x; j < n; j += blockDim.x) m = nan_max(m, (double)x[j]);
    m = block_max(m, scratch);
    T tm = (T)m;
    double s = 0;
    for (int j = threadIdx.x; j < n; j += blockDim.x) s += (double)ex<T>(x[j] - tm);
    s = block_sum(s, scratch);
    if (logMode) {
        T ls = (T)log(s);
        for (int j = threadIdx.x; j < n; j += blockDim.x) y[j] = (x[j] - tm) - ls;
    } else {
        T inv = (T)(1.0 / s);
        for (int j = threadIdx.x; j < n; j += blockDim.x) y[j] = ex<T>(x[j] - tm) * inv;
    }
}

extern "C" __global__ void softmax_f32(int n, const float* x, float* y, int logMode) {
    i64 r = blockIdx.x;
    softmax_row<float>(n, x + r * n, y + r * n, logMode);
}
extern "C" __global__ void softmax_f64(int n, const double* x, double* y, int logMode) {
    i64 r = blockIdx.x;
    softmax_row<double>(n, x + r * n, y + r * n, logMode);
}

template <typename T>
__device__ void softmax_bwd_row(int n, const T* y, const T* g, T* o, int logMode) {
    __shared__ double scratch[32];
    double acc = 0;
    for (int j = threadIdx.x; j < n; j += blockDim.x) acc += logMode ? (double)g[j] : (double)g[j] * (double)y[j];
    acc = block_sum(acc, scratch);
    T a = (T)acc;
    for (int j = threadIdx.x; j < n; j += blockDim.x) o[j] = logMode ? g[j] - ex<T>(y[j]) * a : y[j] * (g[j] - a);
}

extern "C" __global__ void softmax_bwd_f32(int n, const float* y, const float* g, float* o, int logMode) {
    i64 r = blockIdx.x;
    softmax_bwd_row<float>(n, y + r * n, g + r * n, o + r * n, logMode);
}
extern "C" __global__ void softmax_bwd_f64(int n, const double* y, const double* g, double* o, int logMode) {
    i64 r = blockIdx.x;
    softmax_bwd_row<double>(n, y + r * n, g + r * n, o + r * n, logMode);
}

// ---------------------------------------------------------------- layer norm / rms norm

template <typename T>
__device__ void norm_row(int n, const T* x, const T* gamma, const T* beta, T* y, T* mean, T* rstd, double eps,
                         int centered) {
    __shared__ double scratch[32];
    double m = 0;
    if (centered) {
        for (int j = threadIdx.x; j < n; j += blockDim.x) m += (double)x[j];
        m = block_sum(m, scratch) / n;
    }
    double ss = 0;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        double d = (double)x[j] - m;
        ss += d * d;
    }
    ss = block_sum(ss, scratch);
    T tm = (T)m, tr = (T)(1.0 / sqrt(ss / n + eps));
    if (threadIdx.x == 0) {
        if (mean) *mean = tm;
        *rstd = tr;
    }
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        T v = centered ? (x[j] - tm) * tr : x[j] * tr;
        if (gamma) v *= gamma[j];
        if (beta) v += beta[j];
        y[j] = v;
    }
}

extern "C" __global__ void norm_fwd_f32(int n, const float* x, const float* gamma, const float* beta, float* y,
                                       float* mean, float* rstd, double eps, int centered) {
    i64 r = blockIdx.x;
    norm_row<float>(n, x + r * n, gamma, beta, y + r * n, mean ? mean + r : 0, rstd + r, eps, centered);
}
extern "C" __global__ void norm_fwd_f64(int n, const double* x, const double* gamma, const double* beta, double* y,
                                       double* mean, double* rstd, double eps, int centered) {
    i64 r = blockIdx.x;
    norm_row<double>(n, x + r * n, gamma, beta, y + r * n, mean ? mean + r : 0, rstd + r, eps, centered);
}

// dx = rstd * (g - mean(g) [centered] - xhat * mean(g * xhat)) with g = gy * gamma
template <typename T>
__device__ void norm_bwd_row(int n, const T* x, const T* gy, const T* gamma, T m, T q, T* dx, int centered) {
    __shared__ double scratch[32];
    double sg = 0, sgx = 0;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        T xh = (x[j] - m) * q, gj = gamma ? gy[j] * gamma[j] : gy[j];
        sg += (double)gj;
        sgx += (double)gj * (double)xh;
    }
    sg = block_sum(sg, scratch);
    sgx = block_sum(sgx, scratch);
    T c1 = centered ? (T)(sg / n) : (T)0, c2 = (T)(sgx / n);
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        T xh = (x[j] - m) * q, gj = gamma ? gy[j] * gamma[j] : gy[j];
        dx[j] = q * (gj - c1 - xh * c2);
    }
}

extern "C" __global__ void norm_bwd_f32(int n, const float* x, const float* gy, const float* gamma, const float* mean,
                                       const float* rstd, float* dx, int centered) {
    i64 r = blockIdx.x;
    norm_bwd_row<float>(n, x + r * n, gy + r * n, gamma, mean ? mean[r] : 0.0f, rstd[r], dx + r * n, centered);
}
extern "C" __global__ void norm_bwd_f64(int n, const double* x, const double* gy, const double* gamma, const double* mean,
                                       const double* rstd, double* dx, int centered) {
    i64 r = blockIdx.x;
    norm_bwd_row<double>(n, x + r * n, gy + r * n, gamma, mean ? mean[r] : 0.0, rstd[r], dx + r * n, centered);
}

// dgamma/dbeta partial sums: block b of rows [rows*b/blocks, rows*(b+1)/blocks) (the CPU's
// blocking), one thread per column walking its rows in order. grid = (ceil(n/256), blocks).
template <typename T>
__device__ void norm_params_partial(int rows, int n, int blocks, const T* x, const T* gy, const T* mean, const T* rstd,
                                    double* pg, double* pb) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    int b = blockIdx.y;
    if (j >= n) return;
    int r0 = (int)((i64)rows * b / blocks), r1 = (int)((i64)rows * (b + 1) / blocks);
    double ag = 0, ab = 0;
    for (int r = r0; r < r1; r++) {
        T m = mean ? mean[r] : (T)0;
        T xh = (x[(i64)r * n + j] - m) * rstd[r];
        T g = gy[(i64)r * n + j];
        ag += (double)g * (double)xh;
        ab += (double)g;
    }
    pg[(i64)b * n + j] = ag;
    if (pb) pb[(i64)b * n + j] = ab;
}

extern "C" __global__ void norm_params_f32(int rows, int n, int blocks, const float* x, const float* gy, const float* mean,
                                          const float* rstd, double* pg, double* pb) {
    norm_params_partial<float>(rows, n, blocks, x, gy, mean, rstd, pg, pb);
}
extern "C" __global__ void norm_params_f64(int rows, int n, int blocks, const double* x, const double* gy, const double* mean,
                                          const double* rstd, double* pg, double* pb) {
    norm_params_partial<double>(rows, n, blocks, x, gy, mean, rstd, pg, pb);
}

// adds the partials in block order and stores in dtype dt
extern "C" __global__ void norm_params_finish(int n, int blocks, const double* p, void* out, int dt) {
    GRID_STRIDE(j, n) {
        double t = 0;
        for (int b = 0; b < blocks; b++) t += p[(i64)b * n + j];
        st(out, dt, j, t);
    }
}

// ---------------------------------------------------------------- cross-entropy

template <typename T>
__device__ void xent_row(int c, const T* x, int target, int ignore, double ls, T* lp, T* loss) {
    __shared__ double scratch[32];
    softmax_row<T>(c, x, lp, 1);
    __syncthreads();
    double smooth = 0;
    if (ls != 0) {
        for (int j = threadIdx.x; j < c; j += blockDim.x) smooth -= (double)lp[j];
        smooth = block_sum(smooth, scratch) / c;
    }
    if (threadIdx.x == 0) *loss = target == ignore ? (T)0 : (T)((1 - ls) * -(double)lp[target] + ls * smooth);
}

extern "C" __global__ void xent_f32(int c, const float* x, const int* targets, int ignore, double ls, float* lp, float* loss) {
    i64 r = blockIdx.x;
    xent_row<float>(c, x + r * c, targets[r], ignore, ls, lp + r * c, loss + r);
}
extern "C" __global__ void xent_f64(int c, const double* x, const int* targets, int ignore, double ls, double* lp, double* loss) {
    i64 r = blockIdx.x;
    xent_row<double>(c, x + r * c, targets[r], ignore, ls, lp + r * c, loss + r);
}

// dx = g * (softmax - (1 - ls) * onehot - ls / c); zero on ignored rows
extern "C" __global__ void xent_bwd_f32(int c, const float* lp, const int* targets, const float* g, int ignore, double ls,
                                        float* dx) {
    i64 r = blockIdx.x;
    int t = targets[r];
    float gi = g[r], fu = (float)(ls / c), ft = (float)(1 - ls);
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
        if (t == ignore) { dx[r * c + j] = 0.0f; continue; }
        float o = ex<float>(lp[r * c + j]);
        if (j == t) o -= ft;
        dx[r * c + j] = (o - fu) * gi;
    }
}
extern "C" __global__ void xent_bwd_f64(int c, const double* lp, const int* targets, const double* g, int ignore, double ls,
                                        double* dx) {
    i64 r = blockIdx.x;
    int t = targets[r];
    double uniform = ls / c, onTarget = 1 - ls;
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
        if (t == ignore) { dx[r * c + j] = 0.0; continue; }
        double q = (j == t ? onTarget : 0) + uniform;
        dx[r * c + j] = g[r] * (exp(lp[r * c + j]) - q);
    }
}

// ---------------------------------------------------------------- AdamW

extern "C" __global__ void adamw_f32(i64 n, float* p, const float* g, float* m, float* v, float b1, float b2, float omb1,
                                     float omb2, float stepSize, float bc2Sqrt, float eps, float decay) {
    GRID_STRIDE(i, n) {
        float gi = g[i];
        float mi = __fadd_rn(__fmul_rn(b1, m[i]), __fmul_rn(omb1, gi));
        float vi = __fadd_rn(__fmul_rn(b2, v[i]), __fmul_rn(__fmul_rn(omb2, gi), gi));
        m[i] = mi;
        v[i] = vi;
        float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2Sqrt), eps);
        p[i] = __fsub_rn(__fmul_rn(p[i], decay), __fdiv_rn(__fmul_rn(stepSize, mi), denom));
    }
}
extern "C" __global__ void adamw_f64(i64 n, double* p, const double* g, double* m, double* v, double b1, double b2,
                                     double stepSize, double bc2Sqrt, double eps, double decay) {
    GRID_STRIDE(i, n) {
        double gi = g[i];
        double mi = __dadd_rn(__dmul_rn(b1, m[i]), __dmul_rn(1 - b1, gi));
        double vi = __dadd_rn(__dmul_rn(b2, v[i]), __dmul_rn(__dmul_rn(1 - b2, gi), gi));
        m[i] = mi;
        v[i] = vi;
        p[i] = __dsub_rn(__dmul_rn(p[i], decay), __ddiv_rn(__dmul_rn(stepSize, mi), __dadd_rn(__ddiv_rn(sqrt(vi), bc2Sqrt), eps)));
    }
}

// ---------------------------------------------------------------- multi-tensor AdamW
// One launch updates a whole list of F32 tensors with adamw_f32's arithmetic. The launch reads
// everything from one device table (uploaded from pinned memory by the same stream, so a captured
// graph re-reads it, learning rate and step included, at every replay):
//   ptrs  [T][4] u64  param, grad, m, v     sizes [T] i64
//   block [nb]   i32  tensor of each block  start [nb] i64  first element of each block
//   hp    [6]    f64  lr, beta1, beta2, eps, weight decay, step (1-based)
// Block b updates elements [start[b], start[b] + chunk) of tensor block[b].
extern "C" __global__ void adamw_multi_f32(const u64* ptrs, const i64* sizes, const int* block, const i64* start, const double* hp,
                                           int chunk) {
    const int t = block[blockIdx.x];
    const i64 n = sizes[t], s0 = start[blockIdx.x], s1 = s0 + chunk < n ? s0 + chunk : n;
    float* p = (float*)ptrs[4 * t];
    const float* g = (const float*)ptrs[4 * t + 1];
    float* m = (float*)ptrs[4 * t + 2];
    float* v = (float*)ptrs[4 * t + 3];
    const double lr = hp[0], b1 = hp[1], b2 = hp[2], eps = hp[3], wd = hp[4], step = hp[5];
    const float stepSize = (float)(lr / (1 - pow(b1, step))), bc2Sqrt = (float)sqrt(1 - pow(b2, step));
    const float fb1 = (float)b1, fb2 = (float)b2, omb1 = (float)(1 - b1), omb2 = (float)(1 - b2), feps = (float)eps;
    const float decay = (float)(1 - lr * wd);
    for (i64 i = s0 + threadIdx.x; i < s1; i += blockDim.x) {
        float gi = g[i];
        float mi = __fadd_rn(__fmul_rn(fb1, m[i]), __fmul_rn(omb1, gi));
        float vi = __fadd_rn(__fmul_rn(fb2, v[i]), __fmul_rn(__fmul_rn(omb2, gi), gi));
        m[i] = mi;
        v[i] = vi;
        float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2Sqrt), feps);
        p[i] = __fsub_rn(__fmul_rn(p[i], decay), __fdiv_rn(__fmul_rn(stepSize, mi), denom));
    }
}

// ---------------------------------------------------------------- fused cross-entropy forward + backward
// One pass per row (llm.c's fused classifier): row max, sum of exponentials (and the row sum for label
// smoothing) in double, then loss[r] = (1 - ls) (lse - x[t]) + ls (lse - mean(x)) and
// dx = g[r] (softmax - (1 - ls) onehot(t) - ls / c); ignored rows get loss 0 and dx 0. g is the per-row
// loss gradient (null: the constant gScale, e.g. 1 / rows for a mean). dx may alias x: every read of a
// row happens before the block's first write (the reductions end in barriers).
extern "C" __global__ void xent_fused_f32(int c, const float* x, const int* targets, int ignore, double ls, const float* g, float gScale,
                                          float* loss, float* dx) {
    __shared__ double scratch[32];
    const i64 r = blockIdx.x;
    const float* xr = x + r * c;
    float* dr = dx + r * c;
    const int t = targets[r];
    double m = -D_INF;
    for (int j = threadIdx.x; j < c; j += blockDim.x) m = nan_max(m, (double)xr[j]);
    m = block_max(m, scratch);
    double s = 0, sx = 0;
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
        s += exp((double)xr[j] - m);
        sx += (double)xr[j];
    }
    s = block_sum(s, scratch);
    if (ls != 0) sx = block_sum(sx, scratch);
    const double lse = m + log(s);
    const float xt = t == ignore ? 0.0f : xr[t];
    __syncthreads();   // x[t] is read before any thread overwrites the row
    const bool ignored = t == ignore;
    const float gi = ignored ? 0.0f : (g ? g[r] : gScale);
    const float fu = (float)(ls / c), ft = (float)(1 - ls);
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
        const float p = (float)exp((double)xr[j] - lse);
        dr[j] = ignored ? 0.0f : (p - (j == t ? ft : 0.0f) - fu) * gi;
    }
    if (threadIdx.x == 0) loss[r] = ignored ? 0.0f : (float)((1 - ls) * (lse - xt) + ls * (lse - sx / c));
}
