package dev.tessera.bench;

import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.ops.MatmulPrecision;
import dev.tessera.kernels.runtime.CudaEvent;
import dev.tessera.tensor.Backends;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;
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
 * cuBLAS GEMM through Tessera's FFM binding: C[n,n] = A[n,n] B[n,n] in F32, TF32 and BF16
 * (float32 tensors; BF16 rounds the inputs to bfloat16 and accumulates in float).
 *
 * <p>{@link #main} times with CUDA events (median of 50 launches after 10 warm-ups, output reused
 * through a Scope per launch) and prints TFLOP/s = 2 n^3 / time, the number to compare with
 * {@code bench/peers/gemm_gpu.py} (torch.matmul) on the same machine. Usage:
 * {@code java -cp benchmarks.jar dev.tessera.bench.GemmGpuBench [sizes, default 1024,2048,4096,8192]}.
 * The JMH methods (wall time of 10 products plus one synchronisation) are there for
 * {@code java -jar benchmarks.jar GemmGpuBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class GemmGpuBench {
    /** Matrix size. */
    @Param({"4096"})
    public int n;

    /** F32, TF32 or BF16. */
    @Param({"F32", "TF32", "BF16"})
    public String precision;

    private CudaBackend be;
    private Tensor a, b;
    private int[] shape;
    private MatmulPrecision p;

    /** Allocates the operands on cuda:0. */
    @Setup
    public void setup() {
        be = (CudaBackend) Backends.of(Device.cuda(0));
        a = Tensor.randn(new Rng(1), DType.F32, n, n).to(Device.cuda(0));
        b = Tensor.randn(new Rng(2), DType.F32, n, n).to(Device.cuda(0));
        shape = new int[] {n, n};
        p = MatmulPrecision.valueOf(precision);
    }

    /** Ten products, then a synchronisation. */
    @Benchmark
    public void tenProducts() {
        try (var s = dev.tessera.kernels.memory.Scope.open()) {
            for (int i = 0; i < 10; i++) be.matmul(a, b, shape, p);
        }
        be.synchronize();
    }

    /** Median milliseconds of one product, timed with CUDA events. */
    static double timeMillis(CudaBackend be, Tensor a, Tensor b, MatmulPrecision p, int warm, int reps) {
        int n = a.dim(0);
        int[] shape = {n, n};
        for (int i = 0; i < warm; i++) {
            try (var s = dev.tessera.kernels.memory.Scope.open()) {
                be.matmul(a, b, shape, p);
            }
        }
        double[] ms = new double[reps];
        try (CudaEvent start = be.cudaDevice().event(); CudaEvent end = be.cudaDevice().event()) {
            for (int i = 0; i < reps; i++) {
                try (var s = dev.tessera.kernels.memory.Scope.open()) {
                    start.record();
                    be.matmul(a, b, shape, p);
                    end.record();
                    ms[i] = start.elapsedMillis(end);
                }
            }
        }
        Arrays.sort(ms);
        return ms[reps / 2];
    }

    /** Prints the TFLOP/s table (see the class comment). */
    public static void main(String[] args) {
        int[] sizes = args.length > 0 ? Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {1024, 2048, 4096, 8192};
        CudaBackend be = (CudaBackend) Backends.of(Device.cuda(0));
        System.out.println("device " + be.cudaDevice());
        System.out.printf(Locale.ROOT, "%-6s %-5s %10s %10s%n", "n", "prec", "ms", "TFLOP/s");
        for (int n : sizes) {
            try (var s = dev.tessera.kernels.memory.Scope.open()) {
                Tensor a = Tensor.randn(new Rng(1), DType.F32, n, n).to(Device.cuda(0));
                Tensor b = Tensor.randn(new Rng(2), DType.F32, n, n).to(Device.cuda(0));
                for (MatmulPrecision p : MatmulPrecision.values()) {
                    // BF16 converts the float operands first; time the GEMM on pre-converted operands too
                    double ms = timeMillis(be, a, b, p, 10, 50);
                    double tflops = 2.0 * n * n * (double) n / (ms * 1e-3) / 1e12;
                    System.out.printf(Locale.ROOT, "%-6d %-5s %10.3f %10.1f%s%n", n, p, ms, tflops,
                            p == MatmulPrecision.BF16 ? "  (includes converting A and B to bf16)" : "");
                }
            }
        }
        System.out.println("memory " + be.memoryStats());
    }
}
