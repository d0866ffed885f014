package dev.tessera.bench;

import dev.tessera.app.mheight.Features;
import dev.tessera.app.mheight.MHeightConfig;
import dev.tessera.app.mheight.MHeightModel;
import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.lp.data.Augment;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Training throughput of the m-height model ({@link MHeightModel}: column tokens, 6 pre-LN encoder
 * layers, masked mean pooling, 7-expert {@code DenseMoE} head) at the size of the PyTorch peer
 * {@code ../shared/peers/torch/mheight_model.py}: d_model 192, 6 heads, FFN 576, expert hidden 168.
 * Inputs are drawn like the peer's {@code synth_batch}: n in {9, 10}, k in {4, 5, 6}, m in 2..n-k,
 * normal P, the peer's smooth synthetic target; four fixed batches used in turn.
 *
 * <ul>
 *   <li>{@code step}: zero grads, forward, MSE, backward, AdamW (lr 3e-4, weight decay 0.01): the
 *       peer's timed train step, on pre-featurised batches.</li>
 *   <li>{@code infer}: forward without gradient recording (the peer's inference row).</li>
 *   <li>{@code featurize}: what the recipe's trainer adds per step on the host: a random exact
 *       augmentation of every row and {@link Features#build}.</li>
 * </ul>
 * JMH reports milliseconds per call; {@link #main} runs one fork per thread count (the pool size is
 * fixed per JVM, {@code -Dtessera.threads}) and prints samples/s = batch / time.
 * Usage: {@code java -cp benchmarks.jar dev.tessera.bench.MHeightTrainBench [threads,...] [batch,...]}
 * (default {@code 1,2} and {@code 256}); {@code ... MHeightTrainBench profile [batch] [steps]} prints
 * the split of a step between featurisation, forward, backward and optimizer instead.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class MHeightTrainBench {
    /** The peer's model size (d_model 192, 6 heads, 6 layers, FFN 576, 7 experts of hidden 168). */
    public static final MHeightConfig PEER_SIZE = new MHeightConfig(192, 6, 6, 576, 7, 168, 1);
    private static final int BATCHES = 4;

    /** Batch size (the peer measures 64, 256 and 1024). */
    @Param({"256"})
    public int batch;

    private MHeightModel model;
    private AdamW opt;
    private Raw[] raw;
    private Features.Batch[] feats;
    private Tensor[] targets;
    private int next;
    private final SplittableRandom augRng = new SplittableRandom(3);

    /** One synthetic batch before featurisation. */
    private record Raw(int[] n, int[] k, int[] m, double[][] p, double[] log2Bound) {
    }

    /** Model, optimizer and four fixed synthetic batches. */
    @Setup
    public void setup() {
        model = MHeightModel.create(PEER_SIZE);
        model.train();
        opt = new AdamW(model.parameters(), 3e-4, 0.01);
        SplittableRandom rng = new SplittableRandom(1);
        raw = new Raw[BATCHES];
        feats = new Features.Batch[BATCHES];
        targets = new Tensor[BATCHES];
        for (int b = 0; b < BATCHES; b++) {
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
                // the peer's stand-in target: log2(1 + (max|P| + 1) m / k (sum|P| + 1))
                y[i] = (float) (Math.log(1 + (max + 1) * m[i] / k[i] * (sum + 1)) / Math.log(2));
            }
            double[] bound = new double[batch];
            for (int i = 0; i < batch; i++) bound[i] = Features.log2LowerBound(n[i], k[i], m[i], p[i]);
            raw[b] = new Raw(n, k, m, p, bound);
            feats[b] = Features.build(n, k, m, p, bound);
            targets[b] = Tensor.of(y, batch);
        }
    }

    /** One training step on the next pre-featurised batch; returns the loss. */
    @Benchmark
    public double step() {
        int b = next++ % BATCHES;
        opt.zeroGrad();
        Variable loss = Losses.mse(model.forward(feats[b]), targets[b]);
        loss.backward();
        opt.step();
        return loss.value().item();
    }

    /** One forward pass without gradient recording. */
    @Benchmark
    public float infer() {
        int b = next++ % BATCHES;
        try (var g = Grad.disabled()) {
            return model.forward(feats[b]).value().toFloatArray()[0];
        }
    }

    /**
     * Host-side data work per training step as the trainer does it: augment every row, then featurise with the
     * rows' minimum-support bounds computed once beforehand (they do not change under augmentation).
     */
    @Benchmark
    public Features.Batch featurize() {
        Raw r = raw[next++ % BATCHES];
        double[][] p = new double[batch][];
        for (int i = 0; i < batch; i++) {
            p[i] = new double[r.p()[i].length];
            Augment.random(r.p()[i], r.k()[i], r.n()[i] - r.k()[i], augRng, p[i]);
        }
        return Features.build(r.n(), r.k(), r.m(), p, r.log2Bound());
    }

    /**
     * Runs {@code step} and {@code infer} per thread count and batch and prints a samples/s table, or
     * with {@code profile} times the phases of a step.
     */
    public static void main(String[] args) throws RunnerException {
        if (args.length > 0 && args[0].equals("profile")) {
            profile(args.length > 1 ? Integer.parseInt(args[1]) : 256, args.length > 2 ? Integer.parseInt(args[2]) : 30);
            return;
        }
        String threads = args.length > 0 ? args[0] : "1,2";
        String batches = args.length > 1 ? args[1] : "256";
        List<String> rows = new ArrayList<>();
        for (String t : threads.split(",")) {
            var opt = new OptionsBuilder()
                    .include(MHeightTrainBench.class.getName() + ".(step|infer|featurize)")
                    .param("batch", batches.split(","))
                    .jvmArgsAppend("--add-modules=jdk.incubator.vector", "-Dtessera.threads=" + t.trim())
                    .forks(1);
            Collection<RunResult> results = new Runner(opt.build()).run();
            for (RunResult r : results) {
                int b = Integer.parseInt(r.getParams().getParam("batch"));
                String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
                double ms = r.getPrimaryResult().getScore(), err = r.getPrimaryResult().getScoreError();
                rows.add(String.format(Locale.ROOT, "| %-9s | %7s | %5d | %9.2f ± %-7.2f | %9.0f |", name, t.trim(), b, ms, err, b / (ms * 1e-3)));
            }
        }
        System.out.println();
        System.out.printf("m-height model at the peer's size: %,d parameters%n", MHeightModel.create(PEER_SIZE).numParameters());
        System.out.println("| benchmark | threads | batch | ms/call             | samples/s |");
        System.out.println("|-----------|--------:|------:|--------------------:|----------:|");
        rows.forEach(System.out::println);
    }

    /** Prints the mean time of featurisation, forward (incl. loss), backward and AdamW over {@code steps} steps after as many warm-up steps. */
    static void profile(int batch, int steps) {
        MHeightTrainBench b = new MHeightTrainBench();
        b.batch = batch;
        b.setup();
        for (int i = 0; i < steps; i++) b.step();
        long tfe = 0, tf = 0, tb = 0, ts = 0;
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            b.featurize();
            long t1 = System.nanoTime();
            int k = i % BATCHES;
            b.opt.zeroGrad();
            Variable loss = Losses.mse(b.model.forward(b.feats[k]), b.targets[k]);
            loss.value().item();
            long t2 = System.nanoTime();
            loss.backward();
            long t3 = System.nanoTime();
            b.opt.step();
            long t4 = System.nanoTime();
            tfe += t1 - t0;
            tf += t2 - t1;
            tb += t3 - t2;
            ts += t4 - t3;
        }
        double step = (tf + tb + ts) / 1e6 / steps;
        System.out.printf(Locale.ROOT, "threads %s, batch %d: step %.2f ms = forward+loss %.2f + backward %.2f + AdamW %.2f ms (%.0f samples/s);"
                        + " featurize %.2f ms%n", System.getProperty("tessera.threads", "all"), batch, step, tf / 1e6 / steps, tb / 1e6 / steps,
                ts / 1e6 / steps, batch / (step * 1e-3), tfe / 1e6 / steps);
    }
}
