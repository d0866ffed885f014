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
 * Layer norm (with gamma and beta, saving mean and rstd) and RMS norm over a rows x cols float
 * matrix through {@link F32Kernels}, rows split over the CPU backend's threads with
 * {@link Parallel#forRange}. The backward is single-threaded here because it accumulates gGamma
 * and gBeta across rows.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar LayerNormBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LayerNormBench {
    /** Rows. */
    @Param({"4096"})
    public int rows;

    /** Row length. */
    @Param({"384", "1024"})
    public int cols;

    /** Kernel implementation: "simd" or "scalar". */
    @Param({"simd", "scalar"})
    public String impl;

    private float[] x, out, gy, gx, gamma, beta, mean, rstd, gGamma, gBeta;
    private F32Kernels k;

    /** Random inputs and affine parameters. */
    @Setup
    public void setup() {
        k = impl.equals("simd") ? F32Kernels.simd() : F32Kernels.scalar();
        var r = new SplittableRandom(3);
        int n = rows * cols;
        x = new float[n];
        out = new float[n];
        gy = new float[n];
        gx = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (2 * r.nextGaussian() + 1);
            gy[i] = (float) r.nextGaussian();
        }
        gamma = new float[cols];
        beta = new float[cols];
        gGamma = new float[cols];
        gBeta = new float[cols];
        for (int j = 0; j < cols; j++) {
            gamma[j] = (float) (1 + 0.1 * r.nextGaussian());
            beta[j] = (float) (0.1 * r.nextGaussian());
        }
        mean = new float[rows];
        rstd = new float[rows];
        k.layerNormRows(x, 0, gamma, beta, 1e-5f, out, 0, mean, rstd, rows, cols);
    }

    /** Layer norm forward with gamma, beta and saved statistics. */
    @Benchmark
    public float[] layerNorm() {
        Parallel.forRange(rows, 16, (s, e) -> k.layerNormRows(x, s * cols, gamma, beta, 1e-5f, out, s * cols,
                null, null, e - s, cols));
        return out;
    }

    /** RMS norm forward with gamma. */
    @Benchmark
    public float[] rmsNorm() {
        Parallel.forRange(rows, 16, (s, e) -> k.rmsNormRows(x, s * cols, gamma, 1e-6f, out, s * cols, null, e - s, cols));
        return out;
    }

    /** Layer norm backward (input gradient plus gGamma/gBeta accumulation), one thread. */
    @Benchmark
    public float[] layerNormBackward() {
        k.layerNormBackwardRows(x, 0, gamma, mean, rstd, gy, 0, gx, 0, gGamma, gBeta, rows, cols);
        return gx;
    }
}
