package dev.tessera.kernels.gpu;

import static dev.tessera.kernels.gpu.GpuFixture.CUDA;
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
import dev.tessera.moe.DenseMoE;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Embedding;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.transformer.Encoder;
import dev.tessera.nn.transformer.EncoderLayer;
import dev.tessera.nn.transformer.Pooling;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The m-height recipe's architecture at toy size (token projection plus an index embedding, a
 * Transformer encoder with a key-padding mask, masked mean pooling, a soft-gated dense MoE head,
 * group-weighted squared error) trained with a captured CUDA graph: every input (tokens, padding
 * mask, indices, targets, weights) comes from a pinned buffer, so each replay trains on new host
 * data with a new padding pattern. The loss trajectory equals eager GPU steps from the same initial
 * state, and eager GPU equals the CPU backend. This is what a graph-captured m-height training
 * step needs from the encoder, pooling, embedding and MoE ops: no host reads, no host-made tensors
 * and the same allocation sequence every step.
 */
@Tag("gpu")
class GraphEncoderTrainingGpuTest {
    static CudaBackend be;
    static Gpu gpu;

    @BeforeAll
    static void setUp() {
        be = GpuFixture.require();
        gpu = new Gpu(be.cudaDevice(), CUDA);
    }

    static final int B = 6, T = 4, F = 5, D = 16, HEADS = 2, FFN = 24, EXPERTS = 3, INDICES = 8, STEPS = 7;

    static double lr(int step) {
        return 3e-3 * (1 - step / (2.0 * STEPS));
    }

    /** One step's host inputs; two draws in turn, with different padding patterns. */
    record Batch(float[] tok, byte[] pad, int[] idx, float[] y, float[] w) {
        static Batch of(long seed, int step) {
            SplittableRandom r = new SplittableRandom(seed * 31 + step % 2);
            float[] tok = new float[B * T * F];
            byte[] pad = new byte[B * T];
            int[] idx = new int[B];
            float[] y = new float[B], w = new float[B];
            for (int i = 0; i < tok.length; i++) tok[i] = (float) r.nextGaussian();
            for (int b = 0; b < B; b++) {
                int valid = 1 + (b + step % 2) % T;   // every row keeps at least one token
                for (int t = valid; t < T; t++) pad[b * T + t] = 1;
                idx[b] = r.nextInt(INDICES);
                y[b] = (float) (1 + r.nextGaussian());
                w[b] = (float) (0.5 + r.nextDouble()) / B;
            }
            return new Batch(tok, pad, idx, y, w);
        }
    }

    /** Token projection + index embedding, encoder, masked mean pooling, dense MoE head: [B, T, F] -> [B]. */
    static final class Net extends Module {
        final Linear tokenProj;
        final Embedding emb;
        final Encoder encoder;
        final DenseMoE head;

        Net(long seed) {
            Rng rng = new Rng(seed);
            tokenProj = child("tokenProj", new Linear(F, D, rng));
            emb = child("emb", new Embedding(INDICES, D, rng));
            encoder = child("encoder", new Encoder(2, i -> EncoderLayer.standard(D, HEADS, HEADS, FFN, 0.0, DType.F32, rng)));
            List<Layer> experts = new ArrayList<>();
            for (int e = 0; e < EXPERTS; e++) experts.add(new Mlp(new int[] {D, 8, 1}, Activation.GELU, 0.0, rng));
            head = child("head", new DenseMoE(new Linear(D, EXPERTS, rng), experts, DenseMoE.Options.DEFAULT, rng));
        }

        /** The weighted squared error of one batch held in the given tensors (on the net's device). */
        Tensor lossAndBackward(Inputs in) {
            Variable g = emb.forward(in.idx);
            Variable x = tokenProj.forward(Variable.constant(in.tok)).add(g.reshape(B, 1, D));
            Variable h = encoder.forward(x, in.pad);
            Variable pooled = Pooling.MASKED_MEAN.apply(h, in.pad).add(g);
            Variable err = head.forward(pooled).reshape(B).sub(Variable.constant(in.y));
            Variable loss = err.square().mul(Variable.constant(in.w)).sum(0);
            loss.backward();
            return loss.value();
        }
    }

