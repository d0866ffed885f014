package dev.tessera.kernels.gpu;

import static dev.tessera.kernels.gpu.GpuFixture.CUDA;
import static dev.tessera.kernels.gpu.GpuFixture.close;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Variable;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.memory.Scope;
import dev.tessera.kernels.ops.Gpu;
import dev.tessera.kernels.ops.MultiTensorAdamW;
import dev.tessera.kernels.runtime.CudaDevice;
import dev.tessera.kernels.runtime.CudaGraph;
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
 * A whole training step (forward, backward, multi-tensor AdamW with a learning-rate schedule read
 * from device memory) captured as a CUDA graph and replayed: the loss trajectory equals eager
 * execution of the same steps from the same initial state, and eager GPU training equals the CPU
 * within float tolerance. The multi-tensor AdamW kernel is checked against the CPU backend's step.
 */
@Tag("gpu")
class GraphTrainingGpuTest {
    static CudaBackend be;
    static Gpu gpu;

    @BeforeAll
    static void setUp() {
        be = GpuFixture.require();
        gpu = new Gpu(be.cudaDevice(), CUDA);
    }

    static final int N = 48, D = 24, H = 40, CLASSES = 5, STEPS = 8;

    static double lr(int step) {
        return 1e-2 * (1 - step / (2.0 * STEPS));
    }

    /** The input of a step: two fixed draws in turn (so that replays really read new host data each step). */
    static float[] batch(long seed, int step) {
        return Tensor.randn(new Rng(seed * 31 + step % 2), DType.F32, N, D).toFloatArray();
    }

    /** A 2-layer MLP with layer norm and cross-entropy; its parameters, moments and the inputs on {@code device}. */
    static final class Mlp {
        final Device device;
        final List<Variable> params = new ArrayList<>();
        final List<Tensor> m = new ArrayList<>(), v = new ArrayList<>();
        final Tensor x, targets;

        Mlp(Device device, long seed) {
            this.device = device;
            Rng r = new Rng(seed);
            params.add(Variable.leaf(Tensor.randn(r, DType.F32, D, H).mul(0.2).to(device)));
            params.add(Variable.leaf(Tensor.zeros(DType.F32, H).to(device)));
            params.add(Variable.leaf(Tensor.ones(DType.F32, H).to(device)));
            params.add(Variable.leaf(Tensor.randn(r, DType.F32, H, CLASSES).mul(0.2).to(device)));
            for (Variable p : params) {
                m.add(p.value().zerosLike());
                v.add(p.value().zerosLike());
            }
            int[] labels = new int[N];
            for (int i = 0; i < N; i++) labels[i] = (i * 7) % CLASSES;
            targets = Tensor.of(labels, N).to(device);
            x = Tensor.zeros(DType.F32, device, N, D);
        }

        /** Forward and backward; returns the loss tensor. */
        Tensor forwardBackward() {
            Variable hid = Variable.constant(x).matmul(params.get(0)).add(params.get(1)).layerNorm(params.get(2), null, 1e-5).gelu();
            Variable loss = hid.matmul(params.get(3)).crossEntropy(targets, -100, 0.0).mean();
            loss.backward();
            return loss.value();
        }

        List<Tensor> values() {
            return params.stream().map(Variable::value).toList();
        }

        List<Tensor> grads() {
            return params.stream().map(Variable::grad).toList();
        }

        void zeroGrad() {
            for (Variable p : params) p.zeroGrad();
        }
    }

    @Test
    void multiTensorAdamWMatchesTheCpuStep() {
        Rng r = new Rng(GpuFixture.seed("adamw multi"));
        int[] sizes = {17, MultiTensorAdamW_CHUNK() + 5, 1};
        List<Tensor> p = new ArrayList<>(), g = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>();
        List<Tensor> gp = new ArrayList<>(), gg = new ArrayList<>(), gm = new ArrayList<>(), gv = new ArrayList<>();
        for (int n : sizes) {
            p.add(Tensor.randn(r, DType.F32, n));
            g.add(Tensor.randn(r, DType.F32, n));
            m.add(Tensor.randn(r, DType.F32, n).mul(0.1));
            v.add(Tensor.randn(r, DType.F32, n).abs().mul(0.01));
            gp.add(p.getLast().to(CUDA));
            gg.add(g.getLast().to(CUDA));
            gm.add(m.getLast().to(CUDA));
            gv.add(v.getLast().to(CUDA));
        }
        try (MultiTensorAdamW adam = new MultiTensorAdamW(gpu)) {
            for (int step = 1; step <= 3; step++) {
                double lr = 1e-2 / step;
                for (int i = 0; i < sizes.length; i++) {
                    p.get(i).backend().adamWStepInPlace(p.get(i), g.get(i), m.get(i), v.get(i), lr, 0.9, 0.995, 1e-8, 0.05, step);
                }
                adam.setHyperparameters(lr, 0.9, 0.995, 1e-8, 0.05, step);
                adam.step(gp, gg, gm, gv);
            }
        }
        for (int i = 0; i < sizes.length; i++) {
            close("adamw param " + i, p.get(i), gp.get(i), GpuFixture.F32);
            close("adamw m " + i, m.get(i), gm.get(i), GpuFixture.F32);
            close("adamw v " + i, v.get(i), gv.get(i), GpuFixture.F32);
        }
    }

