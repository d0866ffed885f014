// Launches emulated kernels: blocks in order; within a block, one ucontext per thread for kernels
// that synchronise (barriers and warp shuffles release when every live thread of the block / warp
// waits), plain sequential calls for the others.
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>
#include "emu.h"

uint3 threadIdx, blockIdx, blockDim, gridDim;
unsigned long long emu_slots[1024];
unsigned emu_frag[1024][8];
unsigned char* emu_dyn_smem;

typedef const EmuKernel* (*EmuTable)();
extern const EmuTable emu_module_tables[];

enum { RUN, BLOCK_WAIT, WARP_WAIT, DONE };
static ucontext_t sched_ctx;
static ucontext_t* lane_ctx;
static int* lane_state;
static char* stacks;
static int nlanes, current, sync_mode;
static void (*cur_fn)(void**);
static void** cur_params;
static const size_t STACK = 256 * 1024;

static void wait_as(int state) {
    if (!sync_mode) {
        fprintf(stderr, "emu: kernel synchronises but is not marked as synchronising\n");
        abort();
    }
    lane_state[current] = state;
    swapcontext(&lane_ctx[current], &sched_ctx);
    threadIdx.x = (unsigned)current;
}
void emu_syncthreads() { wait_as(BLOCK_WAIT); }
void emu_syncwarp() { wait_as(WARP_WAIT); }

static void lane_main() {
    cur_fn(cur_params);
    lane_state[current] = DONE;
    swapcontext(&lane_ctx[current], &sched_ctx);
}

static void run_block_sync() {
    for (int l = 0; l < nlanes; l++) {
        getcontext(&lane_ctx[l]);
        lane_ctx[l].uc_stack.ss_sp = stacks + (size_t)l * STACK;
        lane_ctx[l].uc_stack.ss_size = STACK;
        lane_ctx[l].uc_link = NULL;
        makecontext(&lane_ctx[l], lane_main, 0);
        lane_state[l] = RUN;
    }
    for (;;) {
        int ran = 0;
        for (int l = 0; l < nlanes; l++) {
            if (lane_state[l] != RUN) continue;
            current = l;
            threadIdx.x = (unsigned)l;
            swapcontext(&sched_ctx, &lane_ctx[l]);
            ran = 1;
        }
        int live = 0, blockWait = 0;
        for (int l = 0; l < nlanes; l++) {
            if (lane_state[l] != DONE) live++;
            if (lane_state[l] == BLOCK_WAIT) blockWait++;
        }
        if (live == 0) return;
        int released = 0;
        for (int w = 0; w * 32 < nlanes; w++) {
            int wl = 0, ww = 0;
            for (int l = w * 32; l < nlanes && l < w * 32 + 32; l++) {
                if (lane_state[l] != DONE) wl++;
                if (lane_state[l] == WARP_WAIT) ww++;
            }
            if (wl > 0 && ww == wl) {
                for (int l = w * 32; l < nlanes && l < w * 32 + 32; l++) lane_state[l] = RUN;
                released = 1;
            }
        }
        if (blockWait == live) {
            for (int l = 0; l < nlanes; l++) if (lane_state[l] == BLOCK_WAIT) lane_state[l] = RUN;
            released = 1;
        }
        if (!ran && !released) {
            fprintf(stderr, "emu: deadlock (threads wait at different barriers)\n");
            abort();
        }
    }
}

static const EmuKernel* find_kernel(const char* name) {
    for (int m = 0; emu_module_tables[m]; m++)
        for (const EmuKernel* e = emu_module_tables[m](); e->name; e++)
            if (strcmp(e->name, name) == 0) return e;
    return NULL;
}

/** Sizes of kernel `name`'s parameters into sizes[0, max); returns their number (0 when unknown). */
extern "C" int emu_param_sizes(const char* name, int* sizes, int max) {
    const EmuKernel* k = find_kernel(name);
    if (!k) return 0;
    int n = k->nparams < max ? k->nparams : max;
    for (int i = 0; i < n; i++) sizes[i] = k->psizes[i];
    return n;
}

extern "C" int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                          unsigned bz, unsigned shared, void** params) {
    const EmuKernel* k = find_kernel(name);
    if (!k) return 500;
    if (by != 1 || bz != 1 || gz != 1 || bx > 1024) return 1;
    if (shared > 0) {
        emu_dyn_smem = (unsigned char*)aligned_alloc(16, (shared + 15) & ~15u);
        memset(emu_dyn_smem, 0, shared);
    }
    gridDim.x = gx; gridDim.y = gy; gridDim.z = 1;
    blockDim.x = bx; blockDim.y = 1; blockDim.z = 1;
    threadIdx.y = threadIdx.z = 0;
    cur_fn = k->fn;
    cur_params = params;
    sync_mode = k->sync;
    nlanes = (int)bx;
    if (sync_mode) {
        lane_ctx = (ucontext_t*)calloc(bx, sizeof(ucontext_t));
        lane_state = (int*)calloc(bx, sizeof(int));
        stacks = (char*)malloc(STACK * bx);
    }
    for (unsigned y = 0; y < gy; y++) {
        for (unsigned x = 0; x < gx; x++) {
            blockIdx.x = x; blockIdx.y = y; blockIdx.z = 0;
            if (sync_mode) {
                run_block_sync();
            } else {
                for (unsigned t = 0; t < bx; t++) {
                    threadIdx.x = t;
                    k->fn(params);
                }
            }
        }
    }
    if (sync_mode) {
        free(lane_ctx);
        free(lane_state);
        free(stacks);
    }
    if (shared > 0) {
        free(emu_dyn_smem);
        emu_dyn_smem = NULL;
    }
    return 0;
}
