#!/usr/bin/env python3
"""PyTorch peer of TrainStepBench: one training step of an MLP 512-512-512-1 (ReLU, float32),
batch 256, MSE loss, AdamW (lr 1e-3, weight decay 0.01), eager mode.

Run with Debian's interpreter (python3-torch 1.13) from anywhere:

    OPENBLAS_CORETYPE=SkylakeX python3 bench/peers/mlp_train.py --threads 1,2

OpenBLAS reads its environment at load time, so each thread count runs in a fresh child process
with OPENBLAS_NUM_THREADS equal to the torch thread count (t1b1, t2b2) unless --blas-threads is
given. --malloc adds MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2^40 (glibc keeps freed blocks, so
activations do not fault in again every step). Prints median and best samples/s over --repeats
timed windows of at least --seconds each.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BATCH = 256
DIMS = [512, 512, 512, 1]


def worker(threads, repeats, seconds, warmup):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(42)
    layers = []
    for i in range(len(DIMS) - 1):
        layers.append(torch.nn.Linear(DIMS[i], DIMS[i + 1]))
        if i + 2 < len(DIMS):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    loss_fn = torch.nn.MSELoss()
    x = torch.randn(BATCH, DIMS[0])
    y = torch.randn(BATCH, 1)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    t_end = time.perf_counter() + warmup
    while time.perf_counter() < t_end:
        step()
    rates = []
    for _ in range(repeats):
        n = 0
        t0 = time.perf_counter()
        while True:
            step()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= seconds:
                break
        rates.append(n * BATCH / dt)
    corename = ""
    try:
        import ctypes
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        corename = lib.openblas_get_corename().decode()
    except OSError:
        pass
    return {"threads": threads, "blas_threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0")),
            "openblas_core": corename, "torch": torch.__version__,
            "median_samples_per_s": statistics.median(rates), "best_samples_per_s": max(rates),
            "rates": rates}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1,2", help="comma-separated torch thread counts")
    ap.add_argument("--blas-threads", type=int, default=0, help="OpenBLAS threads (default: = torch threads)")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--malloc", action="store_true", help="keep freed memory in glibc (no mmap per activation)")
    ap.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeats, args.seconds, args.warmup)))
        return
    rows = []
    for t in [int(s) for s in args.threads.split(",")]:
        env = dict(os.environ)
        env["OPENBLAS_NUM_THREADS"] = str(args.blas_threads or t)
        env["OMP_NUM_THREADS"] = str(t)
        if args.malloc:
            env["MALLOC_MMAP_MAX_"] = "0"
            env["MALLOC_TRIM_THRESHOLD_"] = str(2 ** 40)
        out = subprocess.run([sys.executable, __file__, "--worker", str(t), "--repeats", str(args.repeats),
                              "--seconds", str(args.seconds), "--warmup", str(args.warmup)],
                             env=env, check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        rows.append(r)
    print("| torch threads | OpenBLAS threads | OpenBLAS core | malloc | median samples/s | best samples/s |")
    print("|--:|--:|---|---|--:|--:|")
    for r in rows:
        print(f"| {r['threads']} | {r['blas_threads']} | {r['openblas_core']} | {'yes' if args.malloc else 'no'} | "
              f"{r['median_samples_per_s']:.0f} | {r['best_samples_per_s']:.0f} |")


if __name__ == "__main__":
    main()
