package dev.tessera.kernels.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.runtime.CudaRuntime;
import dev.tessera.tensor.Backends;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;

/**
 * Shared set-up of the GPU suite: skips (JUnit assumption) without a real CUDA device, turns on
 * NaN poisoning of every allocation, prints the seed, and compares GPU results with the CPU
 * backend: relative Frobenius error and max |x - r| <= tol * max|r| for floats (NaN exactly where
 * the CPU has NaN), equality for integers and booleans.
 */
final class GpuFixture {
    private GpuFixture() {}

    static final Device CUDA = Device.cuda(0);
    /** Tolerances of the GPU suite. */
    static final double F32 = 1e-5, TF32 = 5e-4, BF16 = 1e-2;

    /**
     * Skips unless a real CUDA device is usable; returns the backend with poisoning on. With
     * {@code -Dtessera.test.emulate=true} the suite runs instead on the fake driver with every
     * kernel emulated on the host (see FakeCuda#enableEmulation): that checks kernel logic and
     * the backend's marshalling without a GPU, not GPU behaviour.
     */
    static CudaBackend require() {
        if (Boolean.getBoolean("tessera.test.emulate")) {
            Assumptions.assumeTrue(dev.tessera.kernels.FakeCuda.enableEmulation(), "kernel emulation unavailable");
            System.out.println("[gpu] running on the fake driver with host-emulated kernels");
        } else {
            String driver = System.getProperty("tessera.cuda.driver", "");
            Assumptions.assumeFalse(driver.contains("fake-cuda"), "the fake CUDA driver is installed in this JVM: GPU tests skipped");
        }
        CudaRuntime.Probe p = CudaRuntime.probe();
        Assumptions.assumeTrue(p.available(), () -> "no usable CUDA device: " + p.reason());
        CudaBackend be = (CudaBackend) Backends.of(CUDA);
        be.cudaDevice().setPoison(true);
        return be;
    }

    /** A fresh seed, printed so a failure can be replayed. */
    static long seed(String test) {
        long s = Long.getLong("tessera.test.seed", System.nanoTime());
        System.out.println("[gpu] " + test + " seed " + s);
        return s;
    }

    /** Like {@link #close} and prints the relative error (for the fused-kernel suites' logs). */
    static void closeReport(String what, Tensor cpu, Tensor gpu, double tol) {
        close(what, cpu, gpu, tol);
        double[] r = cpu.toDoubleArray(), x = gpu.to(Device.cpu()).toDoubleArray();
        double num = 0, den = 0;
        for (int i = 0; i < r.length; i++) {
            if (!Double.isFinite(r[i]) || !Double.isFinite(x[i])) continue;
            num += (x[i] - r[i]) * (x[i] - r[i]);
            den += r[i] * r[i];
        }
        System.out.printf("[gpu] %-40s relative error %.2e (gate %.0e)%n", what, den == 0 ? Math.sqrt(num) : Math.sqrt(num / den), tol);
    }

    /** Asserts the GPU result equals the CPU result within {@code tol} (exactly for I32/BOOL). */
    static void close(String what, Tensor cpu, Tensor gpu, double tol) {
        assertEquals(CUDA, gpu.device(), what + ": result not on the GPU");
        assertArrayEquals(cpu.shape(), gpu.shape(), what + ": shape " + Shape.str(gpu.shape()) + " vs CPU " + Shape.str(cpu.shape()));
        assertEquals(cpu.dtype(), gpu.dtype(), what + ": dtype");
        Tensor g = gpu.to(Device.cpu());
        if (!cpu.dtype().isFloating()) {
            assertArrayEquals(cpu.toIntArray(), g.toIntArray(), what + ": values differ");
            return;
        }
        double[] r = cpu.toDoubleArray(), x = g.toDoubleArray();
        double num = 0, den = 0, maxAbs = 0, maxRef = 0;
        int worst = -1;
        for (int i = 0; i < r.length; i++) {
            boolean rn = Double.isNaN(r[i]), xn = Double.isNaN(x[i]);
            if (rn || xn) {
                if (rn != xn) fail(what + ": element " + i + " is " + x[i] + " on the GPU, " + r[i] + " on the CPU");
                continue;
            }
            if (Double.isInfinite(r[i]) || Double.isInfinite(x[i])) {
                if (r[i] != x[i]) fail(what + ": element " + i + " is " + x[i] + " on the GPU, " + r[i] + " on the CPU");
                continue;
            }
            double d = x[i] - r[i];
            num += d * d;
            den += r[i] * r[i];
            if (Math.abs(d) > maxAbs) {
                maxAbs = Math.abs(d);
                worst = i;
            }
            maxRef = Math.max(maxRef, Math.abs(r[i]));
        }
        double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        // reduced-precision products (TF32/BF16) of short inner dimensions do not average their input
        // rounding away, so the elementwise gate allows 4x the relative gate there
        double elem = tol >= TF32 ? 4 * tol : tol;
        if (rel > tol || maxAbs > elem * Math.max(maxRef, 1e-30) && maxAbs > 0) {
            fail(String.format("%s: relative error %.3g, max |diff| %.3g at %d (gpu %s, cpu %s), max |ref| %.3g, tolerance %.1g",
                    what, rel, maxAbs, worst, worst < 0 ? "" : x[worst], worst < 0 ? "" : r[worst], maxRef, tol));
        }
    }

    /** The tolerance of a dtype's comparisons. */
    static double tol(DType dt) {
        return dt == DType.BF16 ? BF16 : dt == DType.F64 ? 1e-12 : F32;
    }
}
