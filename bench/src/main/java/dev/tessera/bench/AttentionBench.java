package dev.tessera.bench;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.attention.LinearAttention;
import dev.tessera.nn.attention.MultiHeadAttention;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Attention layers as in the PyTorch peer's attention rows (../shared/peers/torch/moe_layer.py):
 * batch 16, seq 256, d_model 384, 6 heads of 64, non-causal, float32, including the q/k/v/out
 * projections. {@code kind}: "mha" (6 kv heads), "gqa" (2 kv heads), "linear" (phi = elu + 1);
 * {@code path}: "fused" (the default of {@code MultiHeadAttention}: the Backend's fused attention op,
 * blocked online softmax, backward recomputed from the row log-sum-exp) or "composite" (batched GEMMs and
 * a masked softmax, the oracle) scaled dot-product attention (ignored for linear).
 * Forward, and forward + backward of a fixed random upstream gradient.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar AttentionBench} ({@code TESSERA_THREADS=1} for one
 * thread; the PyTorch reference is {@code ../shared/peers/torch/moe_layer.py}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AttentionBench {
    /** Layer kind: mha, gqa or linear. */
    @Param({"mha", "gqa", "linear"})
    public String kind;

    /** Softmax attention path: fused or composite. */
    @Param({"fused", "composite"})
    public String path;

    private MultiHeadAttention mha;
    private LinearAttention linear;
    private Variable x;
    private Tensor gy;

    /** Layer and random input [16, 256, 384]. */
    @Setup
    public void setup() {
        Rng rng = new Rng(1);
        if (kind.equals("linear")) linear = new LinearAttention(384, 6, 6, true, rng);
        else mha = new MultiHeadAttention(384, 6, kind.equals("gqa") ? 2 : 6, true, 0.0, rng).withFusedKernel(path.equals("fused"));
        x = Variable.leaf(Tensor.randn(rng, DType.F32, 16, 256, 384));
        gy = Tensor.randn(rng, DType.F32, 16, 256, 384);
    }

    private Variable run() {
        return linear != null ? linear.forward(x, null, false) : mha.forward(x, null, false);
    }

    /** Forward only, no graph. */
    @Benchmark
    public Tensor forward() {
        try (var g = Grad.disabled()) {
            return run().value();
        }
    }

    /** Forward and backward. */
    @Benchmark
    public Tensor forwardBackward() {
        x.zeroGrad();
        if (mha != null) mha.zeroGrad();
        if (linear != null) linear.zeroGrad();
        run().backward(gy);
        return x.grad();
    }
}
