package dev.tessera.bench;

import dev.tessera.app.mheight.Features;
import dev.tessera.app.mheight.MHeightConfig;
import dev.tessera.app.mheight.MHeightModel;
import dev.tessera.autograd.Variable;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.memory.Scope;
import dev.tessera.kernels.ops.MatmulPrecision;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.tensor.Backends;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Training throughput of the m-height model on the GPU (eager CUDA backend), against
 * {@code bench/peers/mheight_gpu.py} (the same architecture in PyTorch, eager and torch.compile) on
 * the same machine: the model at the peer's size {@link #PEER_SIZE} (column tokens, 6 pre-LN encoder
 * layers of d_model 192, 6 heads, FFN 576, masked mean pooling, 7-expert dense MoE head), synthetic
 * batches drawn like the peer's, zero grads + forward + MSE + backward + AdamW (lr 3e-4, weight decay
 * 0.01) per step, the batch copied to the device inside the step and the loss read back (as a
 * training loop does). Median of 20 steps after 5 warm-ups, wall time; samples/s = batch / time.
 * Precisions: F32, TF32 and BF16 ({@link MatmulPrecision}). Usage:
 * {@code java -cp benchmarks.jar dev.tessera.bench.MHeightGpuTrainBench [batch,...]} (default 256,1024,4096).
 *
 * <p>The step is eager: MHeightModel.forward copies its host batch to the device inside the step, which
 * a captured CUDA graph cannot do (its inputs would have to come from static device tensors filled by
 * pinned buffers, see runtime.CudaGraph).
 */
public final class MHeightGpuTrainBench {
    private MHeightGpuTrainBench() {}

    /** The PyTorch peer's model size: d_model 192, 6 heads, 6 layers, FFN 576, 7 experts of hidden 168. */
    public static final MHeightConfig PEER_SIZE = new MHeightConfig(192, 6, 6, 576, 7, 168, 1);

    /** Four synthetic batches like the peer's synth_batch: featurised inputs and targets. */
    static Object[][] batches(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Object[][] out = new Object[4][];
        for (int b = 0; b < 4; b++) {
            int[] n = new int[batch], k = new int[batch], m = new int[batch];
            double[][] p = new double[batch][];
            float[] y = new float[batch];
            for (int i = 0; i < batch; i++) {
                n[i] = 9 + rng.nextInt(2);
                k[i] = 4 + rng.nextInt(3);
                int r = n[i] - k[i];
                m[i] = Math.min(r, 2 + (int) (rng.nextDouble() * (r - 1)));
                p[i] = new double[k[i] * r];
                double max = 0, sum = 0;
                for (int j = 0; j < p[i].length; j++) {
                    p[i][j] = rng.nextGaussian();
                    max = Math.max(max, Math.abs(p[i][j]));
                    sum += Math.abs(p[i][j]);
                }
                y[i] = (float) (Math.log(1 + (max + 1) * m[i] / k[i] * (sum + 1)) / Math.log(2));
            }
            out[b] = new Object[] {Features.build(n, k, m, p), y};
        }
        return out;
    }

    /** Prints the samples/s table (see the class comment). */
    public static void main(String[] args) {
        int[] sizes = args.length > 0 ? Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {256, 1024, 4096};
        Device cuda = Device.cuda(0);
        CudaBackend be = (CudaBackend) Backends.of(cuda);
        System.out.println("device " + be.cudaDevice());
        System.out.printf(Locale.ROOT, "%-6s %-5s %10s %12s %10s%n", "batch", "prec", "ms/step", "samples/s", "loss");
        MatmulPrecision before = CudaBackend.matmulPrecision();
        try {
            for (int batch : sizes) {
                Object[][] data = batches(batch, 1);
                for (MatmulPrecision prec : MatmulPrecision.values()) {
                    CudaBackend.setMatmulPrecision(prec);
                    MHeightModel model = MHeightModel.create(PEER_SIZE);
                    model.to(cuda);
                    model.train();
                    AdamW opt = new AdamW(model.parameters(), 3e-4, 0.01);
                    double[] ms = new double[20];
                    double loss = 0;
                    for (int i = 0; i < 25; i++) {
                        Object[] b = data[i % 4];
                        long t0 = System.nanoTime();
                        // the first step creates the optimizer's moments, which must outlive the step's Scope
                        try (Scope s = i == 0 ? null : Scope.open()) {
                            opt.zeroGrad();
                            Variable l = Losses.mse(model.forward((Features.Batch) b[0]), Tensor.of((float[]) b[1], batch).to(cuda));
                            l.backward();
                            opt.step();
                            loss = l.value().item();
                        }
                        if (i >= 5) ms[i - 5] = (System.nanoTime() - t0) / 1e6;
                    }
                    Arrays.sort(ms);
                    double med = ms[ms.length / 2];
                    System.out.printf(Locale.ROOT, "%-6d %-5s %10.2f %12.0f %10.4f%n", batch, prec, med, batch / (med * 1e-3), loss);
                }
            }
        } finally {
            CudaBackend.setMatmulPrecision(before);
        }
        System.out.println("memory " + be.memoryStats());
    }
}
