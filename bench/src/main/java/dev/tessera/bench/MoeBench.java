package dev.tessera.bench;

import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.moe.DenseMoE;
import dev.tessera.moe.SparseMoE;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
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
 * MoE layers as in the PyTorch peer's MoE rows (../shared/peers/torch/moe_layer.py): d_model 384,
 * expert FFN 384 -> 1024 -> 384 with GELU, 4096 tokens, float32. {@code kind}: "sparse" (8 experts,
 * top-2, capacity factor 1.25, Switch balance loss; batched expert GEMMs over the [8, 1280, 384]
 * capacity buffer) or "dense" (soft-gated, 7 experts, every expert sees every token). Forward, and
 * forward + backward of a fixed random upstream gradient (the sparse layer's balance loss is
 * computed in both, as in the peer, but not back-propagated).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar MoeBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MoeBench {
    /** Layer kind: sparse or dense. */
    @Param({"sparse", "dense"})
    public String kind;

    private SparseMoE sparse;
    private DenseMoE dense;
    private Module layer;
    private Variable x;
    private Tensor gy;

    /** Layer and random input [4096, 384]. */
    @Setup
    public void setup() {
        Rng rng = new Rng(1);
        if (kind.equals("sparse")) {
            sparse = new SparseMoE(384, 1024, new SparseMoE.Options(8, 2, 1.25, 0.01, 0.0, 0.0), DType.F32, rng);
            layer = sparse;
        } else {
            List<Layer> experts = new ArrayList<>();
            for (int e = 0; e < 7; e++) experts.add(new Mlp(new int[] {384, 1024, 384}, Activation.GELU, 0.0, rng));
            dense = new DenseMoE(new Linear(384, 7, rng), experts, DenseMoE.Options.DEFAULT, rng);
            layer = dense;
        }
        x = Variable.leaf(Tensor.randn(rng, DType.F32, 4096, 384));
        gy = Tensor.randn(rng, DType.F32, 4096, 384);
    }

    private Variable run() {
        return sparse != null ? sparse.forward(x) : dense.forward(x);
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
        layer.zeroGrad();
        run().backward(gy);
        return x.grad();
    }
}
