package dev.tessera.bench;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * One full training step of an MLP 512-512-512-1 (ReLU, float32) at batch 256: zero grads,
 * forward, MSE loss, backward, AdamW (lr 1e-3, weight decay 0.01). The peer is
 * {@code bench/peers/mlp_train.py} (the same model in PyTorch).
 *
 * <p>JMH reports milliseconds per step; {@link #main} runs one fork per thread count (the pool
 * size is fixed per JVM, set with {@code -Dtessera.threads}) and prints samples/s = 256 / time.
 * Usage: {@code java -cp benchmarks.jar dev.tessera.bench.TrainStepBench [threads,...]}
 * (default {@code 1,2}); {@code ... TrainStepBench profile [steps]} prints the time split between
 * forward, backward and optimizer step instead.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class TrainStepBench {
    /** Batch size. */
    public static final int BATCH = 256;
    /** Layer sizes. */
    public static final int[] DIMS = {512, 512, 512, 1};

    private Mlp model;
    private AdamW opt;
    private Tensor x, y;

    /** Model, optimizer and one fixed random batch. */
    @Setup
    public void setup() {
        Rng rng = new Rng(42);
        model = new Mlp(DIMS, Activation.RELU, 0.0, rng);
        opt = new AdamW(model.parameters(), 1e-3, 0.01);
        x = Tensor.randn(rng, DType.F32, BATCH, DIMS[0]);
        y = Tensor.randn(rng, DType.F32, BATCH, 1);
    }

    /** One training step; returns the loss so the work cannot be elided. */
    @Benchmark
    public double step() {
        opt.zeroGrad();
        Variable loss = Losses.mse(model.forward(Variable.constant(x)), y);
        loss.backward();
        opt.step();
        return loss.value().item();
    }

    /**
     * Runs the benchmark per thread count and prints a samples/s table, or with {@code profile}
     * times the phases of a step.
     */
    public static void main(String[] args) throws RunnerException {
        if (args.length > 0 && args[0].equals("profile")) {
            profile(args.length > 1 ? Integer.parseInt(args[1]) : 300);
            return;
        }
        String threads = args.length > 0 ? args[0] : "1,2";
        List<String> rows = new ArrayList<>();
        for (String t : threads.split(",")) {
            var opt = new OptionsBuilder()
                    .include(TrainStepBench.class.getName() + ".step")
                    .jvmArgsAppend("--add-modules=jdk.incubator.vector", "-Dtessera.threads=" + t.trim())
                    .forks(1);
            Collection<RunResult> results = new Runner(opt.build()).run();
            for (RunResult r : results) {
                double ms = r.getPrimaryResult().getScore(), err = r.getPrimaryResult().getScoreError();
                rows.add(String.format(Locale.ROOT, "| %7s | %8.3f ± %.3f | %10.0f |", t.trim(), ms, err, BATCH / (ms * 1e-3)));
            }
        }
        System.out.println();
        System.out.println("| threads | ms/step          |  samples/s |");
        System.out.println("|--------:|-----------------:|-----------:|");
        rows.forEach(System.out::println);
    }

    /** Prints the mean time of forward (incl. loss), backward and optimizer step over {@code steps} steps after warm-up. */
    static void profile(int steps) {
        TrainStepBench b = new TrainStepBench();
        b.setup();
        for (int i = 0; i < steps; i++) b.step();
        long tz = 0, tf = 0, tb = 0, ts = 0;
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            b.opt.zeroGrad();
            long t1 = System.nanoTime();
            Variable loss = Losses.mse(b.model.forward(Variable.constant(b.x)), b.y);
            long t2 = System.nanoTime();
            loss.backward();
            long t3 = System.nanoTime();
            b.opt.step();
            long t4 = System.nanoTime();
            tz += t1 - t0;
            tf += t2 - t1;
            tb += t3 - t2;
            ts += t4 - t3;
        }
        double total = (tz + tf + tb + ts) / 1e6 / steps;
        System.out.printf(Locale.ROOT, "threads %s: step %.3f ms = zeroGrad %.3f + forward %.3f + backward %.3f + AdamW %.3f ms (%.0f samples/s)%n",
                System.getProperty("tessera.threads", "all"), total, tz / 1e6 / steps, tf / 1e6 / steps, tb / 1e6 / steps,
                ts / 1e6 / steps, BATCH / (total * 1e-3));
    }
}
