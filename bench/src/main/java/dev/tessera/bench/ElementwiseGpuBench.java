package dev.tessera.bench;

import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.memory.Scope;
import dev.tessera.kernels.runtime.CudaEvent;
import dev.tessera.tensor.Backends;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Memory bandwidth of the elementwise and reduction kernels on 256 MB float32 tensors (64 Mi
 * elements), against the measured device-to-device copy bandwidth of the same buffers. Bytes
 * count reads plus writes. Target: at least 70 % of the copy bandwidth.
 *
 * <p>{@link #main} times with CUDA events (median of 30 after 5 warm-ups) and prints GB/s and the
 * ratio to copy; compare with {@code bench/peers/elementwise_gpu.py}. Usage:
 * {@code java -cp benchmarks.jar dev.tessera.bench.ElementwiseGpuBench [MiB, default 256]}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class ElementwiseGpuBench {
    private CudaBackend be;
    private Tensor x, y;

    /** Allocates 256 MB operands. */
    @Setup
    public void setup() {
        be = (CudaBackend) Backends.of(Device.cuda(0));
        x = Tensor.randn(new Rng(1), DType.F32, 64 << 20).to(Device.cuda(0));
        y = Tensor.randn(new Rng(2), DType.F32, 64 << 20).to(Device.cuda(0));
    }

    /** x + y, synchronised. */
    @Benchmark
    public void add() {
        try (Scope s = Scope.open()) {
            x.add(y);
        }
        be.synchronize();
    }

    /** sum(x), synchronised. */
    @Benchmark
    public void sum() {
        try (Scope s = Scope.open()) {
            x.sum();
        }
        be.synchronize();
    }

    static double medianMillis(CudaBackend be, Supplier<Tensor> op) {
        for (int i = 0; i < 5; i++) {
            try (Scope s = Scope.open()) {
                op.get();
            }
        }
        double[] ms = new double[30];
        try (CudaEvent start = be.cudaDevice().event(); CudaEvent end = be.cudaDevice().event()) {
            for (int i = 0; i < ms.length; i++) {
                try (Scope s = Scope.open()) {
                    start.record();
                    op.get();
                    end.record();
                    ms[i] = start.elapsedMillis(end);
                }
            }
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    /** Prints the bandwidth table (see the class comment). */
    public static void main(String[] args) {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int n = mib << 18; // floats
        double bytes = 4.0 * n;
        CudaBackend be = (CudaBackend) Backends.of(Device.cuda(0));
        System.out.println("device " + be.cudaDevice() + ", " + mib + " MiB per tensor");
        Tensor x = Tensor.randn(new Rng(1), DType.F32, n).to(Device.cuda(0));
        Tensor y = Tensor.randn(new Rng(2), DType.F32, n).to(Device.cuda(0));
        Tensor rows = x.reshape(n / 4096, 4096);
        Map<String, Object[]> ops = new LinkedHashMap<>();
        ops.put("copy (cuMemcpyDtoD)", new Object[] {(Supplier<Tensor>) x::copy, 2.0});
        ops.put("x + y", new Object[] {(Supplier<Tensor>) () -> x.add(y), 3.0});
        ops.put("x * 2.5", new Object[] {(Supplier<Tensor>) () -> x.mul(2.5), 2.0});
        ops.put("exp(x)", new Object[] {(Supplier<Tensor>) x::exp, 2.0});
        ops.put("gelu(x)", new Object[] {(Supplier<Tensor>) x::gelu, 2.0});
        ops.put("x += 0.5 y", new Object[] {(Supplier<Tensor>) () -> x.addInPlace(y, 0.5), 3.0});
        ops.put("x + y[broadcast rows]", new Object[] {(Supplier<Tensor>) () -> rows.add(y.narrow(0, 0, 4096)), 2.0});
        ops.put("sum(x)", new Object[] {(Supplier<Tensor>) x::sum, 1.0});
        ops.put("sum(rows, 1)", new Object[] {(Supplier<Tensor>) () -> rows.sum(1), 1.0});
        ops.put("max(x)", new Object[] {(Supplier<Tensor>) x::max, 1.0});
        ops.put("softmax(rows, 1)", new Object[] {(Supplier<Tensor>) () -> rows.softmax(1), 2.0});
        ops.put("to(BF16)", new Object[] {(Supplier<Tensor>) () -> x.to(DType.BF16), 1.5});
        double copyGBs = 0;
        System.out.printf(Locale.ROOT, "%-24s %9s %9s %9s%n", "op", "ms", "GB/s", "vs copy");
        for (var e : ops.entrySet()) {
            @SuppressWarnings("unchecked")
            Supplier<Tensor> op = (Supplier<Tensor>) e.getValue()[0];
            double traffic = bytes * (double) e.getValue()[1];
            double ms = medianMillis(be, op);
            double gbs = traffic / (ms * 1e-3) / 1e9;
            if (copyGBs == 0) copyGBs = gbs;
            System.out.printf(Locale.ROOT, "%-24s %9.3f %9.1f %8.0f%%%n", e.getKey(), ms, gbs, 100 * gbs / copyGBs);
        }
        System.out.println("memory " + be.memoryStats());
    }
}
