#!/usr/bin/python3
"""float32 GEMM GFLOP/s of NumPy (OpenBLAS) for the shapes of GemmBench, as the reference column.

Run with the OpenBLAS kernel and thread count fixed before NumPy loads, e.g.
  OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=2 python3 bench/scripts/numpy_gemm.py
Per shape: warm-up, then repeats of at least 0.1 s each; prints best and median GFLOP/s.
Shapes are (label, batch, M, K, N, layout) with C[M,N] = op(A)[M,K] @ op(B)[K,N];
NT = B stored transposed (N x K), TN = A stored transposed (K x M).
"""
import statistics
import sys
import time

import numpy as np

SQUARE = [("square %d" % s, 1, s, s, s, "NN") for s in (64, 128, 256, 512, 1024, 2048)]
TRANSFORMER = [
    ("QKV 4096x128@128x384", 1, 4096, 128, 384, "NT"),
    ("attn-out 4096x128@128x128", 1, 4096, 128, 128, "NT"),
    ("FFN-up 4096x128@128x512", 1, 4096, 128, 512, "NN"),
    ("FFN-up 4096x128@128x512", 1, 4096, 128, 512, "NT"),
    ("FFN-down 4096x512@512x128", 1, 4096, 512, 128, "NT"),
    ("dW 128x4096@4096x512", 1, 128, 4096, 512, "TN"),
    ("dX 4096x512@512x128", 1, 4096, 512, 128, "NN"),
    ("scores 64x(256x32@32x256)", 64, 256, 32, 256, "NT"),
    ("context 64x(256x256@256x32)", 64, 256, 256, 32, "NN"),
    ("d384 FFN-up 4096x384@384x1024", 1, 4096, 384, 1024, "NT"),
    ("d384 FFN-down 4096x1024@1024x384", 1, 4096, 1024, 384, "NT"),
    ("expert 1280x384@384x1024", 1, 1280, 384, 1024, "NT"),
    ("d192 QKV 9984x192@192x576", 1, 9984, 192, 576, "NT"),
    ("d192 FFN-down 9984x576@576x192", 1, 9984, 576, 192, "NT"),
]


def operand(rng, batch, rows, cols, transposed):
    shape = (cols, rows) if transposed else (rows, cols)
    x = rng.standard_normal((batch,) + shape, dtype=np.float32)
    x = np.swapaxes(x, -1, -2) if transposed else x
    return x if batch > 1 else x[0]


def measure(batch, m, k, n, layout, reps=5, min_rep=0.1):
    rng = np.random.default_rng(0)
    a = operand(rng, batch, m, k, layout[0] == "T")
    b = operand(rng, batch, k, n, layout[1] == "T")
    c = np.empty((batch, m, n) if batch > 1 else (m, n), dtype=np.float32)
    flop = 2.0 * batch * m * n * k
    calls = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            np.matmul(a, b, out=c)
        if time.perf_counter() - t0 >= min_rep:
            break
        calls *= 2
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(calls):
            np.matmul(a, b, out=c)
        rates.append(flop * calls / (time.perf_counter() - t0) / 1e9)
    return max(rates), statistics.median(rates)


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    shapes = (SQUARE if which in ("all", "square") else []) + (TRANSFORMER if which in ("all", "transformer") else [])
    for label, batch, m, k, n, layout in shapes:
        best, med = measure(batch, m, k, n, layout)
        print("%-36s %s  best %6.1f  median %6.1f GFLOP/s" % (label, layout, best, med), flush=True)


if __name__ == "__main__":
    main()
