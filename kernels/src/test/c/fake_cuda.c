/*
 * A fake CUDA driver (libcuda.so.1) for the binding tests on machines without a GPU.
 * It includes the real cuda.h, so every function below must match the toolkit's prototype
 * exactly: a descriptor drifting from the ABI fails to compile here ("conflicting types").
 * Device memory is host memory (malloc), copies are memcpy, kernels do nothing except the
 * test kernel "fake_saxpy", which runs on the host so argument marshalling can be checked.
 * Control functions (fake_*) let tests inject errors and read counters.
 */
#include <cuda.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int driver_version = 13000;
static char fail_fn[128];
static int fail_code, fail_times;
static long live_allocs, total_allocs, launches;
static size_t last_alloc_size;
static int last_launch[8];
static int last_proc_version;
static uintptr_t next_virtual = (uintptr_t)1 << 46;
static int sm_count = 132;
typedef int (*emu_launch_fn)(const char *, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void **);
static emu_launch_fn emu_launch;
typedef int (*emu_params_fn)(const char *, int *, int);
static emu_params_fn emu_param_sizes;
static long graph_launches, captured_nodes, capture_errors;

/* ---------------------------------------------------------------- control API */
void fake_fail(const char *fn, int code, int times) {
    strncpy(fail_fn, fn, sizeof fail_fn - 1);
    fail_code = code;
    fail_times = times;
}
void fake_set_driver_version(int v) { driver_version = v; }
void fake_set_sms(int n) { sm_count = n; }
/* Runs launches on the host through an emulation library (tests/c/emu); returns 0 on success. */
int fake_set_emu(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "fake_set_emu: %s\n", dlerror()); return 1; }
    emu_launch = (emu_launch_fn)dlsym(h, "emu_launch");
    emu_param_sizes = (emu_params_fn)dlsym(h, "emu_param_sizes");
    return emu_launch && emu_param_sizes ? 0 : 2;
}
long fake_live_allocs(void) { return live_allocs; }
long fake_total_allocs(void) { return total_allocs; }
size_t fake_last_alloc_size(void) { return last_alloc_size; }
long fake_launches(void) { return launches; }
int fake_last_proc_version(void) { return last_proc_version; }
void fake_last_launch(int *out8) { memcpy(out8, last_launch, sizeof last_launch); }
long fake_graph_launches(void) { return graph_launches; }
long fake_captured_nodes(void) { return captured_nodes; }
/* calls refused because a capture was in progress (each also invalidates the capture) */
long fake_capture_errors(void) { return capture_errors; }

static CUresult maybe_fail(const char *fn) {
    if (fail_times > 0 && strcmp(fn, fail_fn) == 0) {
        fail_times--;
        return (CUresult)fail_code;
    }
    return CUDA_SUCCESS;
}
#define FAILPOINT(name) do { CUresult r_ = maybe_fail(name); if (r_ != CUDA_SUCCESS) return r_; } while (0)

/* ---------------------------------------------------------------- stream capture (state) */
/* While a stream captures, work queued on it is recorded as graph nodes instead of running, with
 * kernel arguments copied at launch (as the real driver does); calls a capture forbids (device or
 * stream synchronisation, allocation, freeing) fail with CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED and
 * invalidate the capture, so cuStreamEndCapture then returns CUDA_ERROR_STREAM_CAPTURE_INVALIDATED. */
enum { N_KERNEL, N_HTOD, N_DTOH, N_DTOD, N_MEMSET32, N_MEMSET8, N_HOST };
struct fake_function;
struct node {
    int kind;
    struct fake_function *fn;
    unsigned dims[7];                 /* grid xyz, block xyz, shared bytes */
    int nparams;
    void **params;                    /* copied argument values */
    uintptr_t dst, src;
    size_t n;
    unsigned value;
    void (*host)(void *);
    void *data;
};
struct fake_graph { int count, cap; struct node *nodes; };
static struct fake_graph *capture_graph;
static CUstream capture_stream;
static int capture_invalid;

