package dev.tessera.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.tensor.internal.cpu.CpuStorage;
import java.util.Random;
import org.junit.jupiter.api.function.Executable;

/**
 * Test-side helpers shared by the op reference tests: seeded random tensors (contiguous or as
 * non-contiguous strided views over a larger buffer), an independent strided reader that goes
 * straight to the storage (so references never depend on the copy kernels under test), index
 * arithmetic for broadcasting, and tolerance-aware comparisons.
 */
final class OpTestSupport {
    private OpTestSupport() {}

    /** Shapes every elementwise test runs on: scalar, empty, one, primes, 2-d/3-d, one above the parallel grain. */
    static final int[][] SHAPES = {{}, {0}, {1}, {7}, {3, 0, 2}, {3, 5}, {2, 3, 7}, {13, 31}, {40009}};

    /** Random values exactly representable in {@code dt} within [lo, hi) (ints: whole numbers, bools: 0/1). */
    static double[] values(Random r, DType dt, double lo, double hi, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double x = lo + (hi - lo) * r.nextDouble();
            v[i] = switch (dt) {
                case F32 -> (float) x;
                case F64 -> x;
                case BF16 -> DType.fromBf16(DType.toBf16((float) x));
                case I32 -> Math.floor(x);
                case BOOL -> r.nextBoolean() ? 1 : 0;
            };
        }
        return v;
    }

    /** A contiguous tensor holding exactly {@code v} (which must be representable in {@code dt}). */
    static Tensor tensor(DType dt, double[] v, int... shape) {
        Object carrier = switch (dt) {
            case F32 -> {
                float[] f = new float[v.length];
                for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
                yield f;
            }
            case F64 -> v.clone();
            case I32 -> {
                int[] a = new int[v.length];
                for (int i = 0; i < v.length; i++) a[i] = (int) v[i];
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[v.length];
                for (int i = 0; i < v.length; i++) a[i] = v[i] != 0;
                yield a;
            }
            case BF16 -> {
                short[] a = new short[v.length];
                for (int i = 0; i < v.length; i++) a[i] = DType.toBf16((float) v[i]);
                yield a;
            }
        };
        return Backends.of(Device.cpu()).fromArray(carrier, dt, shape.clone());
    }

    /** A contiguous random tensor. */
    static Tensor random(Random r, DType dt, double lo, double hi, int... shape) {
        return tensor(dt, values(r, dt, lo, hi, Shape.numel(shape)), shape);
    }

    /**
     * A random tensor of {@code shape} that is a non-contiguous view: every dimension is taken
     * with step 2 from offset 1 of a buffer laid out in reversed dimension order, so strides are
     * neither row-major nor unit and the offset is nonzero.
     */
    static Tensor strided(Random r, DType dt, double lo, double hi, int... shape) {
        int k = shape.length;
        if (k == 0) return random(r, dt, lo, hi, 3).select(0, 1);
        int[] base = new int[k];
        for (int j = 0; j < k; j++) base[j] = 2 * shape[k - 1 - j] + 1;
        Tensor t = random(r, dt, lo, hi, base);
        for (int j = 0; j < k; j++) t = t.slice(j, 1, base[j], 2);
        int[] order = new int[k];
        for (int i = 0; i < k; i++) order[i] = k - 1 - i;
        Tensor v = t.permute(order);
        assertArrayEquals(shape, v.shape());
        return v;
    }

    /** Contiguous or strided random tensor. */
    static Tensor random(Random r, boolean strided, DType dt, double lo, double hi, int... shape) {
        return strided ? strided(r, dt, lo, hi, shape) : random(r, dt, lo, hi, shape);
    }

    /** Row-major multi-index of linear index {@code i} in {@code shape}. */
    static int[] unravel(int i, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = i % shape[d];
            i /= shape[d];
        }
        return idx;
    }

    /** Index into an operand of shape {@code s} for output index {@code out} under NumPy broadcasting. */
    static int[] broadcastIndex(int[] out, int[] s) {
        int[] idx = new int[s.length];
        int lead = out.length - s.length;
        for (int d = 0; d < s.length; d++) idx[d] = s[d] == 1 ? 0 : out[d + lead];
        return idx;
    }

    /** Element at a multi-index, read from the storage through shape, strides and offset. */
    static double at(Tensor t, int[] idx) {
        int[] st = t.strides(), sh = t.shape();
        long pos = t.offset();
        for (int d = 0; d < idx.length; d++) {
            if (idx[d] < 0 || idx[d] >= sh[d]) throw new IllegalArgumentException("index out of range");
            pos += (long) idx[d] * st[d];
        }
        return ((CpuStorage) t.storage()).get((int) pos);
    }

    /** All elements in row-major order, read independently of the backend's copy kernels. */
    static double[] read(Tensor t) {
        int[] sh = t.shape();
        int n = t.numel();
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = at(t, unravel(i, sh));
        return v;
    }

    /** Rounds a float64 reference to what storing it in {@code dt} gives. */
    static double round(DType dt, double x) {
        return switch (dt) {
            case F32 -> (float) x;
            case F64 -> x;
            case BF16 -> DType.fromBf16(DType.toBf16((float) x));
            case I32 -> (int) x;
            case BOOL -> x != 0 ? 1 : 0;
        };
    }

    /** True when {@code got} is within {@code atol + rtol*|want|} of {@code want}; NaN matches NaN, infinities match exactly. */
    static boolean close(double got, double want, double rtol, double atol) {
        if (Double.isNaN(want) || Double.isNaN(got)) return Double.isNaN(want) && Double.isNaN(got);
        if (Double.isInfinite(want) || Double.isInfinite(got)) return got == want;
        return Math.abs(got - want) <= atol + rtol * Math.abs(want);
    }

    /** Asserts shape, dtype and every element of {@code actual} against {@code expected}. */
    static void assertTensor(String what, DType dtype, int[] shape, double[] expected, Tensor actual,
                             double rtol, double atol) {
        assertEquals(dtype, actual.dtype(), what + ": dtype");
        assertArrayEquals(shape, actual.shape(), what + ": shape");
        double[] got = read(actual);
        assertEquals(expected.length, got.length, what + ": element count");
        for (int i = 0; i < got.length; i++) {
            if (!close(got[i], expected[i], rtol, atol)) {
                fail(what + ": element " + i + " " + Shape.str(unravel(i, shape)) + " is " + got[i] + ", expected "
                        + expected[i] + " (rtol " + rtol + ", atol " + atol + ")");
            }
        }
    }

    /** Asserts that {@code body} throws an IllegalArgumentException whose message contains every fragment. */
    static IllegalArgumentException assertError(Executable body, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body);
        for (String f : fragments) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(f),
                    "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
        return e;
    }

    /** Same storage object (so the tensors are views of one buffer). */
    static boolean shares(Tensor a, Tensor b) {
        return a.storage() == b.storage();
    }
}
