package dev.tessera.bench;

import dev.tessera.autograd.Variable;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.memory.Scope;
import dev.tessera.kernels.ops.Attention;
import dev.tessera.kernels.runtime.CudaEvent;
import dev.tessera.nn.attention.Sdpa;
import dev.tessera.tensor.Backends;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * Fused attention on the GPU, forward and forward+backward, against {@code bench/peers/attention_gpu.py}
 * (torch.nn.functional.scaled_dot_product_attention, flash backend) on the same machine. Default case
 * (the target): batch 16, sequence 1024, d_model 1024 = 16 heads of 64, BF16, non-causal and
 * causal; also GQA (4 kv heads), the float32 kernels, and the composite attention (batched matmuls,
 * masked softmax, autograd) as the unfused reference.
 *
 * <p>Timing: CUDA events, median of 20 after 5 warm-ups; TFLOP/s counts the four matmuls of the forward
 * ({@code 4 B H Tq Tk D}, halved when causal) and 2.5 times that for the backward (its five matmuls),
 * FlashAttention's convention, so the numbers compare with the peer's. Usage:
 * {@code java -cp benchmarks.jar dev.tessera.bench.AttentionGpuBench [batch seq heads headDim]}.
 */
public final class AttentionGpuBench {
    private AttentionGpuBench() {}

    /** Median milliseconds of {@code run} between two events. */
    static double median(CudaBackend be, Runnable run, int warm, int reps) {
        for (int i = 0; i < warm; i++) {
            try (Scope s = Scope.open()) {
                run.run();
            }
        }
        double[] ms = new double[reps];
        try (CudaEvent start = be.cudaDevice().event(); CudaEvent end = be.cudaDevice().event()) {
            for (int i = 0; i < reps; i++) {
                try (Scope s = Scope.open()) {
                    start.record();
                    run.run();
                    end.record();
                    ms[i] = start.elapsedMillis(end);
                }
            }
        }
        Arrays.sort(ms);
        return ms[reps / 2];
    }

    private static void row(String name, int b, int h, int hkv, int t, int d, boolean causal, double fwdMs, double fbMs) {
        double fwdFlop = 4.0 * b * h * (double) t * t * d * (causal ? 0.5 : 1.0);
        System.out.printf(Locale.ROOT, "%-34s %3d %3d %4d %5d %4d %-6s %9.3f %8.1f %9.3f %8.1f%n", name, b, h, hkv, t, d, causal,
                fwdMs, fwdFlop / (fwdMs * 1e-3) / 1e12, fbMs, 3.5 * fwdFlop / (fbMs * 1e-3) / 1e12);
    }

    /** Prints the table (see the class comment). */
    public static void main(String[] args) {
        int b = args.length > 0 ? Integer.parseInt(args[0]) : 16, t = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int h = args.length > 2 ? Integer.parseInt(args[2]) : 16, d = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        Device cuda = Device.cuda(0);
        CudaBackend be = (CudaBackend) Backends.of(cuda);
        Attention att = be.attentionKernels();
        System.out.println("device " + be.cudaDevice());
        System.out.printf(Locale.ROOT, "%-34s %3s %3s %4s %5s %4s %-6s %9s %8s %9s %8s%n", "case", "B", "H", "Hkv", "T", "D", "causal",
                "fwd ms", "TFLOP/s", "f+b ms", "TFLOP/s");
        Rng r = new Rng(1);
        int[] kvHeads = h > 4 && h % 4 == 0 ? new int[] {h, 4} : new int[] {h};
        for (int hkv : kvHeads) {
            for (boolean causal : new boolean[] {false, true}) {
                for (DType dt : new DType[] {DType.BF16, DType.F32}) {
                    if (dt == DType.F32 && hkv != h) continue;
                    try (Scope s = Scope.open()) {
                        Tensor q = Tensor.randn(r, DType.F32, b, h, t, d).to(dt).to(cuda);
                        Tensor k = Tensor.randn(r, DType.F32, b, hkv, t, d).to(dt).to(cuda);
                        Tensor v = Tensor.randn(r, DType.F32, b, hkv, t, d).to(dt).to(cuda);
                        Tensor g = Tensor.randn(r, DType.F32, b, h, t, d).to(dt).to(cuda);
                        double scale = 1 / Math.sqrt(d);
                        double fwd = median(be, () -> att.forward(q, k, v, null, causal, scale, 0), 5, 20);
                        double fb = median(be, () -> {
                            Attention.Result res = att.forward(q, k, v, null, causal, scale, 0);
                            att.backward(q, k, v, res.out(), res.lse(), g, null, causal, scale, 0);
                        }, 5, 20);
                        String kernels = Attention.tensorCores(dt, d, d) ? "tensor cores" : "float SIMT";
                        row("fused " + dt + " (" + kernels + ")" + (hkv == h ? "" : " GQA"), b, h, hkv, t, d, causal, fwd, fb);
                    }
                }
            }
        }
        // the unfused reference: batched matmuls + masked softmax through autograd, float32
        try (Scope s = Scope.open()) {
            Tensor q = Tensor.randn(r, DType.F32, b, h, t, d).to(cuda), k = Tensor.randn(r, DType.F32, b, h, t, d).to(cuda);
            Tensor v = Tensor.randn(r, DType.F32, b, h, t, d).to(cuda), g = Tensor.randn(r, DType.F32, b, h, t, d).to(cuda);
            double fwd = median(be, () -> Sdpa.composite(Variable.constant(q), Variable.constant(k), Variable.constant(v), null, false, 0,
                    1 / Math.sqrt(d), 0, null), 3, 10);
            double fb = median(be, () -> {
                Variable qv = Variable.leaf(q), kv = Variable.leaf(k), vv = Variable.leaf(v);
                Sdpa.composite(qv, kv, vv, null, false, 0, 1 / Math.sqrt(d), 0, null).backward(g);
            }, 3, 10);
            row("composite F32 (matmul+softmax)", b, h, h, t, d, false, fwd, fb);
        }
        System.out.println("memory " + be.memoryStats());
    }
}
