package dev.tessera.bench;

import dev.tessera.tensor.internal.cpu.Gemm;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Random;
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
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Float32 GEMM throughput of {@link Gemm#sgemm}: square NN products and the transformer shapes of
 * the NumPy/OpenBLAS reference (same M, K, N and layouts), whole call including packing.
 *
 * <p>JMH reports microseconds per call; {@link #main} runs the benchmarks once per thread count
 * (the pool size is fixed per JVM, so each count gets its own fork with {@code -Dtessera.threads})
 * and prints GFLOP/s = 2·batch·M·N·K / time. Usage:
 * {@code java -cp benchmarks.jar dev.tessera.bench.GemmBench [threads,...] [benchmark regex]},
 * e.g. {@code 1,2 'GemmBench.square'}. Plain {@code java -jar benchmarks.jar GemmBench} works too
 * and uses all processors.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class GemmBench {

    /** Square n x n x n products, both operands plain row-major. */
    @State(Scope.Benchmark)
    public static class Square {
        @Param({"64", "128", "256", "512", "1024", "2048"})
        public int size;
        Operands ops;

        @Setup
        public void setup() {
            ops = new Operands(Shape.parse(size + "x" + size + "x" + size + ":NN:1"));
        }
    }

    /**
     * Transformer-layer shapes as {@code MxKxN:layout:batch} (C[M,N] = op(A)[M,K] op(B)[K,N]; NT = B
     * stored transposed as for a Linear weight, TN = A stored transposed as for a weight gradient).
     */
    @State(Scope.Benchmark)
    public static class Transformer {
        @Param({
            "4096x128x384:NT:1", "4096x128x128:NT:1", "4096x128x512:NN:1", "4096x128x512:NT:1",
            "4096x512x128:NT:1", "128x4096x512:TN:1", "4096x512x128:NN:1",
            "256x32x256:NT:64", "256x256x32:NN:64",
            "4096x384x1024:NT:1", "4096x1024x384:NT:1", "1280x384x1024:NT:1",
            "9984x192x576:NT:1", "9984x576x192:NT:1"})
        public String shape;
        Operands ops;

        @Setup
        public void setup() {
            ops = new Operands(Shape.parse(shape));
        }
    }

    /** A parsed benchmark shape. */
    record Shape(int m, int k, int n, boolean ta, boolean tb, int batch) {
        static Shape parse(String s) {
            String[] parts = s.split(":");
            String[] dims = parts[0].split("x");
            return new Shape(Integer.parseInt(dims[0]), Integer.parseInt(dims[1]), Integer.parseInt(dims[2]),
                    parts[1].charAt(0) == 'T', parts[1].charAt(1) == 'T', Integer.parseInt(parts[2]));
        }

        double flops() {
            return 2.0 * batch * m * n * k;
        }
    }

    /** Random operands in the stored layout of a shape, with per-item offsets for batches. */
    static final class Operands {
        final Shape s;
        final float[] a, b, c;
        final int lda, ldb;
        final int[] aOffs, bOffs, cOffs;

        Operands(Shape s) {
            this.s = s;
            Random rnd = new Random(42);
            a = random(rnd, s.batch * s.m * s.k);
            b = random(rnd, s.batch * s.k * s.n);
            c = new float[s.batch * s.m * s.n];
            lda = s.ta ? s.m : s.k;
            ldb = s.tb ? s.k : s.n;
            aOffs = new int[s.batch];
            bOffs = new int[s.batch];
            cOffs = new int[s.batch];
            for (int i = 0; i < s.batch; i++) {
                aOffs[i] = i * s.m * s.k;
                bOffs[i] = i * s.k * s.n;
                cOffs[i] = i * s.m * s.n;
            }
        }

        float[] run() {
            if (s.batch == 1) {
                Gemm.sgemm(s.ta, s.tb, s.m, s.n, s.k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, s.n);
            } else {
                Gemm.sgemmBatched(s.batch, s.ta, s.tb, s.m, s.n, s.k, 1f, a, aOffs, lda, b, bOffs, ldb, 0f,
                        c, cOffs, s.n);
            }
            return c;
        }

        private static float[] random(Random rnd, int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
            return x;
        }
    }

    /** C = A B for a square size. */
    @Benchmark
    public float[] square(Square st) {
        return st.ops.run();
    }

    /** C = op(A) op(B) for a transformer shape. */
    @Benchmark
    public float[] transformer(Transformer st) {
        return st.ops.run();
    }

    /**
     * Runs the benchmarks for each thread count and prints a GFLOP/s table.
     *
     * @param args optional: comma-separated thread counts (default {@code 1,2}), then a benchmark
     *             regex (default {@code GemmBench}); the JMH defaults of this class apply
     */
    public static void main(String[] args) throws RunnerException {
        String threads = args.length > 0 ? args[0] : "1,2";
        String include = args.length > 1 ? args[1] : GemmBench.class.getSimpleName();
        List<String> rows = new ArrayList<>();
        for (String t : threads.split(",")) {
            ChainedOptionsBuilder opt = new OptionsBuilder()
                    .include(include)
                    .jvmArgsAppend("--add-modules=jdk.incubator.vector", "-Dtessera.threads=" + t.trim())
                    .warmupIterations(3).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                    .forks(1);
            Collection<RunResult> results = new Runner(opt.build()).run();
            for (RunResult r : results) {
                var params = r.getParams();
                String key = params.getParam("size") != null
                        ? params.getParam("size") + "x" + params.getParam("size") + "x" + params.getParam("size") + ":NN:1"
                        : params.getParam("shape");
                Shape s = Shape.parse(key);
                double us = r.getPrimaryResult().getScore();
                rows.add(String.format(Locale.ROOT, "| %-20s | %s | %5d | %7s | %10.1f | %8.1f |",
                        s.m + "x" + s.k + "x" + s.n, key.split(":")[1], s.batch, t.trim(), us, s.flops() / (us * 1e3)));
            }
        }
        System.out.println();
        System.out.println("| M x K x N            | op | batch | threads |    us/call |  GFLOP/s |");
        System.out.println("|----------------------|----|------:|--------:|-----------:|---------:|");
        rows.forEach(System.out::println);
    }
}
