/*
 * A fake cuBLAS (libcublas.so.13): a host reference GEMM over the fake driver's "device" memory
 * (plain host pointers). It validates leading dimensions and type/compute combinations as cuBLAS
 * documents them, so layout mistakes in the binding fail here as they would on a GPU.
 * Prototypes are restated from the cuBLAS documentation (cublas_api.h is not on these machines).
 * Like the real library, a GEMM is work queued on the handle's stream: it goes through the fake
 * driver's cuLaunchHostFunc (hooked up by the tests), so it runs at once on an idle stream and
 * becomes a graph node while the stream is being captured.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int cublasStatus_t;
struct fake_handle { void *stream; void *workspace; size_t workspace_size; };

static int last_call[10];
typedef int (*host_launcher)(void *stream, void (*fn)(void *), void *data);
static host_launcher launch_host;
/* The fake driver's cuLaunchHostFunc; without it GEMMs run immediately. */
void fake_cublas_set_host_launcher(void *fn) { launch_host = (host_launcher)fn; }
void fake_cublas_last(int *out10) { memcpy(out10, last_call, sizeof last_call); }

cublasStatus_t cublasCreate_v2(void **handle) { *handle = calloc(1, sizeof(struct fake_handle)); return 0; }
cublasStatus_t cublasDestroy_v2(void *h) { free(h); return 0; }
cublasStatus_t cublasSetStream_v2(void *h, void *s) { ((struct fake_handle *)h)->stream = s; return 0; }
cublasStatus_t cublasSetWorkspace_v2(void *h, void *ws, size_t n) {
    ((struct fake_handle *)h)->workspace = ws; ((struct fake_handle *)h)->workspace_size = n; return 0;
}
cublasStatus_t cublasSetMathMode(void *h, int mode) { (void)h; (void)mode; return 0; }
cublasStatus_t cublasGetVersion_v2(void *h, int *v) { (void)h; *v = 130000; return 0; }
const char *cublasGetStatusString(cublasStatus_t s) {
    switch (s) {
        case 0: return "the operation completed successfully";
        case 7: return "an invalid numeric value was used as an argument";
        case 15: return "the functionality requested is not supported";
        default: return "unknown error";
    }
}

enum { R_32F = 0, R_64F = 1, R_16BF = 14 };
enum { C_32F = 68, C_32F_PEDANTIC = 69, C_64F = 70, C_32F_FAST_16BF = 75, C_32F_FAST_TF32 = 77 };

static double load(const void *p, int type, long long i) {
    switch (type) {
        case R_32F: return ((const float *)p)[i];
        case R_64F: return ((const double *)p)[i];
        default: {
            uint32_t bits = (uint32_t)((const uint16_t *)p)[i] << 16;
            float f;
            memcpy(&f, &bits, 4);
            return f;
        }
    }
}
static void store(void *p, int type, long long i, double v) {
    switch (type) {
        case R_32F: ((float *)p)[i] = (float)v; break;
        case R_64F: ((double *)p)[i] = v; break;
        default: {
            float f = (float)v;
            uint32_t bits;
            memcpy(&bits, &f, 4);
            bits += 0x7fff + ((bits >> 16) & 1);   /* round to nearest even */
            ((uint16_t *)p)[i] = (uint16_t)(bits >> 16);
        }
    }
}
static double tf32(double v) {               /* keep 10 mantissa bits, round to nearest */
    float f = (float)v;
    uint32_t b;
    memcpy(&b, &f, 4);
    b = (b + 0x1000) & ~0x1fffu;
    memcpy(&f, &b, 4);
    return f;
}

struct gemm_job {
    int transa, transb, m, n, k, Atype, lda, Btype, ldb, Ctype, ldc, batch, compute, runs;
    long long sA, sB, sC;
    const void *A, *B;
    void *C;
    double al, be;
};

static void gemm_run(void *p) {
    struct gemm_job *job = p;
    int transa = job->transa, transb = job->transb, m = job->m, n = job->n, k = job->k, lda = job->lda, ldb = job->ldb, ldc = job->ldc;
    int Atype = job->Atype, Btype = job->Btype, Ctype = job->Ctype, batch = job->batch, compute = job->compute;
    long long sA = job->sA, sB = job->sB, sC = job->sC;
    const void *A = job->A, *B = job->B;
    void *C = job->C;
    double al = job->al, be = job->be;
    job->runs++;
    for (int b = 0; b < batch; b++) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double acc = 0;
                for (int l = 0; l < k; l++) {
                    double a = load(A, Atype, b * sA + (transa ? l + (long long)i * lda : i + (long long)l * lda));
                    double x = load(B, Btype, b * sB + (transb ? j + (long long)l * ldb : l + (long long)j * ldb));
                    if (compute == C_32F_FAST_TF32) { a = tf32(a); x = tf32(x); }
                    acc += a * x;
                }
                long long ci = b * sC + i + (long long)j * ldc;
                double old = be == 0 ? 0 : load(C, Ctype, ci);
                store(C, Ctype, ci, al * acc + be * old);
            }
        }
    }
}

cublasStatus_t cublasGemmStridedBatchedEx(void *h, int transa, int transb, int m, int n, int k,
        const void *alpha, const void *A, int Atype, int lda, long long sA,
        const void *B, int Btype, int ldb, long long sB, const void *beta,
        void *C, int Ctype, int ldc, long long sC, int batch, int compute, int algo) {
    (void)h; (void)algo;
    int info[10] = {transa, transb, m, n, k, lda, ldb, ldc, batch, compute};
    memcpy(last_call, info, sizeof info);
    if (m < 0 || n < 0 || k < 0 || batch < 0) return 7;
    if (lda < (transa ? (k > 1 ? k : 1) : (m > 1 ? m : 1))) return 7;
    if (ldb < (transb ? (n > 1 ? n : 1) : (k > 1 ? k : 1))) return 7;
    if (ldc < (m > 1 ? m : 1)) return 7;
    int wide = compute == C_64F;
    if (wide != (Atype == R_64F) || wide != (Btype == R_64F) || wide != (Ctype == R_64F)) return 15;
    if (Atype != Btype) return 15;
    struct gemm_job *j = malloc(sizeof *j);
    j->transa = transa; j->transb = transb; j->m = m; j->n = n; j->k = k;
    j->A = A; j->Atype = Atype; j->lda = lda; j->sA = sA; j->B = B; j->Btype = Btype; j->ldb = ldb; j->sB = sB;
    j->C = C; j->Ctype = Ctype; j->ldc = ldc; j->sC = sC; j->batch = batch; j->compute = compute; j->runs = 0;
    j->al = wide ? *(const double *)alpha : *(const float *)alpha;   /* host pointer mode: read at call time */
    j->be = wide ? *(const double *)beta : *(const float *)beta;
    if (launch_host == NULL) {
        gemm_run(j);
    } else {
        launch_host(((struct fake_handle *)h)->stream, gemm_run, j);
        if (j->runs == 0) return 0;   /* captured: the graph node keeps the job */
    }
    free(j);
    return 0;
}
