package dev.tessera.bench;

import dev.tessera.autograd.Variable;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.memory.Scope;
import dev.tessera.kernels.ops.MatmulPrecision;
import dev.tessera.kernels.ops.MoeKernels;
import dev.tessera.moe.SparseMoE;
import dev.tessera.tensor.Backends;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Locale;

/**
 * The sparse MoE layer on the GPU, forward and forward+backward, against
 * {@code bench/peers/moe_gpu.py} (the eager PyTorch layers of {@code shared/peers/torch/moe_layer.py}
 * on CUDA). Layer: 8 experts Linear(D, F) -> GELU -> Linear(F, D), top-2 softmax router with
 * renormalised gates, capacity factor 1.25 with overflow dropped in GShard order; default D = 1024,
 * F = 4096, 16384 tokens.
 *
 * <p>Rows: the device pipeline (router matmul, {@link MoeKernels} gating, histogram/prefix-sum plan,
 * permute into the [E, C, D] buffer, expert FFN as cuBLAS strided-batched matmuls, weighted combine;
 * every backward a gather) in each {@link MatmulPrecision}; its weights are those of a moe.SparseMoE
 * (whose own forward routes on the host and mixes CPU index tensors in, so it does not run on the GPU).
 * Timing: CUDA
 * events, median of 10 after 3 warm-ups; TFLOP/s over the expert GEMMs actually computed (E x C slots,
 * padding included; 3x for forward+backward). Usage:
 * {@code java -cp benchmarks.jar dev.tessera.bench.MoeGpuBench [tokens dModel hidden]}.
 */
public final class MoeGpuBench {
    private MoeGpuBench() {}

    static final int EXPERTS = 8, TOPK = 2;
    static final double CF = 1.25;

    /** The layer as a device pipeline with autograd around the kernels. */
    static final class FusedLayer {
        final MoeKernels moe;
        final Variable wr, w1, b1, w2, b2;
        final int d;

        FusedLayer(CudaBackend be, SparseMoE like, Device cuda) {
            moe = be.moeKernels();
            var ex = like.experts().ownParameters();
            wr = Variable.leaf(like.router().weight().value().to(cuda));
            w1 = Variable.leaf(ex.get("w1").value().to(cuda));
            b1 = Variable.leaf(ex.get("b1").value().to(cuda));
            w2 = Variable.leaf(ex.get("w2").value().to(cuda));
            b2 = Variable.leaf(ex.get("b2").value().to(cuda));
            d = like.experts().dModel();
        }

        Variable forward(Variable x) {
            int t = x.dim(0);
            Variable logits = x.matmul(wr.mT());
            MoeKernels.Gating gt = moe.gate(logits.value(), TOPK, null);
            Variable gates = Variable.custom("moeGate", gt.gates(), new Variable[] {logits},
                    g -> new Tensor[] {moe.gateBackward(gt, g, null)});
            MoeKernels.Plan p = moe.plan(gt.choice(), EXPERTS, MoeKernels.capacity(CF, TOPK, t, EXPERTS));
            Variable buf = Variable.custom("moePermute", moe.permute(x.value(), p), new Variable[] {x},
                    g -> new Tensor[] {moe.permuteBackward(g, p)});
            Variable h = buf.reshape(EXPERTS, p.capacity(), d).matmul(w1).add(b1).gelu().matmul(w2).add(b2)
                    .reshape(EXPERTS * p.capacity(), d);
            return Variable.custom("moeCombine", moe.combine(h.value(), gates.value(), p), new Variable[] {h, gates},
                    g -> moe.combineBackward(g, h.value(), gates.value(), p));
        }

        void zeroGrad() {
            for (Variable v : new Variable[] {wr, w1, b1, w2, b2}) v.zeroGrad();
        }
    }

    /** Prints the table (see the class comment). */
    public static void main(String[] args) {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 16384, d = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int hidden = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        Device cuda = Device.cuda(0);
        CudaBackend be = (CudaBackend) Backends.of(cuda);
        System.out.println("device " + be.cudaDevice());
        int cap = MoeKernels.capacity(CF, TOPK, tokens, EXPERTS);
        double flop = 2.0 * 2.0 * EXPERTS * cap * (double) d * hidden;
        System.out.printf(Locale.ROOT, "tokens %d, d %d, hidden %d, %d experts, top-%d, capacity %d per expert%n", tokens, d, hidden,
                EXPERTS, TOPK, cap);
        System.out.printf(Locale.ROOT, "%-40s %9s %8s %9s %8s%n", "case", "fwd ms", "TFLOP/s", "f+b ms", "TFLOP/s");
        SparseMoE layer = new SparseMoE(d, hidden, new SparseMoE.Options(EXPERTS, TOPK, CF, 0.0, 0.0, 0.0), DType.F32, new Rng(1));
        Tensor x = Tensor.randn(new Rng(2), DType.F32, tokens, d).to(cuda);
        Tensor gy = Tensor.randn(new Rng(3), DType.F32, tokens, d).to(cuda);
        MatmulPrecision before = CudaBackend.matmulPrecision();
        try {
            FusedLayer fused = new FusedLayer(be, layer, cuda);
            for (MatmulPrecision p : MatmulPrecision.values()) {
                CudaBackend.setMatmulPrecision(p);
                double fwd = AttentionGpuBench.median(be, () -> fused.forward(Variable.constant(x)), 3, 10);
                double fb = AttentionGpuBench.median(be, () -> {
                    fused.forward(Variable.leaf(x)).backward(gy);
                    fused.zeroGrad();
                }, 3, 10);
                row("device pipeline (MoeKernels), " + p, fwd, fb, flop);
            }
        } finally {
            CudaBackend.setMatmulPrecision(before);
        }
        System.out.println("memory " + be.memoryStats());
    }

    private static void row(String name, double fwd, double fb, double flop) {
        System.out.printf(Locale.ROOT, "%-40s %9.3f %8.1f %9.3f %8.1f%n", name, fwd, flop / (fwd * 1e-3) / 1e12, fb,
                3 * flop / (fb * 1e-3) / 1e12);
    }
}
