#!/usr/bin/env python3
"""PyTorch peer of MoeGpuBench: the eager sparse MoE layers of shared/peers/torch/moe_layer.py on CUDA.
8 experts Linear(D, F) -> GELU -> Linear(F, D), top-2 softmax router with renormalised gates,
capacity factor 1.25 with overflow dropped in GShard order (all first choices, then second ones).
Implementations: "gather" (loop over experts: x[idx] -> expert -> index_add) and "capacity-bmm"
(one [E, C, D] buffer and two baddbmm, Switch/GShard style). Precisions: fp32 (TF32 off), tf32, and
bf16 autocast. Forward and forward+backward (fixed upstream gradient), median of 10 CUDA-event
timings after 3 warm-ups; TFLOP/s over E * C slots (as the Java side counts), 3x for forward+backward.
Usage: python3 moe_gpu.py [tokens dModel hidden]"""
import math
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F

E, TOPK, CF = 8, 2, 1.25


class Expert(nn.Module):
    def __init__(self, d, f):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, f), nn.Linear(f, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class SparseTop2MoE(nn.Module):
    def __init__(self, d, f, impl):
        super().__init__()
        self.d, self.impl = d, impl
        self.router = nn.Linear(d, E, bias=False)
        self.experts = nn.ModuleList([Expert(d, f) for _ in range(E)])

    def forward(self, x):
        n = x.shape[0]
        probs = torch.softmax(self.router(x).float(), dim=-1)
        top_w, top_e = probs.topk(TOPK, dim=-1)
        top_w = top_w / top_w.sum(-1, keepdim=True)
        capacity = int(math.ceil(CF * n * TOPK / E))
        flat_e = top_e.t().reshape(-1)
        onehot = F.one_hot(flat_e, E)
        pos = ((onehot.cumsum(0) - 1) * onehot).sum(-1)
        keep = pos < capacity
        tok = torch.arange(n, device=x.device).repeat(TOPK)
        w = top_w.t().reshape(-1)
        out = torch.zeros_like(x)
        if self.impl == "gather":
            for e, expert in enumerate(self.experts):
                sel = keep & (flat_e == e)
                idx = tok[sel]
                out = out.index_add(0, idx, (expert(x[idx]) * w[sel].unsqueeze(-1)).to(out.dtype))
        else:
            k_e, k_pos, k_tok, k_w = flat_e[keep], pos[keep], tok[keep], w[keep]
            slot = k_e * capacity + k_pos
            buf = x.new_zeros(E * capacity, self.d).index_copy(0, slot, x[k_tok]).view(E, capacity, self.d)
            W1 = torch.stack([ex.fc1.weight.t() for ex in self.experts])
            b1 = torch.stack([ex.fc1.bias for ex in self.experts]).unsqueeze(1)
            W2 = torch.stack([ex.fc2.weight.t() for ex in self.experts])
            b2 = torch.stack([ex.fc2.bias for ex in self.experts]).unsqueeze(1)
            h = torch.baddbmm(b2, F.gelu(torch.baddbmm(b1, buf, W1)), W2)
            out = out.index_add(0, k_tok, (h.reshape(-1, self.d)[slot] * k_w.unsqueeze(-1)).to(out.dtype))
        return out


def median_ms(fn, warm=3, reps=10):
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
    tokens, d, f = (int(a) for a in sys.argv[1:4]) if len(sys.argv) > 3 else (16384, 1024, 4096)
    print("device", torch.cuda.get_device_name(0), "torch", torch.__version__, "cuda", torch.version.cuda)
    cap = int(math.ceil(CF * tokens * TOPK / E))
    flop = 2.0 * 2.0 * E * cap * d * f
    print(f"tokens {tokens}, d {d}, hidden {f}, {E} experts, top-{TOPK}, capacity {cap} per expert")
    print(f"{'case':<40} {'fwd ms':>9} {'TFLOP/s':>8} {'f+b ms':>9} {'TFLOP/s':>8}")
    torch.manual_seed(1)
    x = torch.randn(tokens, d, device="cuda")
    gy = torch.randn(tokens, d, device="cuda")
    for impl in ("gather", "capacity-bmm"):
        layer = SparseTop2MoE(d, f, impl).cuda()
        for prec in ("fp32", "tf32", "bf16"):
            torch.backends.cuda.matmul.allow_tf32 = prec == "tf32"
            ctx = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if prec == "bf16" else (lambda: torch.autocast("cuda", enabled=False))

            def fwd():
                with torch.no_grad(), ctx():
                    layer(x)

            def fb():
                xi = x.detach().requires_grad_()
                with ctx():
                    out = layer(xi)
                out.backward(gy)
                layer.zero_grad(set_to_none=True)

            a, b = median_ms(fwd), median_ms(fb)
            print(f"{'torch eager ' + impl + ', ' + prec:<40} {a:>9.3f} {flop / a / 1e9:>8.1f} {b:>9.3f} {3 * flop / b / 1e9:>8.1f}")
    torch.backends.cuda.matmul.allow_tf32 = False


if __name__ == "__main__":
    main()
