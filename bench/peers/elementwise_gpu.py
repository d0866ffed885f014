#!/usr/bin/env python3
"""PyTorch peer of ElementwiseGpuBench: the same ops on 256 MiB float32 CUDA tensors, bytes counting
reads plus writes, CUDA-event medians of 30 after 5 warm-ups, ratio to the measured copy bandwidth.
Usage: python3 elementwise_gpu.py [MiB]"""
import sys
import torch
import torch.nn.functional as F


def median_ms(fn, warm=5, reps=30):
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
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    n = mib << 18
    nbytes = 4.0 * n
    g = torch.Generator(device="cuda").manual_seed(1)
    x = torch.randn(n, device="cuda", generator=g)
    y = torch.randn(n, device="cuda", generator=g)
    rows = x.view(n // 4096, 4096)
    ops = [
        ("copy (clone)", lambda: x.clone(), 2.0),
        ("x + y", lambda: x + y, 3.0),
        ("x * 2.5", lambda: x * 2.5, 2.0),
        ("exp(x)", lambda: torch.exp(x), 2.0),
        ("gelu(x)", lambda: F.gelu(x), 2.0),
        ("x += 0.5 y", lambda: x.add_(y, alpha=0.5), 3.0),
        ("x + y[broadcast rows]", lambda: rows + y[:4096], 2.0),
        ("sum(x)", lambda: x.sum(), 1.0),
        ("sum(rows, 1)", lambda: rows.sum(1), 1.0),
        ("max(x)", lambda: x.max(), 1.0),
        ("softmax(rows, 1)", lambda: torch.softmax(rows, 1), 2.0),
        ("to(BF16)", lambda: x.bfloat16(), 1.5),
    ]
    print("device", torch.cuda.get_device_name(0), "torch", torch.__version__, f"{mib} MiB per tensor")
    print(f"{'op':<24} {'ms':>9} {'GB/s':>9} {'vs copy':>9}")
    copy = None
    for name, fn, factor in ops:
        ms = median_ms(fn)
        gbs = nbytes * factor / (ms * 1e-3) / 1e9
        copy = copy or gbs
        print(f"{name:<24} {ms:>9.3f} {gbs:>9.1f} {100 * gbs / copy:>8.0f}%")


if __name__ == "__main__":
    main()
