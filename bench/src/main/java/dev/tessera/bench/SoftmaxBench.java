package dev.tessera.bench;

import dev.tessera.tensor.internal.cpu.F32Kernels;
import dev.tessera.tensor.internal.cpu.Parallel;
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
 * Row softmax (forward and backward) over a rows x cols float matrix through {@link F32Kernels},
 * rows split over the CPU backend's threads with {@link Parallel#forRange}.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar SoftmaxBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SoftmaxBench {
    /** Rows. */
    @Param({"4096"})
    public int rows;

    /** Row length. */
    @Param({"256", "1024"})
    public int cols;

    /** Kernel implementation: "simd" or "scalar". */
    @Param({"simd", "scalar"})
    public String impl;

    private float[] x, y, gy, gx;
    private F32Kernels k;

    /** Random logits N(0, 3^2) and upstream gradients. */
    @Setup
    public void setup() {
        k = impl.equals("simd") ? F32Kernels.simd() : F32Kernels.scalar();
        var r = new SplittableRandom(2);
        int n = rows * cols;
        x = new float[n];
        y = new float[n];
        gy = new float[n];
        gx = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (3 * r.nextGaussian());
            gy[i] = (float) r.nextGaussian();
        }
        k.softmaxRows(x, 0, y, 0, rows, cols);
    }

    /** Softmax forward. */
    @Benchmark
    public float[] softmax() {
        Parallel.forRange(rows, 16, (s, e) -> k.softmaxRows(x, s * cols, y, s * cols, e - s, cols));
        return y;
    }

    /** Log-softmax forward. */
    @Benchmark
    public float[] logSoftmax() {
        Parallel.forRange(rows, 16, (s, e) -> k.logSoftmaxRows(x, s * cols, gx, s * cols, e - s, cols));
        return gx;
    }

    /** Softmax backward from the output. */
    @Benchmark
    public float[] softmaxBackward() {
        Parallel.forRange(rows, 16, (s, e) -> k.softmaxBackwardRows(y, s * cols, gy, s * cols, gx, s * cols, e - s, cols));
        return gx;
    }
}