static int is_capturing(CUstream s) { return capture_graph != NULL && s == capture_stream; }
static CUresult refuse_in_capture(void) {
    if (capture_graph == NULL) return CUDA_SUCCESS;
    capture_invalid = 1;
    capture_errors++;
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
}
#define NO_CAPTURE() do { CUresult r_ = refuse_in_capture(); if (r_ != CUDA_SUCCESS) return r_; } while (0)
static struct node *add_node(int kind) {
    struct fake_graph *g = capture_graph;
    if (g->count == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        g->nodes = realloc(g->nodes, (size_t)g->cap * sizeof(struct node));
    }
    struct node *n = &g->nodes[g->count++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    captured_nodes++;
    return n;
}

/* ---------------------------------------------------------------- errors */
CUresult CUDAAPI cuGetErrorName(CUresult error, const char **pStr) {
    switch (error) {
        case CUDA_SUCCESS: *pStr = "CUDA_SUCCESS"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_VALUE: *pStr = "CUDA_ERROR_INVALID_VALUE"; return CUDA_SUCCESS;
        case CUDA_ERROR_OUT_OF_MEMORY: *pStr = "CUDA_ERROR_OUT_OF_MEMORY"; return CUDA_SUCCESS;
        case CUDA_ERROR_NO_DEVICE: *pStr = "CUDA_ERROR_NO_DEVICE"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_IMAGE: *pStr = "CUDA_ERROR_INVALID_IMAGE"; return CUDA_SUCCESS;
        case CUDA_ERROR_NOT_FOUND: *pStr = "CUDA_ERROR_NOT_FOUND"; return CUDA_SUCCESS;
        case CUDA_ERROR_ILLEGAL_ADDRESS: *pStr = "CUDA_ERROR_ILLEGAL_ADDRESS"; return CUDA_SUCCESS;
        case CUDA_ERROR_LAUNCH_FAILED: *pStr = "CUDA_ERROR_LAUNCH_FAILED"; return CUDA_SUCCESS;
        case CUDA_ERROR_ILLEGAL_STATE: *pStr = "CUDA_ERROR_ILLEGAL_STATE"; return CUDA_SUCCESS;
        case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED: *pStr = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"; return CUDA_SUCCESS;
        case CUDA_ERROR_STREAM_CAPTURE_INVALIDATED: *pStr = "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"; return CUDA_SUCCESS;
        default: *pStr = NULL; return CUDA_ERROR_INVALID_VALUE;
    }
}
CUresult CUDAAPI cuGetErrorString(CUresult error, const char **pStr) {
    switch (error) {
        case CUDA_SUCCESS: *pStr = "no error"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_VALUE: *pStr = "invalid argument"; return CUDA_SUCCESS;
        case CUDA_ERROR_OUT_OF_MEMORY: *pStr = "out of memory"; return CUDA_SUCCESS;
        case CUDA_ERROR_NO_DEVICE: *pStr = "no CUDA-capable device is detected"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_IMAGE: *pStr = "device kernel image is invalid"; return CUDA_SUCCESS;
        case CUDA_ERROR_NOT_FOUND: *pStr = "named symbol not found"; return CUDA_SUCCESS;
        case CUDA_ERROR_ILLEGAL_ADDRESS: *pStr = "an illegal memory access was encountered"; return CUDA_SUCCESS;
        case CUDA_ERROR_LAUNCH_FAILED: *pStr = "unspecified launch failure"; return CUDA_SUCCESS;
        case CUDA_ERROR_ILLEGAL_STATE: *pStr = "the resource is not in a valid state to perform the requested operation"; return CUDA_SUCCESS;
        case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED: *pStr = "operation not permitted when stream is capturing"; return CUDA_SUCCESS;
        case CUDA_ERROR_STREAM_CAPTURE_INVALIDATED: *pStr = "operation failed due to a previous error during capture"; return CUDA_SUCCESS;
        default: *pStr = NULL; return CUDA_ERROR_INVALID_VALUE;
    }
}

/* ---------------------------------------------------------------- init and devices */
CUresult CUDAAPI cuInit(unsigned int flags) { (void)flags; FAILPOINT("cuInit"); return CUDA_SUCCESS; }
CUresult CUDAAPI cuDriverGetVersion(int *v) { FAILPOINT("cuDriverGetVersion"); *v = driver_version; return CUDA_SUCCESS; }
CUresult CUDAAPI cuDeviceGetCount(int *count) { FAILPOINT("cuDeviceGetCount"); *count = 1; return CUDA_SUCCESS; }
CUresult CUDAAPI cuDeviceGet(CUdevice *device, int ordinal) {
    FAILPOINT("cuDeviceGet");
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *device = 0;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuDeviceGetName(char *name, int len, CUdevice dev) {
    (void)dev;
    snprintf(name, (size_t)len, "Tessera Fake GPU");
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev) {
    (void)dev;
    switch (attrib) {
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *pi = 9; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *pi = 0; break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *pi = sm_count; break;
        default: *pi = 0;
    }
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuDeviceTotalMem(size_t *bytes, CUdevice dev) { (void)dev; *bytes = (size_t)80 << 30; return CUDA_SUCCESS; }
static int ctx_token;
CUresult CUDAAPI cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev) { (void)dev; *pctx = (CUcontext)&ctx_token; return CUDA_SUCCESS; }
CUresult CUDAAPI cuDevicePrimaryCtxRelease(CUdevice dev) { (void)dev; return CUDA_SUCCESS; }
CUresult CUDAAPI cuCtxSetCurrent(CUcontext ctx) { (void)ctx; FAILPOINT("cuCtxSetCurrent"); return CUDA_SUCCESS; }
CUresult CUDAAPI cuCtxSynchronize(void) { FAILPOINT("cuCtxSynchronize"); NO_CAPTURE(); return CUDA_SUCCESS; }


/* ---------------------------------------------------------------- memory */
CUresult CUDAAPI cuMemAlloc(CUdeviceptr *dptr, size_t bytesize) {
    FAILPOINT("cuMemAlloc");
    NO_CAPTURE();
    last_alloc_size = bytesize;
    if (bytesize > ((size_t)1 << 30)) {          /* too big to back: hand out an address that is never touched */
        *dptr = (CUdeviceptr)next_virtual;
        next_virtual += (bytesize + 4095) & ~(uintptr_t)4095;
    } else {
        void *p = malloc(bytesize);
        if (p == NULL) return CUDA_ERROR_OUT_OF_MEMORY;
        *dptr = (CUdeviceptr)(uintptr_t)p;
    }
    live_allocs++;
    total_allocs++;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemFree(CUdeviceptr dptr) {
    FAILPOINT("cuMemFree");
    NO_CAPTURE();
    if ((uintptr_t)dptr < ((uintptr_t)1 << 46)) free((void *)(uintptr_t)dptr);
    live_allocs--;
    return CUDA_SUCCESS;
}
#undef cuMemAlloc
/* The pre-3.2 ABI with 32-bit sizes: what an unversioned dlsym("cuMemAlloc") would find. Never to be used. */
CUresult CUDAAPI cuMemAlloc(unsigned int *dptr, unsigned int bytesize) { (void)dptr; (void)bytesize; return CUDA_ERROR_NOT_SUPPORTED; }
CUresult CUDAAPI cuMemGetInfo(size_t *free_, size_t *total) { *free_ = (size_t)79 << 30; *total = (size_t)80 << 30; return CUDA_SUCCESS; }
static CUresult record_copy(int kind, uintptr_t dst, uintptr_t src, size_t n, unsigned value) {
    struct node *x = add_node(kind);
    x->dst = dst; x->src = src; x->n = n; x->value = value;
    return CUDA_SUCCESS;
}
static void run_copy(const struct node *x) {
    switch (x->kind) {
        case N_HTOD: case N_DTOH: case N_DTOD: memmove((void *)x->dst, (const void *)x->src, x->n); break;
        case N_MEMSET32: for (size_t i = 0; i < x->n; i++) ((unsigned int *)x->dst)[i] = x->value; break;
        default: memset((void *)x->dst, (int)x->value, x->n);
    }
}
CUresult CUDAAPI cuMemcpyHtoDAsync(CUdeviceptr dst, const void *src, size_t n, CUstream s) {
    FAILPOINT("cuMemcpyHtoDAsync");
    if (is_capturing(s)) return record_copy(N_HTOD, (uintptr_t)dst, (uintptr_t)src, n, 0);
    memcpy((void *)(uintptr_t)dst, src, n); return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemcpyDtoHAsync(void *dst, CUdeviceptr src, size_t n, CUstream s) {
    FAILPOINT("cuMemcpyDtoHAsync");
    if (is_capturing(s)) return record_copy(N_DTOH, (uintptr_t)dst, (uintptr_t)src, n, 0);
    memcpy(dst, (const void *)(uintptr_t)src, n); return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    if (is_capturing(s)) return record_copy(N_DTOD, (uintptr_t)dst, (uintptr_t)src, n, 0);
    memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n); return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemsetD32Async(CUdeviceptr dst, unsigned int ui, size_t n, CUstream s) {
    if (is_capturing(s)) return record_copy(N_MEMSET32, (uintptr_t)dst, 0, n, ui);
    unsigned int *p = (unsigned int *)(uintptr_t)dst;
    for (size_t i = 0; i < n; i++) p[i] = ui;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemsetD8Async(CUdeviceptr dst, unsigned char uc, size_t n, CUstream s) {
    if (is_capturing(s)) return record_copy(N_MEMSET8, (uintptr_t)dst, 0, n, uc);
    memset((void *)(uintptr_t)dst, uc, n); return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemHostAlloc(void **pp, size_t bytesize, unsigned int flags) {
    (void)flags; *pp = malloc(bytesize); return *pp ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}
CUresult CUDAAPI cuMemFreeHost(void *p) { free(p); return CUDA_SUCCESS; }

/* ---------------------------------------------------------------- streams and events */
static int stream_token, event_token;
CUresult CUDAAPI cuStreamCreate(CUstream *ph, unsigned int flags) { (void)flags; *ph = (CUstream)&stream_token; return CUDA_SUCCESS; }
CUresult CUDAAPI cuStreamDestroy(CUstream h) { (void)h; return CUDA_SUCCESS; }
CUresult CUDAAPI cuStreamSynchronize(CUstream h) { (void)h; FAILPOINT("cuStreamSynchronize"); NO_CAPTURE(); return CUDA_SUCCESS; }
CUresult CUDAAPI cuEventCreate(CUevent *ph, unsigned int flags) { (void)flags; *ph = (CUevent)&event_token; return CUDA_SUCCESS; }
CUresult CUDAAPI cuEventRecord(CUevent e, CUstream s) { (void)e; (void)s; return CUDA_SUCCESS; }
CUresult CUDAAPI cuEventSynchronize(CUevent e) { (void)e; return CUDA_SUCCESS; }
CUresult CUDAAPI cuEventElapsedTime(float *ms, CUevent a, CUevent b) { (void)a; (void)b; *ms = 1.5f; return CUDA_SUCCESS; }
CUresult CUDAAPI cuEventDestroy(CUevent e) { (void)e; return CUDA_SUCCESS; }

/* ---------------------------------------------------------------- modules and launches */
struct fake_module { size_t len; char *image; };
struct fake_function { char name[128]; };

CUresult CUDAAPI cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned int numOptions,
                                    CUjit_option *options, void **optionValues) {
    FAILPOINT("cuModuleLoadDataEx");
    const char *img = (const char *)image;
    int elf = memcmp(img, "\177ELF", 4) == 0;
    int ptx = !elf && strstr(img, ".version") != NULL;
    if (!elf && !ptx) {
        for (unsigned int i = 0; i < numOptions; i++) {
            if (options[i] == CU_JIT_ERROR_LOG_BUFFER) {
                size_t cap = 0;
                for (unsigned int j = 0; j < numOptions; j++)
                    if (options[j] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) cap = (size_t)(uintptr_t)optionValues[j];
                if (cap > 0) snprintf((char *)optionValues[i], cap, "fake driver: image is neither a CUBIN nor PTX");
            }
        }
        return CUDA_ERROR_INVALID_IMAGE;
    }
    struct fake_module *m = malloc(sizeof *m);
    /* an ELF image has no known length here: keep a bounded prefix for symbol lookups */
    m->len = ptx ? strlen(img) + 1 : 1 << 20;
    m->image = malloc(m->len);
    memcpy(m->image, img, ptx ? m->len : 4);
    if (elf) m->len = 4;
    *module = (CUmodule)m;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name) {
    struct fake_module *m = (struct fake_module *)hmod;
    /* PTX images must declare the entry; CUBINs are trusted (their length is unknown) */
    if (m->len > 4 && strstr(m->image, name) == NULL) return CUDA_ERROR_NOT_FOUND;
    struct fake_function *f = malloc(sizeof *f);
    strncpy(f->name, name, sizeof f->name - 1);
    f->name[sizeof f->name - 1] = 0;
    *hfunc = (CUfunction)f;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuModuleUnload(CUmodule hmod) {
    struct fake_module *m = (struct fake_module *)hmod;
    free(m->image);
    free(m);
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuFuncGetAttribute(int *pi, CUfunction_attribute attrib, CUfunction hfunc) {
    (void)hfunc; *pi = attrib == CU_FUNC_ATTRIBUTE_NUM_REGS ? 32 : 0; return CUDA_SUCCESS;
}
CUresult CUDAAPI cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value) {
    (void)hfunc; (void)attrib; (void)value; return CUDA_SUCCESS;
}
/* Argument sizes of a kernel: known for fake_saxpy, from the emulator's tables otherwise (0 when unknown). */
static int param_sizes(const char *name, int *sizes, int max) {
    if (strcmp(name, "fake_saxpy") == 0) { sizes[0] = 4; sizes[1] = 4; sizes[2] = 8; sizes[3] = 8; return 4; }
    return emu_param_sizes ? emu_param_sizes(name, sizes, max) : 0;
}
static CUresult run_kernel(struct fake_function *fn, const unsigned *d, void **kernelParams) {
    if (strcmp(fn->name, "fake_saxpy") == 0) {   /* (int n, float a, const float *x, float *y) */
        int n = *(int *)kernelParams[0];
        float a = *(float *)kernelParams[1];
        const float *x = (const float *)(uintptr_t)*(CUdeviceptr *)kernelParams[2];
        float *y = (float *)(uintptr_t)*(CUdeviceptr *)kernelParams[3];
        for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
    } else if (emu_launch) {
        int rc = emu_launch(fn->name, d[0], d[1], d[2], d[3], d[4], d[5], d[6], kernelParams);
        if (rc == 500) return CUDA_ERROR_NOT_FOUND;
        if (rc != 0) return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
                                unsigned int bx, unsigned int by, unsigned int bz, unsigned int shared,
                                CUstream hStream, void **kernelParams, void **extra) {
    (void)extra;
    FAILPOINT("cuLaunchKernel");
    unsigned d[7] = {gx, gy, gz, bx, by, bz, shared};
    struct fake_function *fn = (struct fake_function *)f;
    if (is_capturing(hStream)) {
        struct node *x = add_node(N_KERNEL);
        x->fn = fn;
        memcpy(x->dims, d, sizeof d);
        int sizes[64];
        x->nparams = param_sizes(fn->name, sizes, 64);
        x->params = calloc((size_t)(x->nparams > 0 ? x->nparams : 1), sizeof(void *));
        for (int i = 0; i < x->nparams; i++) {
            x->params[i] = malloc((size_t)sizes[i]);
            memcpy(x->params[i], kernelParams[i], (size_t)sizes[i]);
        }
        return CUDA_SUCCESS;
    }
    int dims[8] = {(int)gx, (int)gy, (int)gz, (int)bx, (int)by, (int)bz, (int)shared, 0};
    memcpy(last_launch, dims, sizeof dims);
    launches++;
    return run_kernel(fn, d, kernelParams);
}
CUresult CUDAAPI cuLaunchHostFunc(CUstream hStream, CUhostFn fn, void *userData) {
    if (is_capturing(hStream)) {
        struct node *x = add_node(N_HOST);
        x->host = fn;
        x->data = userData;
        return CUDA_SUCCESS;
    }
    fn(userData);
    return CUDA_SUCCESS;
}

/* ---------------------------------------------------------------- graphs */
CUresult CUDAAPI cuStreamBeginCapture(CUstream hStream, CUstreamCaptureMode mode) {
    FAILPOINT("cuStreamBeginCapture");
    if (mode != CU_STREAM_CAPTURE_MODE_GLOBAL && mode != CU_STREAM_CAPTURE_MODE_THREAD_LOCAL
            && mode != CU_STREAM_CAPTURE_MODE_RELAXED) return CUDA_ERROR_INVALID_VALUE;
    if (capture_graph != NULL) return CUDA_ERROR_ILLEGAL_STATE;
    capture_graph = calloc(1, sizeof(struct fake_graph));
    capture_stream = hStream;
    capture_invalid = 0;
    return CUDA_SUCCESS;
}
static void free_nodes(struct fake_graph *g) {
    for (int i = 0; i < g->count; i++) {
        struct node *x = &g->nodes[i];
        if (x->kind == N_KERNEL) {
            for (int j = 0; j < x->nparams; j++) free(x->params[j]);
            free(x->params);
        }
    }
    free(g->nodes);
    free(g);
}
CUresult CUDAAPI cuStreamEndCapture(CUstream hStream, CUgraph *phGraph) {
    if (capture_graph == NULL || hStream != capture_stream) return CUDA_ERROR_ILLEGAL_STATE;
    struct fake_graph *g = capture_graph;
    capture_graph = NULL;
    *phGraph = NULL;
    if (capture_invalid) {
        free_nodes(g);
        return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    }
    *phGraph = (CUgraph)g;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuStreamIsCapturing(CUstream hStream, CUstreamCaptureStatus *status) {
    *status = is_capturing(hStream) ? (capture_invalid ? CU_STREAM_CAPTURE_STATUS_INVALIDATED : CU_STREAM_CAPTURE_STATUS_ACTIVE)
                                    : CU_STREAM_CAPTURE_STATUS_NONE;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuGraphGetNodes(CUgraph hGraph, CUgraphNode *nodes, size_t *numNodes) {
    struct fake_graph *g = (struct fake_graph *)hGraph;
    if (nodes != NULL) return CUDA_ERROR_NOT_SUPPORTED;
    *numNodes = (size_t)g->count;
    return CUDA_SUCCESS;
}
/* an executable graph is an independent copy (kernel arguments duplicated), as on the driver */
CUresult CUDAAPI cuGraphInstantiateWithFlags(CUgraphExec *phGraphExec, CUgraph hGraph, unsigned long long flags) {
    (void)flags;
    FAILPOINT("cuGraphInstantiateWithFlags");
    struct fake_graph *g = (struct fake_graph *)hGraph, *e = calloc(1, sizeof(struct fake_graph));
    e->count = e->cap = g->count;
    e->nodes = malloc((size_t)(g->count > 0 ? g->count : 1) * sizeof(struct node));
    memcpy(e->nodes, g->nodes, (size_t)g->count * sizeof(struct node));
    for (int i = 0; i < e->count; i++) {
        struct node *x = &e->nodes[i];
        if (x->kind != N_KERNEL) continue;
        void **p = calloc((size_t)(x->nparams > 0 ? x->nparams : 1), sizeof(void *));
        int sizes[64];
        param_sizes(x->fn->name, sizes, 64);
        for (int j = 0; j < x->nparams; j++) {
            p[j] = malloc((size_t)sizes[j]);
            memcpy(p[j], x->params[j], (size_t)sizes[j]);
        }
        x->params = p;
    }
    *phGraphExec = (CUgraphExec)e;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuGraphUpload(CUgraphExec hGraphExec, CUstream hStream) { (void)hGraphExec; (void)hStream; return CUDA_SUCCESS; }
CUresult CUDAAPI cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream) {
    FAILPOINT("cuGraphLaunch");
    if (is_capturing(hStream)) return refuse_in_capture();
    struct fake_graph *e = (struct fake_graph *)hGraphExec;
    graph_launches++;
    for (int i = 0; i < e->count; i++) {
        struct node *x = &e->nodes[i];
        CUresult r = CUDA_SUCCESS;
        if (x->kind == N_KERNEL) r = run_kernel(x->fn, x->dims, x->params);
        else if (x->kind == N_HOST) x->host(x->data);
        else run_copy(x);
        if (r != CUDA_SUCCESS) return r;
    }
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuGraphExecDestroy(CUgraphExec hGraphExec) { free_nodes((struct fake_graph *)hGraphExec); return CUDA_SUCCESS; }
CUresult CUDAAPI cuGraphDestroy(CUgraph hGraph) { free_nodes((struct fake_graph *)hGraph); return CUDA_SUCCESS; }

/* ---------------------------------------------------------------- entry points */
struct entry { const char *name; void *fn; };
#define E(n) {#n, (void *)&n}
static const struct entry ENTRIES[] = {
    E(cuGetErrorName), E(cuGetErrorString), E(cuInit), E(cuDriverGetVersion), E(cuDeviceGetCount),
    E(cuDeviceGet), E(cuDeviceGetName), E(cuDeviceGetAttribute),
    {"cuDeviceTotalMem", (void *)&cuDeviceTotalMem_v2}, E(cuDevicePrimaryCtxRetain),
    {"cuDevicePrimaryCtxRelease", (void *)&cuDevicePrimaryCtxRelease_v2}, E(cuCtxSetCurrent), E(cuCtxSynchronize),
    {"cuMemFree", (void *)&cuMemFree_v2}, {"cuMemGetInfo", (void *)&cuMemGetInfo_v2},
    {"cuMemcpyHtoDAsync", (void *)&cuMemcpyHtoDAsync_v2}, {"cuMemcpyDtoHAsync", (void *)&cuMemcpyDtoHAsync_v2},
    {"cuMemcpyDtoDAsync", (void *)&cuMemcpyDtoDAsync_v2}, E(cuMemsetD32Async), E(cuMemsetD8Async),
    E(cuMemHostAlloc), E(cuMemFreeHost), E(cuStreamCreate), {"cuStreamDestroy", (void *)&cuStreamDestroy_v2},
    E(cuStreamSynchronize), E(cuEventCreate), E(cuEventRecord), E(cuEventSynchronize),
    {"cuEventElapsedTime", (void *)&cuEventElapsedTime_v2}, {"cuEventDestroy", (void *)&cuEventDestroy_v2},
    E(cuModuleLoadDataEx), E(cuModuleGetFunction), E(cuModuleUnload), E(cuFuncGetAttribute),
    E(cuFuncSetAttribute), E(cuLaunchKernel), E(cuLaunchHostFunc),
    E(cuStreamBeginCapture), E(cuStreamEndCapture), E(cuStreamIsCapturing), E(cuGraphGetNodes),
    E(cuGraphInstantiateWithFlags), E(cuGraphUpload), E(cuGraphLaunch), E(cuGraphExecDestroy), E(cuGraphDestroy),
};

CUresult CUDAAPI cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags,
                                  CUdriverProcAddressQueryResult *symbolStatus) {
    (void)flags;
    last_proc_version = cudaVersion;
    *pfn = NULL;
    if (strcmp(symbol, "cuMemAlloc") == 0) {          /* versioned: the 64-bit ABI from 3.2 on */
        *pfn = cudaVersion >= 3020 ? (void *)&cuMemAlloc_v2 : (void *)&cuMemAlloc;
    } else {
        for (size_t i = 0; i < sizeof ENTRIES / sizeof ENTRIES[0]; i++) {
            if (strcmp(symbol, ENTRIES[i].name) == 0) { *pfn = ENTRIES[i].fn; break; }
        }
    }
    if (*pfn == NULL) {
        if (symbolStatus) *symbolStatus = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
        return CUDA_ERROR_NOT_FOUND;
    }
    if (symbolStatus) *symbolStatus = CU_GET_PROC_ADDRESS_SUCCESS;
    return CUDA_SUCCESS;
}
