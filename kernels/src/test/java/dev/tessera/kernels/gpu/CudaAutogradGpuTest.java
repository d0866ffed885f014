package dev.tessera.kernels.gpu;

import static dev.tessera.kernels.gpu.GpuFixture.CUDA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Variable;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.memory.Scope;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Autograd through the CUDA backend: a small MLP (layer norm, GELU, dropout, cross-entropy)
 * trained with AdamW from the same initial weights on the CPU and on the GPU follows the same
 * loss curve within float tolerance, each step inside a Scope.
 */
@Tag("gpu")
class CudaAutogradGpuTest {
    static CudaBackend be;

    @BeforeAll
    static void setUp() {
        be = GpuFixture.require();
    }

    /** Losses of {@code steps} AdamW steps of a 2-layer MLP on {@code device}. */
    static List<Double> train(Device device, long seed, int steps) {
        Rng r = new Rng(seed);
        int n = 64, d = 32, h = 48, classes = 5;
        Tensor x = Tensor.randn(r, DType.F32, n, d).to(device);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % classes;
        Tensor targets = Tensor.of(labels, n).to(device);
        List<Variable> params = List.of(
                Variable.leaf(Tensor.randn(r, DType.F32, d, h).mul(0.2).to(device)),
                Variable.leaf(Tensor.zeros(DType.F32, h).to(device)),
                Variable.leaf(Tensor.ones(DType.F32, h).to(device)),
                Variable.leaf(Tensor.randn(r, DType.F32, h, classes).mul(0.2).to(device)));
        List<Tensor> m = new ArrayList<>(), v = new ArrayList<>();
        for (Variable p : params) {
            m.add(p.value().zerosLike());
            v.add(p.value().zerosLike());
        }
        List<Double> losses = new ArrayList<>();
        Rng dropout = new Rng(seed + 1);
        for (int step = 1; step <= steps; step++) {
            try (Scope s = Scope.open()) {
                Variable hid = Variable.constant(x).matmul(params.get(0)).add(params.get(1))
                        .layerNorm(params.get(2), null, 1e-5).gelu().dropout(0.1, dropout);
                Variable loss = hid.matmul(params.get(3)).crossEntropy(targets, -100, 0.05).mean();
                losses.add(loss.value().item());
                loss.backward();
                for (int i = 0; i < params.size(); i++) {
                    Variable p = params.get(i);
                    p.value().backend().adamWStepInPlace(p.value(), p.grad(), m.get(i), v.get(i), 1e-2, 0.9, 0.999, 1e-8,
                            0.01, step);
                    p.zeroGrad();
                }
            }
        }
        return losses;
    }

    @Test
    void mlpTrainsIdenticallyOnCpuAndGpu() {
        long seed = GpuFixture.seed("mlp");
        List<Double> cpu = train(Device.cpu(), seed, 30), gpu = train(CUDA, seed, 30);
        System.out.println("[gpu] mlp losses cpu " + cpu.getFirst() + " -> " + cpu.getLast() + ", gpu " + gpu.getFirst()
                + " -> " + gpu.getLast());
        for (int i = 0; i < cpu.size(); i++) {
            assertEquals(cpu.get(i), gpu.get(i), 1e-4 * Math.max(1, Math.abs(cpu.get(i))), "loss at step " + (i + 1));
        }
        assertTrue(gpu.getLast() < gpu.getFirst() * 0.7, "the GPU run learns: " + gpu.getFirst() + " -> " + gpu.getLast());
    }
}
