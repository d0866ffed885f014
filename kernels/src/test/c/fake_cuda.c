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
    return emu_launch ? 0 : 2;
}
long fake_live_allocs(void) { return live_allocs; }
long fake_total_allocs(void) { return total_allocs; }
size_t fake_last_alloc_size(void) { return last_alloc_size; }
long fake_launches(void) { return launches; }
int fake_last_proc_version(void) { return last_proc_version; }
void fake_last_launch(int *out8) { memcpy(out8, last_launch, sizeof last_launch); }

static CUresult maybe_fail(const char *fn) {
    if (fail_times > 0 && strcmp(fn, fail_fn) == 0) {
        fail_times--;
        return (CUresult)fail_code;
    }
    return CUDA_SUCCESS;
}
#define FAILPOINT(name) do { CUresult r_ = maybe_fail(name); if (r_ != CUDA_SUCCESS) return r_; } while (0)

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
CUresult CUDAAPI cuCtxSynchronize(void) { FAILPOINT("cuCtxSynchronize"); return CUDA_SUCCESS; }

/* ---------------------------------------------------------------- memory */
CUresult CUDAAPI cuMemAlloc(CUdeviceptr *dptr, size_t bytesize) {
    FAILPOINT("cuMemAlloc");
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
    if ((uintptr_t)dptr < ((uintptr_t)1 << 46)) free((void *)(uintptr_t)dptr);
    live_allocs--;
    return CUDA_SUCCESS;
}
#undef cuMemAlloc
/* The pre-3.2 ABI with 32-bit sizes: what an unversioned dlsym("cuMemAlloc") would find. Never to be used. */
CUresult CUDAAPI cuMemAlloc(unsigned int *dptr, unsigned int bytesize) { (void)dptr; (void)bytesize; return CUDA_ERROR_NOT_SUPPORTED; }
CUresult CUDAAPI cuMemGetInfo(size_t *free_, size_t *total) { *free_ = (size_t)79 << 30; *total = (size_t)80 << 30; return CUDA_SUCCESS; }
CUresult CUDAAPI cuMemcpyHtoDAsync(CUdeviceptr dst, const void *src, size_t n, CUstream s) {
    (void)s; FAILPOINT("cuMemcpyHtoDAsync"); memcpy((void *)(uintptr_t)dst, src, n); return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemcpyDtoHAsync(void *dst, CUdeviceptr src, size_t n, CUstream s) {
    (void)s; FAILPOINT("cuMemcpyDtoHAsync"); memcpy(dst, (const void *)(uintptr_t)src, n); return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    (void)s; memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n); return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemsetD32Async(CUdeviceptr dst, unsigned int ui, size_t n, CUstream s) {
    (void)s;
    unsigned int *p = (unsigned int *)(uintptr_t)dst;
    for (size_t i = 0; i < n; i++) p[i] = ui;
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemsetD8Async(CUdeviceptr dst, unsigned char uc, size_t n, CUstream s) {
    (void)s; memset((void *)(uintptr_t)dst, uc, n); return CUDA_SUCCESS;
}
CUresult CUDAAPI cuMemHostAlloc(void **pp, size_t bytesize, unsigned int flags) {
    (void)flags; *pp = malloc(bytesize); return *pp ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}
CUresult CUDAAPI cuMemFreeHost(void *p) { free(p); return CUDA_SUCCESS; }

/* ---------------------------------------------------------------- streams and events */
static int stream_token, event_token;
CUresult CUDAAPI cuStreamCreate(CUstream *ph, unsigned int flags) { (void)flags; *ph = (CUstream)&stream_token; return CUDA_SUCCESS; }
CUresult CUDAAPI cuStreamDestroy(CUstream h) { (void)h; return CUDA_SUCCESS; }
CUresult CUDAAPI cuStreamSynchronize(CUstream h) { (void)h; FAILPOINT("cuStreamSynchronize"); return CUDA_SUCCESS; }
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
CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
                                unsigned int bx, unsigned int by, unsigned int bz, unsigned int shared,
                                CUstream hStream, void **kernelParams, void **extra) {
    (void)hStream; (void)extra;
    FAILPOINT("cuLaunchKernel");
    int dims[8] = {(int)gx, (int)gy, (int)gz, (int)bx, (int)by, (int)bz, (int)shared, 0};
    memcpy(last_launch, dims, sizeof dims);
    launches++;
    struct fake_function *fn = (struct fake_function *)f;
    if (strcmp(fn->name, "fake_saxpy") == 0) {   /* (int n, float a, const float *x, float *y) */
        int n = *(int *)kernelParams[0];
        float a = *(float *)kernelParams[1];
        const float *x = (const float *)(uintptr_t)*(CUdeviceptr *)kernelParams[2];
        float *y = (float *)(uintptr_t)*(CUdeviceptr *)kernelParams[3];
        for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
    } else if (emu_launch) {
        int rc = emu_launch(fn->name, gx, gy, gz, bx, by, bz, shared, kernelParams);
        if (rc == 500) return CUDA_ERROR_NOT_FOUND;
        if (rc != 0) return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

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
    E(cuFuncSetAttribute), E(cuLaunchKernel),
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
