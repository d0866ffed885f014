#!/usr/bin/env python3
"""PyTorch peer of GemmGpuBench: torch.matmul of two n x n float32 CUDA tensors in F32 (TF32 off),
TF32 (allow_tf32) and BF16 (bfloat16 operands, as Tessera's BF16 mode computes them), timed with
CUDA events (median of 50 after 10 warm-ups). Usage: python3 gemm_gpu.py [1024,2048,4096,8192]"""
import sys
import torch


def median_ms(fn, warm=10, reps=50):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    return times[len(times) // 2]


def main():
    sizes = [int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else [1024, 2048, 4096, 8192]
    print("device", torch.cuda.get_device_name(0), "torch", torch.__version__, "cuda", torch.version.cuda)
    print(f"{'n':<6} {'prec':<5} {'ms':>10} {'TFLOP/s':>10}")
    for n in sizes:
        g = torch.Generator(device="cuda").manual_seed(1)
        a = torch.randn(n, n, device="cuda", generator=g)
        b = torch.randn(n, n, device="cuda", generator=g)
        for prec in ("F32", "TF32", "BF16"):
            torch.backends.cuda.matmul.allow_tf32 = prec == "TF32"
            if prec == "BF16":
                a16, b16 = a.bfloat16(), b.bfloat16()
                fn = lambda: torch.matmul(a16, b16)
            else:
                fn = lambda: torch.matmul(a, b)
            ms = median_ms(fn)
            print(f"{n:<6} {prec:<5} {ms:>10.3f} {2 * n ** 3 / (ms * 1e-3) / 1e12:>10.1f}")
    torch.backends.cuda.matmul.allow_tf32 = False


if __name__ == "__main__":
    main()
