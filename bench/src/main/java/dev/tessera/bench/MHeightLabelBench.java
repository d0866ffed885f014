package dev.tessera.bench;

import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.MinimumDistance;
import dev.tessera.lp.SLpSolver;
import dev.tessera.lp.Subsets;
import dev.tessera.lp.VertexEnumerator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Exact m-height labelling speed, one thread, n = 9, P integer-uniform in [-100, 100] redrawn
 * until the code is MDS (every h_m finite: the costly case, as in the Python reference's bench.py).
 *
 * <ul>
 *   <li>{@code vertex}: LP-free vertex enumeration, all m of a matrix per call; score = matrices/s.</li>
 *   <li>{@code lpBuilder} / {@code lpModel}: the ojAlgo S-LP for one (k, m) (m C(9, m) LPs per matrix);
 *       score = matrices/s; LPs/s = score x m C(9, m).</li>
 * </ul>
 * Run: {@code java -jar bench/target/benchmarks.jar MHeightLabelBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 4, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class MHeightLabelBench {
    private static final int N = 9;
    private static final int BATCH = 256;

    /** Matrices for the vertex path. */
    @State(Scope.Thread)
    public static class VertexState {
        @Param({"4", "5", "6"})
        int k;

        double[][] ps;
        VertexEnumerator enumerator;
        double[] out = new double[N];

        @Setup
        public void setup() {
            ps = mdsMatrices(k, BATCH, 2024);
            enumerator = new VertexEnumerator(N, k);
        }
    }

    /** Matrices and solvers for the LP path. */
    @State(Scope.Thread)
    public static class LpState {
        @Param({"4:2", "5:4", "6:3"})
        String km;

        int k;
        int m;
        double[][] ps;
        SLpSolver builder;
        SLpSolver model;
        int next;

        @Setup
        public void setup() {
            k = Integer.parseInt(km.split(":")[0]);
            m = Integer.parseInt(km.split(":")[1]);
            ps = mdsMatrices(k, 32, 2025);
            builder = new SLpSolver(N, k, SLpSolver.Api.BUILDER);
            model = new SLpSolver(N, k, SLpSolver.Api.MODEL);
        }

        double[] nextMatrix() {
            double[] p = ps[next];
            next = (next + 1) % ps.length;
            return p;
        }

        /** LPs solved per matrix: m C(n, m). */
        long lpsPerMatrix() {
            return m * Subsets.binomial(N, m);
        }
    }

    static double[][] mdsMatrices(int k, int count, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        CodeSampler sampler = new CodeSampler(CodeSampler.Kind.INT100);
        MinimumDistance dist = new MinimumDistance(N, k);
        double[][] out = new double[count][];
        for (int i = 0; i < count; i++) {
            double[] p = new double[k * (N - k)];
            do {
                sampler.draw(rng, k, N - k, p);
            } while (dist.compute(p) != N - k + 1);
            out[i] = p;
        }
        return out;
    }

    /** All m of one matrix (BATCH matrices per invocation). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void vertex(VertexState s, Blackhole bh) {
        for (double[] p : s.ps) {
            s.enumerator.profile(p, s.out);
            bh.consume(s.out[N - s.k]);
        }
    }

    /** One m of one matrix through ojAlgo's LinearSolver builder. */
    @Benchmark
    public double lpBuilder(LpState s) {
        return s.builder.mHeight(s.nextMatrix(), s.m);
    }

    /** One m of one matrix through ojAlgo's ExpressionsBasedModel. */
    @Benchmark
    public double lpModel(LpState s) {
        return s.model.mHeight(s.nextMatrix(), s.m);
    }
}