    /** The step's input tensors, allocated once on {@code device} (the graph reads them at fixed addresses). */
    record Inputs(Tensor tok, Tensor pad, Tensor idx, Tensor y, Tensor w) {
        static Inputs on(Device device) {
            return new Inputs(Tensor.zeros(DType.F32, device, B, T, F), Tensor.zeros(DType.BOOL, device, B, T), Tensor.zeros(DType.I32, device, B),
                    Tensor.zeros(DType.F32, device, B), Tensor.zeros(DType.F32, device, B));
        }

        /** Host copy (the CPU reference). */
        void fill(Batch b) {
            tok.copyFrom(Tensor.of(b.tok(), B, T, F));
            boolean[] mask = new boolean[B * T];
            for (int i = 0; i < mask.length; i++) mask[i] = b.pad()[i] != 0;
            pad.copyFrom(Tensor.of(mask, B, T));
            idx.copyFrom(Tensor.of(b.idx(), B));
            y.copyFrom(Tensor.of(b.y(), B));
            w.copyFrom(Tensor.of(b.w(), B));
        }
    }

    /** Pinned host buffers bound to the device inputs; their uploads are graph nodes when captured. */
    static final class Uploads implements AutoCloseable {
        final List<CudaGraph.Buffer> buffers = new ArrayList<>();
        final CudaGraph.Buffer loss;

        Uploads(CudaDevice dev, Inputs in) {
            for (Tensor t : List.of(in.tok(), in.pad(), in.idx(), in.y(), in.w())) {
                buffers.add(new CudaGraph.Buffer(dev, Gpu.ptr(t), (long) t.numel() * t.dtype().byteSize()));
            }
            loss = new CudaGraph.Buffer(dev, Gpu.ptr(in.y()), 4);
        }

        /** Writes the batch into the pinned host memory (before a replay, or before an eager step). */
        void stage(Batch b) {
            buffers.get(0).host().copyFrom(MemorySegment.ofArray(b.tok()));
            buffers.get(1).host().copyFrom(MemorySegment.ofArray(b.pad()));
            buffers.get(2).host().copyFrom(MemorySegment.ofArray(b.idx()));
            buffers.get(3).host().copyFrom(MemorySegment.ofArray(b.y()));
            buffers.get(4).host().copyFrom(MemorySegment.ofArray(b.w()));
        }

        void upload() {
            for (CudaGraph.Buffer buf : buffers) buf.upload();
        }

        @Override
        public void close() {
            for (CudaGraph.Buffer buf : buffers) buf.close();
            loss.close();
        }
    }

    static List<Tensor> values(Net net) {
        return net.parameters().stream().map(Parameter::value).toList();
    }

    static List<Tensor> grads(Net net) {
        return net.parameters().stream().map(Parameter::grad).toList();
    }

    /** Eager CPU steps with the backend's per-tensor AdamW. */
    static List<Double> cpuLosses(long seed) {
        Net net = new Net(seed);
        Inputs in = Inputs.on(Device.cpu());
        List<Tensor> m = new ArrayList<>(), v = new ArrayList<>();
        for (Tensor p : values(net)) {
            m.add(p.zerosLike());
            v.add(p.zerosLike());
        }
        List<Double> losses = new ArrayList<>();
        for (int s = 1; s <= STEPS; s++) {
            in.fill(Batch.of(seed, s));
            losses.add(net.lossAndBackward(in).item());
            List<Tensor> p = values(net), g = grads(net);
            for (int i = 0; i < p.size(); i++) p.get(i).backend().adamWStepInPlace(p.get(i), g.get(i), m.get(i), v.get(i), lr(s), 0.9, 0.999, 1e-8, 0.01, s);
            net.zeroGrad();
        }
        return losses;
    }

