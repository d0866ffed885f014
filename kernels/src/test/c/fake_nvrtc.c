/*
 * A fake NVRTC (libnvrtc.so.13) for tests without the CUDA toolkit's NVRTC: it writes the program
 * and its in-memory headers to a temporary folder and runs nvcc, so the run-time compilation path
 * (options, headers, CUBIN/PTX retrieval, compile errors with the log) is exercised for real.
 * Prototypes are restated from the NVRTC documentation (nvrtc.h is not on these machines).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int nvrtcResult;
typedef struct fake_program *nvrtcProgram;

struct fake_program {
    char *src, *name;
    int nh;
    char **headers, **names;
    char *log, *cubin, *ptx;
    size_t cubin_len, ptx_len;
};

static long compiles;
long fake_nvrtc_compiles(void) { return compiles; }

static char *dup_str(const char *s) { size_t n = strlen(s) + 1; char *r = malloc(n); memcpy(r, s, n); return r; }

nvrtcResult nvrtcVersion(int *major, int *minor) { *major = 13; *minor = 0; return 0; }
nvrtcResult nvrtcGetNumSupportedArchs(int *n) { *n = 1; return 0; }

const char *nvrtcGetErrorString(nvrtcResult r) {
    switch (r) {
        case 0: return "NVRTC_SUCCESS";
        case 3: return "NVRTC_ERROR_INVALID_INPUT";
        case 4: return "NVRTC_ERROR_INVALID_PROGRAM";
        case 6: return "NVRTC_ERROR_COMPILATION";
        default: return "NVRTC_ERROR_INTERNAL_ERROR";
    }
}

nvrtcResult nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name, int numHeaders,
                               const char *const *headers, const char *const *includeNames) {
    if (prog == NULL || src == NULL) return 3;
    struct fake_program *p = calloc(1, sizeof *p);
    p->src = dup_str(src);
    p->name = dup_str(name ? name : "program.cu");
    p->nh = numHeaders;
    p->headers = calloc((size_t)numHeaders + 1, sizeof(char *));
    p->names = calloc((size_t)numHeaders + 1, sizeof(char *));
    for (int i = 0; i < numHeaders; i++) {
        p->headers[i] = dup_str(headers[i]);
        p->names[i] = dup_str(includeNames[i]);
    }
    *prog = p;
    return 0;
}

static void write_file(const char *dir, const char *name, const char *text) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = 0;
    fclose(f);
    *len = got;
    return b;
}

nvrtcResult nvrtcCompileProgram(nvrtcProgram p, int numOptions, const char *const *options) {
    char dir[] = "/tmp/fake-nvrtc-XXXXXX";
    if (!mkdtemp(dir)) return 11;
    for (int i = 0; i < p->nh; i++) write_file(dir, p->names[i], p->headers[i]);
    write_file(dir, "program.cu", p->src);
    char arch[64] = "sm_80", extra[2048] = "";
    int want_ptx = 0;
    for (int i = 0; i < numOptions; i++) {
        const char *o = options[i];
        if (strncmp(o, "--gpu-architecture=", 19) == 0) snprintf(arch, sizeof arch, "%s", o + 19);
        else if (strncmp(o, "-arch=", 6) == 0) snprintf(arch, sizeof arch, "%s", o + 6);
        else if (strcmp(o, "--std=c++17") == 0) strncat(extra, " -std=c++17", sizeof extra - strlen(extra) - 1);
        else { strncat(extra, " ", sizeof extra - strlen(extra) - 1); strncat(extra, o, sizeof extra - strlen(extra) - 1); }
    }
    if (strncmp(arch, "compute_", 8) == 0) want_ptx = 1;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd %s && nvcc %s -arch=%s %s -I. -o out.bin program.cu > log.txt 2>&1",
             dir, want_ptx ? "-ptx" : "-cubin", arch, extra);
    int rc = system(cmd);
    compiles++;
    char path[4096];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/log.txt", dir);
    free(p->log);
    p->log = read_file(path, &n);
    if (p->log == NULL) p->log = dup_str("");
    if (rc != 0) return 6;
    snprintf(path, sizeof path, "%s/out.bin", dir);
    char *bin = read_file(path, &n);
    if (bin == NULL) return 11;
    if (want_ptx) { p->ptx = bin; p->ptx_len = n + 1; }
    else { p->cubin = bin; p->cubin_len = n; }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) { /* a stray temp folder is harmless */ }
    return 0;
}

nvrtcResult nvrtcGetCUBINSize(nvrtcProgram p, size_t *n) { if (!p->cubin) return 4; *n = p->cubin_len; return 0; }
nvrtcResult nvrtcGetCUBIN(nvrtcProgram p, char *out) { if (!p->cubin) return 4; memcpy(out, p->cubin, p->cubin_len); return 0; }
nvrtcResult nvrtcGetPTXSize(nvrtcProgram p, size_t *n) { if (!p->ptx) return 4; *n = p->ptx_len; return 0; }
nvrtcResult nvrtcGetPTX(nvrtcProgram p, char *out) { if (!p->ptx) return 4; memcpy(out, p->ptx, p->ptx_len); return 0; }
nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram p, size_t *n) { *n = (p->log ? strlen(p->log) : 0) + 1; return 0; }
nvrtcResult nvrtcGetProgramLog(nvrtcProgram p, char *out) { strcpy(out, p->log ? p->log : ""); return 0; }

nvrtcResult nvrtcDestroyProgram(nvrtcProgram *pp) {
    struct fake_program *p = *pp;
    if (!p) return 4;
    for (int i = 0; i < p->nh; i++) { free(p->headers[i]); free(p->names[i]); }
    free(p->headers); free(p->names); free(p->src); free(p->name); free(p->log); free(p->cubin); free(p->ptx);
    free(p);
    *pp = NULL;
    return 0;
}
