#!/usr/bin/env python3
"""PyTorch peer of AttentionGpuBench: torch.nn.functional.scaled_dot_product_attention on CUDA,
forward and forward+backward, median of 20 CUDA-event timings after 5 warm-ups, TFLOP/s with the
same convention (forward 4 B H T^2 D, halved when causal; forward+backward 3.5 times that).
Cases: bf16 with the flash backend forced (and the default backend choice), non-causal and causal,
MHA and GQA (4 kv heads, enable_gqa where this torch has it, else kv heads repeated), and float32
(math/efficient backends). Usage: python3 attention_gpu.py [batch seq heads headDim]"""
import sys
import torch
import torch.nn.functional as F


def median_ms(fn, warm=5, reps=20):
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


def backend_ctx(name):
    """A context forcing one SDPA backend (torch >= 2.3 sdpa_kernel, else the older sdp_kernel), or nothing."""
    if name is None:
        import contextlib
        return contextlib.nullcontext()
    try:
        from torch.nn.attention import sdpa_kernel, SDPBackend
        return sdpa_kernel({"flash": SDPBackend.FLASH_ATTENTION, "efficient": SDPBackend.EFFICIENT_ATTENTION,
                            "math": SDPBackend.MATH}[name])
    except ImportError:
        return torch.backends.cuda.sdp_kernel(enable_flash=name == "flash", enable_mem_efficient=name == "efficient",
                                              enable_math=name == "math")


def main():
    b, t, h, d = (int(a) for a in sys.argv[1:5]) if len(sys.argv) > 4 else (16, 1024, 16, 64)
    print("device", torch.cuda.get_device_name(0), "torch", torch.__version__, "cuda", torch.version.cuda)
    print(f"{'case':<34} {'B':>3} {'H':>3} {'Hkv':>4} {'T':>5} {'D':>4} {'causal':<6} {'fwd ms':>9} {'TFLOP/s':>8} "
          f"{'f+b ms':>9} {'TFLOP/s':>8}")
    g = torch.Generator(device="cuda").manual_seed(1)
    for hkv in ((h, 4) if h > 4 and h % 4 == 0 else (h,)):
        for causal in (False, True):
            for dtype, backend in ((torch.bfloat16, "flash"), (torch.bfloat16, None), (torch.float32, None)):
                if dtype == torch.float32 and hkv != h:
                    continue
                q = torch.randn(b, h, t, d, device="cuda", dtype=dtype, generator=g, requires_grad=True)
                k = torch.randn(b, hkv, t, d, device="cuda", dtype=dtype, generator=g, requires_grad=True)
                v = torch.randn(b, hkv, t, d, device="cuda", dtype=dtype, generator=g, requires_grad=True)
                go = torch.randn(b, h, t, d, device="cuda", dtype=dtype, generator=g)
                kw = {}
                if hkv != h:
                    try:
                        F.scaled_dot_product_attention(q[:1, :, :8], k[:1, :, :8], v[:1, :, :8], enable_gqa=True)
                        kw = {"enable_gqa": True}
                    except TypeError:
                        kw = None

                def attn():
                    if kw is None:   # older torch: repeat the kv heads
                        r = h // hkv
                        return F.scaled_dot_product_attention(q, k.repeat_interleave(r, 1), v.repeat_interleave(r, 1),
                                                              is_causal=causal)
                    return F.scaled_dot_product_attention(q, k, v, is_causal=causal, **kw)

                try:
                    with backend_ctx(backend):
                        with torch.no_grad():
                            fwd = median_ms(attn)

                        def fb():
                            out = attn()
                            out.backward(go)
                            q.grad = k.grad = v.grad = None
                        fbms = median_ms(fb)
                except RuntimeError as e:
                    print(f"{'sdpa ' + str(dtype).split('.')[1] + ' ' + str(backend):<34} skipped: {str(e).splitlines()[0]}")
                    continue
                flop = 4.0 * b * h * t * t * d * (0.5 if causal else 1.0)
                name = f"sdpa {str(dtype).split('.')[1]} ({backend or 'default'})" + ("" if hkv == h else " GQA")
                print(f"{name:<34} {b:>3} {h:>3} {hkv:>4} {t:>5} {d:>4} {str(causal):<6} {fwd:>9.3f} {flop / fwd / 1e9:>8.1f} "
                      f"{fbms:>9.3f} {3.5 * flop / fbms / 1e9:>8.1f}")


if __name__ == "__main__":
    main()