    /** A GPU model with its optimizer state and static inputs. */
    static final class GpuRun implements AutoCloseable {
        final Net net;
        final Inputs in = Inputs.on(CUDA);
        final List<Tensor> m = new ArrayList<>(), v = new ArrayList<>();
        final MultiTensorAdamW adam = new MultiTensorAdamW(gpu);
        final Uploads uploads;

        GpuRun(long seed) {
            net = new Net(seed);
            net.to(CUDA);
            for (Tensor p : values(net)) {
                m.add(p.zerosLike());
                v.add(p.zerosLike());
            }
            uploads = new Uploads(be.cudaDevice(), in);
        }

        /** One step as captured: uploads, forward, backward, AdamW, loss download; nothing touches the host. */
        void step(int s) {
            adam.setHyperparameters(lr(s), 0.9, 0.999, 1e-8, 0.01, s);
            uploads.upload();
            try (Scope scope = Scope.open()) {
                Tensor loss = net.lossAndBackward(in);
                adam.step(values(net), grads(net), m, v);
                net.zeroGrad();
                uploads.loss.download(Gpu.ptr(loss), 4);
            }
        }

        double loss() {
            return uploads.loss.host().getAtIndex(JAVA_FLOAT, 0);
        }

        @Override
        public void close() {
            uploads.close();
            adam.close();
        }
    }

    @Test
    void aCapturedEncoderMoeTrainingStepReplaysLikeEagerSteps() {
        long seed = GpuFixture.seed("graph encoder training");
        CudaDevice dev = be.cudaDevice();
        List<Double> cpu = cpuLosses(seed);

        List<Double> eager = new ArrayList<>();
        try (GpuRun a = new GpuRun(seed)) {
            for (int s = 1; s <= STEPS; s++) {
                a.uploads.stage(Batch.of(seed, s));
                a.step(s);
                dev.synchronize();
                eager.add(a.loss());
            }
        }

        // steps 1 and 2 run eagerly inside capture (warm-up and recording); the capture run executes nothing
        List<Double> graphed = new ArrayList<>();
        try (GpuRun b = new GpuRun(seed)) {
            int[] step = {0};
            CudaGraph graph = CudaGraph.capture(dev, () -> {
                int s = Math.min(++step[0], 3);
                if (!dev.capturing()) b.uploads.stage(Batch.of(seed, s));
                b.step(s);
                if (!dev.capturing()) {
                    dev.synchronize();
                    graphed.add(b.loss());
                }
            });
            try (graph) {
                System.out.printf("[gpu] encoder + MoE training step graph: %d nodes, %d allocations, arena %d of %d bytes%n", graph.nodes(),
                        graph.allocations(), graph.arenaBytes(), graph.recordedBytes());
                for (int s = 3; s <= STEPS; s++) {
                    b.uploads.stage(Batch.of(seed, s));
                    b.adam.setHyperparameters(lr(s), 0.9, 0.999, 1e-8, 0.01, s);
                    graph.replay();
                    dev.synchronize();
                    graphed.add(b.loss());
                }
            }
        }
        System.out.println("[gpu] losses cpu " + cpu + "\n[gpu]        eager " + eager + "\n[gpu]        graph " + graphed);
        assertEquals(STEPS, graphed.size());
        for (int s = 0; s < STEPS; s++) {
            assertEquals(eager.get(s), graphed.get(s), 1e-6 * Math.max(1, Math.abs(eager.get(s))), "graph vs eager loss at step " + (s + 1));
            assertEquals(cpu.get(s), eager.get(s), 1e-4 * Math.max(1, Math.abs(cpu.get(s))), "GPU vs CPU loss at step " + (s + 1));
        }
        // the same draw comes back every other step: training lowers its loss
        assertTrue(graphed.get(STEPS - 1) < graphed.get(0) && graphed.get(STEPS - 2) < graphed.get(1), "training lowers the loss: " + graphed);
    }
}
