#!/usr/bin/env python3
"""PyTorch peer of MHeightGpuTrainBench: training throughput of the m-height model on CUDA.

The model is the one of shared/peers/torch/mheight_model.py with column tokens (as Tessera's
MHeightModel): one token per column P[:, j] (Linear(6, d) + column embedding + type embedding) plus
n, k, m tokens; 6 pre-LN nn.TransformerEncoderLayer (d_model 192, 6 heads, FFN 576, GELU, dropout 0)
with a final LayerNorm, masked mean pooling, a soft-gated 7-expert head (Linear(192, 168) -> GELU ->
Linear(168, 1)). Step: zero grads, forward, MSE, backward, AdamW(lr 3e-4, weight decay 0.01), the
batch copied to the GPU inside the step and the loss read back (float(loss)), as Tessera's step.
Modes: eager fp32 (TF32 off), eager tf32, eager bf16 autocast, torch.compile fp32 and tf32 (default
mode) and, when it works, torch.compile mode="reduce-overhead" (CUDA graphs). Median of 20 steps
after warm-up (compile warms up longer), wall time; samples/s = batch / time.
Usage: python3 mheight_gpu.py [256,1024,4096]"""
import statistics
import sys
import time
import torch
from torch import nn

MAX_K, MAX_R = 6, 6
HP = dict(d_model=192, nhead=6, dim_ff=576, num_layers=6, n_experts=7, expert_hidden=168)


class MHeightNet(nn.Module):
    def __init__(self):
        super().__init__()
        d = HP["d_model"]
        self.n_emb, self.k_emb, self.m_emb = nn.Embedding(11, d), nn.Embedding(MAX_K + 1, d), nn.Embedding(11, d)
        self.type_emb = nn.Embedding(4, d)
        self.val_proj = nn.Linear(MAX_K, d)
        self.col_emb = nn.Embedding(MAX_R, d)
        layer = nn.TransformerEncoderLayer(d, HP["nhead"], HP["dim_ff"], 0.0, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, HP["num_layers"], norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.gate = nn.Linear(d, HP["n_experts"])
        self.experts = nn.ModuleList([nn.Sequential(nn.Linear(d, HP["expert_hidden"]), nn.GELU(), nn.Linear(HP["expert_hidden"], 1))
                                      for _ in range(HP["n_experts"])])
        self.register_buffer("colidx", torch.arange(MAX_R), persistent=False)
        self.register_buffer("special_types", torch.arange(3), persistent=False)

    def forward(self, n, k, m, P, pmask):
        B = P.shape[0]
        x = self.val_proj(P.transpose(1, 2)) + self.col_emb(self.colidx) + self.type_emb.weight[3]
        valid = pmask.any(dim=1)
        special = torch.stack([self.n_emb(n), self.k_emb(k), self.m_emb(m)], dim=1) + self.type_emb(self.special_types)
        x = torch.cat([special, x], dim=1)
        valid = torch.cat([torch.ones(B, 3, dtype=torch.bool, device=P.device), valid], dim=1)
        h = self.encoder(x, src_key_padding_mask=~valid)
        w = valid.unsqueeze(-1).to(h.dtype)
        pooled = (h * w).sum(1) / w.sum(1)
        g = torch.softmax(self.gate(pooled), dim=-1)
        e = torch.cat([ex(pooled) for ex in self.experts], dim=-1)
        return (g * e).sum(-1)


def synth_batch(B, gen):
    n = torch.randint(9, 11, (B,), generator=gen)
    k = torch.randint(4, 7, (B,), generator=gen)
    r = n - k
    m = torch.minimum(2 + (torch.rand(B, generator=gen) * (r - 1).float()).long(), r)
    pmask = (torch.arange(MAX_K).view(1, MAX_K, 1) < k.view(B, 1, 1)) & (torch.arange(MAX_R).view(1, 1, MAX_R) < r.view(B, 1, 1))
    P = torch.randn(B, MAX_K, MAX_R, generator=gen) * pmask
    y = torch.log2(1 + (P.abs().amax(dim=(1, 2)) + 1) * m.float() / k.float() * (P.abs().sum((1, 2)) + 1))
    return n, k, m, P, pmask, y


def run(mode, B, batches):
    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = "tf32" in mode
    torch.backends.cudnn.allow_tf32 = "tf32" in mode
    model = MHeightNet().cuda().train()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    fwd = model
    if mode.startswith("compile"):
        fwd = torch.compile(model, mode="reduce-overhead" if "graphs" in mode else None)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if "bf16" in mode else torch.autocast("cuda", enabled=False)
    loss_val = [0.0]

    def step(b):
        n, k, m, P, pmask, y = (t.cuda(non_blocking=False) for t in b)
        opt.zero_grad(set_to_none=True)
        with amp:
            pred = fwd(n, k, m, P, pmask)
        loss = torch.nn.functional.mse_loss(pred.float(), y)
        loss.backward()
        opt.step()
        loss_val[0] = float(loss)

    warm = 15 if mode.startswith("compile") else 5
    for i in range(warm):
        step(batches[i % 4])
    ts = []
    for i in range(20):
        t = time.perf_counter()
        step(batches[i % 4])
        ts.append(time.perf_counter() - t)
    ms = 1e3 * statistics.median(ts)
    print(f"{B:<6} {mode:<22} {ms:>10.2f} {B / ms * 1e3:>12.0f} {loss_val[0]:>10.4f}", flush=True)


def main():
    sizes = [int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else [256, 1024, 4096]
    print("device", torch.cuda.get_device_name(0), "torch", torch.__version__, "cuda", torch.version.cuda)
    print(f"{'batch':<6} {'mode':<22} {'ms/step':>10} {'samples/s':>12} {'loss':>10}")
    for B in sizes:
        gen = torch.Generator().manual_seed(1)
        batches = [synth_batch(B, gen) for _ in range(4)]
        for mode in ("eager fp32", "eager tf32", "eager bf16", "compile fp32", "compile tf32", "compile graphs tf32"):
            try:
                run(mode, B, batches)
            except Exception as e:   # torch.compile needs a working toolchain; report and go on
                print(f"{B:<6} {mode:<22} failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", flush=True)
    torch.backends.cuda.matmul.allow_tf32 = False


if __name__ == "__main__":
    main()
