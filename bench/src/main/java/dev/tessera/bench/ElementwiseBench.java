package dev.tessera.bench;

import dev.tessera.tensor.internal.cpu.F32Kernels;
import dev.tessera.tensor.internal.cpu.Parallel;
import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.UnaryOp;
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

/**
 * add, mul and exp over 16 M floats through {@link F32Kernels}, split over the CPU backend's
 * threads with {@link Parallel#forRange}. {@code impl} picks the Vector API or the scalar kernels;
 * the {@code ...Alloc} variants allocate their output each call (as {@code a + b} in NumPy does).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar ElementwiseBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// A fixed, pre-touched heap: otherwise each 64 MB allocation of the ...Alloc variants pays G1
// humongous-region commits and page faults that dwarf the kernel (measured 265 ms vs 15 ms).
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class ElementwiseBench {
    /** Elements per operand. */
    @Param({"16777216"})
    public int n;

    /** Kernel implementation: "simd" or "scalar". */
    @Param({"simd", "scalar"})
    public String impl;

    private static final int GRAIN = 1 << 16;
    private float[] a, b, out;
    private F32Kernels k;

    /** Random operands in [-4, 4). */
    @Setup
    public void setup() {
        k = impl.equals("simd") ? F32Kernels.simd() : F32Kernels.scalar();
        var r = new SplittableRandom(1);
        a = new float[n];
        b = new float[n];
        out = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextDouble(-4, 4);
            b[i] = (float) r.nextDouble(-4, 4);
        }
    }

    private float[] binary(BinaryOp op, float[] dst) {
        Parallel.forRange(n, GRAIN, (s, e) -> k.binary(op, a, s, b, s, dst, s, e - s));
        return dst;
    }

    private float[] unary(UnaryOp op, float[] dst) {
        Parallel.forRange(n, GRAIN, (s, e) -> k.unary(op, a, s, dst, s, e - s));
        return dst;
    }

    /** out = a + b into a preallocated array. */
    @Benchmark
    public float[] add() {
        return binary(BinaryOp.ADD, out);
    }

    /** out = a * b into a preallocated array. */
    @Benchmark
    public float[] mul() {
        return binary(BinaryOp.MUL, out);
    }

    /** out = exp(a) into a preallocated array. */
    @Benchmark
    public float[] exp() {
        return unary(UnaryOp.EXP, out);
    }

    /** a + b into a freshly allocated array. */
    @Benchmark
    public float[] addAlloc() {
        return binary(BinaryOp.ADD, new float[n]);
    }

    /** a * b into a freshly allocated array. */
    @Benchmark
    public float[] mulAlloc() {
        return binary(BinaryOp.MUL, new float[n]);
    }

    /** exp(a) into a freshly allocated array. */
    @Benchmark
    public float[] expAlloc() {
        return unary(UnaryOp.EXP, new float[n]);
    }
}