    private static int MultiTensorAdamW_CHUNK() {
        return 16384;
    }

    /** Eager steps on the CPU (backend AdamW per tensor). */
    static List<Double> cpuLosses(long seed) {
        Mlp net = new Mlp(Device.cpu(), seed);
        List<Double> losses = new ArrayList<>();
        for (int s = 1; s <= STEPS; s++) {
            net.x.copyFrom(Tensor.of(batch(seed, s), N, D));
            Tensor loss = net.forwardBackward();
            losses.add(loss.item());
            for (int i = 0; i < net.params.size(); i++) {
                net.values().get(i).backend().adamWStepInPlace(net.values().get(i), net.grads().get(i), net.m.get(i), net.v.get(i), lr(s),
                        0.9, 0.999, 1e-8, 0.01, s);
            }
            net.zeroGrad();
        }
        return losses;
    }

    /** One GPU step as captured: input and hyperparameters from pinned buffers, loss to a pinned buffer. */
    static void gpuStep(Mlp net, MultiTensorAdamW adam, CudaGraph.Buffer input, CudaGraph.Buffer lossOut, long seed, int s) {
        input.host().copyFrom(java.lang.foreign.MemorySegment.ofArray(batch(seed, s)));
        adam.setHyperparameters(lr(s), 0.9, 0.999, 1e-8, 0.01, s);
        input.upload();
        try (Scope scope = Scope.open()) {
            Tensor loss = net.forwardBackward();
            adam.step(net.values(), net.grads(), net.m, net.v);
            net.zeroGrad();
            lossOut.download(Gpu.ptr(loss), 4);
        }
    }

    @Test
    void aCapturedTrainingStepReplaysLikeEagerSteps() {
        long seed = GpuFixture.seed("graph training");
        CudaDevice dev = be.cudaDevice();
        List<Double> cpu = cpuLosses(seed);

        // eager GPU: the same step function, run directly
        List<Double> eager = new ArrayList<>();
        Mlp a = new Mlp(CUDA, seed);
        try (MultiTensorAdamW adam = new MultiTensorAdamW(gpu);
             CudaGraph.Buffer in = new CudaGraph.Buffer(dev, Gpu.ptr(a.x), 4L * N * D);
             CudaGraph.Buffer out = new CudaGraph.Buffer(dev, Gpu.ptr(a.x), 4)) {
            for (int s = 1; s <= STEPS; s++) {
                gpuStep(a, adam, in, out, seed, s);
                dev.synchronize();
                eager.add((double) out.host().getAtIndex(JAVA_FLOAT, 0));
            }
        }

        // graph: steps 1 and 2 run eagerly inside capture (warm-up, recording), the rest are replays
        List<Double> graphed = new ArrayList<>();
        Mlp b = new Mlp(CUDA, seed);
        try (MultiTensorAdamW adam = new MultiTensorAdamW(gpu);
             CudaGraph.Buffer in = new CudaGraph.Buffer(dev, Gpu.ptr(b.x), 4L * N * D);
             CudaGraph.Buffer out = new CudaGraph.Buffer(dev, Gpu.ptr(b.x), 4)) {
            int[] step = {0};
            CudaGraph graph = CudaGraph.capture(dev, () -> {
                int s = Math.min(++step[0], 3);
                gpuStep(b, adam, in, out, seed, s);
                if (!dev.capturing()) {
                    dev.synchronize();
                    graphed.add((double) out.host().getAtIndex(JAVA_FLOAT, 0));
                }
            });
            try (graph) {
                System.out.printf("[gpu] training step graph: %d nodes, %d allocations, arena %d of %d bytes%n", graph.nodes(),
                        graph.allocations(), graph.arenaBytes(), graph.recordedBytes());
                for (int s = 3; s <= STEPS; s++) {
                    in.host().copyFrom(java.lang.foreign.MemorySegment.ofArray(batch(seed, s)));
                    adam.setHyperparameters(lr(s), 0.9, 0.999, 1e-8, 0.01, s);
                    graph.replay();
                    dev.synchronize();
                    graphed.add((double) out.host().getAtIndex(JAVA_FLOAT, 0));
                }
            }
        }
        System.out.println("[gpu] losses cpu " + cpu + "\n[gpu]        eager " + eager + "\n[gpu]        graph " + graphed);
        for (int s = 0; s < STEPS; s++) {
            assertEquals(eager.get(s), graphed.get(s), 1e-6 * Math.abs(eager.get(s)), "graph vs eager loss at step " + (s + 1));
            assertEquals(cpu.get(s), eager.get(s), 1e-4 * Math.max(1, Math.abs(cpu.get(s))), "GPU vs CPU loss at step " + (s + 1));
        }
        // batches alternate between two draws: compare the same batch six steps apart
        assertTrue(graphed.get(STEPS - 2) < graphed.get(0) && graphed.get(STEPS - 1) < graphed.get(1), "training lowers the loss: " + graphed);
    }
}
