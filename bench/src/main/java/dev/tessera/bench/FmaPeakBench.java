package dev.tessera.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's float32 FMA peak as Java's Vector API reaches it: 24 independent accumulators of the
 * preferred vector width (as many as the SGEMM micro-kernel holds) updated by fused multiply-adds with
 * no memory traffic. The score is fused multiply-adds per microsecond per thread, so GFLOP/s per thread
 * = score x 2 x lanes / 1000 (lanes printed by {@link #main}). Run with {@code -t 2} for both cores:
 * the ceiling any float32 GEMM, ours or OpenBLAS's, can approach. Usage:
 * {@code java -cp benchmarks.jar dev.tessera.bench.FmaPeakBench} (1 and 2 threads), or through JMH
 * ({@code java -jar benchmarks.jar FmaPeakBench -t 2}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class FmaPeakBench {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Loop trips per invocation. */
    private static final int TRIPS = 4096;
    /** Independent accumulators: enough to cover the FMA latency times the FMA ports. */
    private static final int ACC = 24;

    private float a;
    private float b;

    /**
     * Operands that keep the accumulators finite and normal (they converge to b / (1 - a)). Scalars, not
     * vectors: a vector read from a field has no statically known shape, which stops the JIT from keeping
     * the accumulators in registers.
     */
    @Setup
    public void setup() {
        a = 0.999999f;
        b = 1e-7f;
    }

    /** {@code TRIPS x ACC} vector FMAs; the returned sum keeps the JIT from dropping them. */
    @Benchmark
    @OperationsPerInvocation(TRIPS * ACC)
    public float fma() {
        FloatVector x = FloatVector.broadcast(S, a), y = FloatVector.broadcast(S, b);
        FloatVector c0 = y, c1 = y, c2 = y, c3 = y, c4 = y, c5 = y, c6 = y, c7 = y, c8 = y, c9 = y, c10 = y, c11 = y;
        FloatVector c12 = y, c13 = y, c14 = y, c15 = y, c16 = y, c17 = y, c18 = y, c19 = y, c20 = y, c21 = y, c22 = y, c23 = y;
        for (int i = 0; i < TRIPS; i++) {
            c0 = c0.fma(x, y); c1 = c1.fma(x, y); c2 = c2.fma(x, y); c3 = c3.fma(x, y);
            c4 = c4.fma(x, y); c5 = c5.fma(x, y); c6 = c6.fma(x, y); c7 = c7.fma(x, y);
            c8 = c8.fma(x, y); c9 = c9.fma(x, y); c10 = c10.fma(x, y); c11 = c11.fma(x, y);
            c12 = c12.fma(x, y); c13 = c13.fma(x, y); c14 = c14.fma(x, y); c15 = c15.fma(x, y);
            c16 = c16.fma(x, y); c17 = c17.fma(x, y); c18 = c18.fma(x, y); c19 = c19.fma(x, y);
            c20 = c20.fma(x, y); c21 = c21.fma(x, y); c22 = c22.fma(x, y); c23 = c23.fma(x, y);
        }
        FloatVector s = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .add(c12).add(c13).add(c14).add(c15).add(c16).add(c17).add(c18).add(c19).add(c20).add(c21).add(c22).add(c23);
        return s.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /** Runs 1 and 2 threads and prints GFLOP/s per thread and in all. */
    public static void main(String[] args) throws Exception {
        int lanes = S.length();
        for (int threads : new int[] {1, 2}) {
            var opts = new org.openjdk.jmh.runner.options.OptionsBuilder().include(FmaPeakBench.class.getSimpleName()).threads(threads).build();
            for (var r : new org.openjdk.jmh.runner.Runner(opts).run()) {
                double perUs = r.getPrimaryResult().getScore();   // summed over threads by JMH
                System.out.printf("threads %d: %.1f GFLOP/s in all, %.1f per thread (%d float lanes per FMA)%n", threads, perUs * 2 * lanes / 1000,
                        perUs * 2 * lanes / 1000 / threads, lanes);
            }
        }
    }
}
