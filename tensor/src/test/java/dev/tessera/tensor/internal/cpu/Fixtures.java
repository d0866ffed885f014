package dev.tessera.tensor.internal.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.ReferenceOps;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.function.Executable;

/**
 * Test fixtures for the CPU indexing, fused and random op tests: tensors of a given shape in
 * several memory layouts (contiguous, permuted, step-sliced with an offset, expanded), tolerance
 * comparisons against {@link ReferenceOps}, and a way to run an op on one thread.
 */
final class Fixtures {
    private Fixtures() {}

    /** Memory layouts a test input can have. */
    enum Layout {
        /** Row-major, offset 0. */
        CONTIGUOUS,
        /** A permutation (reversed dims) of a contiguous buffer. */
        PERMUTED,
        /** Every dim taken with step 2 from offset 1 of a larger buffer. */
        SLICED,
        /** Dimension 0 broadcast from size 1 (stride 0); other dims contiguous. */
        EXPANDED
    }

    /** Tensor of {@code shape} and dtype holding exactly {@code v} (row-major), in the given layout. */
    static Tensor make(DType dt, double[] v, Layout layout, int... shape) {
        int k = shape.length;
        switch (layout) {
            case CONTIGUOUS -> {
                return exact(dt, v, shape);
            }
            case PERMUTED -> {
                int[] rev = new int[k];
                for (int i = 0; i < k; i++) rev[i] = shape[k - 1 - i];
                double[] t = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    int[] p = ReferenceOps.unravel(i, shape);
                    int[] q = new int[k];
                    for (int d = 0; d < k; d++) q[d] = p[k - 1 - d];
                    t[ReferenceOps.ravel(q, rev)] = v[i];
                }
                int[] order = new int[k];
                for (int i = 0; i < k; i++) order[i] = k - 1 - i;
                return exact(dt, t, rev).permute(order);
            }
            case SLICED -> {
                int[] big = new int[k];
                for (int d = 0; d < k; d++) big[d] = 2 * shape[d] + 1;
                double[] t = new double[ReferenceOps.numel(big)];
                java.util.Arrays.fill(t, Double.NaN);
                if (!dt.isFloating()) java.util.Arrays.fill(t, -77);
                for (int i = 0; i < v.length; i++) {
                    int[] p = ReferenceOps.unravel(i, shape);
                    for (int d = 0; d < k; d++) p[d] = 2 * p[d] + 1;
                    t[ReferenceOps.ravel(p, big)] = v[i];
                }
                Tensor b = exact(dt, t, big);
                for (int d = 0; d < k; d++) b = b.slice(d, 1, big[d], 2);
                return b;
            }
            case EXPANDED -> throw new IllegalArgumentException("use expanded(...) for broadcast views");
        }
        throw new IllegalStateException();
    }

    /** A tensor whose dimension 0 (of size {@code shape[0]}) is a stride-0 broadcast of one slice {@code row}. */
    static Tensor expanded(DType dt, double[] row, int... shape) {
        int[] one = shape.clone();
        one[0] = 1;
        return exact(dt, row, one).expand(shape);
    }

    /**
     * Attention operand: [B, H, T, D] values (row-major in x) as a tensor of dtype dt, contiguous, or a head-split
     * view (permuted) of a [B, T, H, D] buffer as a layer's projection gives it.
     */
    static Tensor attentionOperand(DType dt, double[] x, int b, int h, int t, int d, boolean headSplit) {
        if (!headSplit) return exact(dt, x, b, h, t, d);
        double[] y = new double[x.length];
        for (int bi = 0; bi < b; bi++) for (int hi = 0; hi < h; hi++) for (int ti = 0; ti < t; ti++) for (int e = 0; e < d; e++)
            y[((bi * t + ti) * h + hi) * d + e] = x[((bi * h + hi) * t + ti) * d + e];
        return exact(dt, y, b, t, h, d).permute(0, 2, 1, 3);
    }

    /**
     * The operands of an attention case as tensors {q [B,H,Tq,D], k [B,Hkv,Tk,D], v [B,Hkv,Tk,Dv], gOut [B,H,Tq,Dv],
     * keyPadding [B,Tk] or null}, each from row-major values via {@link #attentionOperand}.
     */
    static Tensor[] attentionOperands(DType dt, boolean headSplit, int[] bhHkvTqTkDDv, double[] q, double[] k, double[] v,
                                      double[] gOut, boolean[] pad) {
        int b = bhHkvTqTkDDv[0], h = bhHkvTqTkDDv[1], hkv = bhHkvTqTkDDv[2], tq = bhHkvTqTkDDv[3], tk = bhHkvTqTkDDv[4];
        int d = bhHkvTqTkDDv[5], dv = bhHkvTqTkDDv[6];
        return new Tensor[] {attentionOperand(dt, q, b, h, tq, d, headSplit), attentionOperand(dt, k, b, hkv, tk, d, headSplit),
                attentionOperand(dt, v, b, hkv, tk, dv, headSplit), attentionOperand(dt, gOut, b, h, tq, dv, headSplit),
                pad == null ? null : Tensor.of(pad, b, tk)};
    }

    /** The attention kernels to test: the SIMD ones (when the Vector API is on) and their scalar twin. */
    static AttentionKernels[] attentionKernelPaths() {
        return CpuConfig.simd() ? new AttentionKernels[] {AttentionKernels.simd(), AttentionKernels.scalar()}
                : new AttentionKernels[] {AttentionKernels.scalar()};
    }

    /** Contiguous tensor holding {@code v} converted to dt (ints truncate, bools nonzero). */
    static Tensor exact(DType dt, double[] v, int... shape) {
        return switch (dt) {
            case F64 -> Tensor.of(v.clone(), shape);
            case F32 -> {
                float[] f = new float[v.length];
                for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
                yield Tensor.of(f, shape);
            }
            case I32 -> {
                int[] a = new int[v.length];
                for (int i = 0; i < v.length; i++) a[i] = (int) v[i];
                yield Tensor.of(a, shape);
            }
            case BOOL -> {
                boolean[] a = new boolean[v.length];
                for (int i = 0; i < v.length; i++) a[i] = v[i] != 0;
                yield Tensor.of(a, shape);
            }
            case BF16 -> Tensor.of(v.clone(), shape).to(DType.BF16);
        };
    }

    /** I32 tensor of {@code shape} in a layout. */
    static Tensor ints(int[] v, Layout layout, int... shape) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return make(DType.I32, d, layout, shape);
    }

    /** Random values in [lo, hi) exactly representable in dt. */
    static double[] values(Random r, DType dt, double lo, double hi, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double x = lo + (hi - lo) * r.nextDouble();
            v[i] = switch (dt) {
                case F32 -> (float) x;
                case BF16 -> DType.fromBf16(DType.toBf16((float) x));
                case I32 -> Math.floor(x);
                case BOOL -> r.nextBoolean() ? 1 : 0;
                case F64 -> x;
            };
        }
        return v;
    }

    /** Random ints in [0, bound). */
    static int[] randomInts(Random r, int bound, int n) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = r.nextInt(bound);
        return v;
    }

    /** Relative tolerance for results computed in a dtype. */
    static double tol(DType dt) {
        return switch (dt) {
            case F64 -> 1e-12;
            case F32 -> 2e-5;
            case BF16 -> 2e-2;
            default -> 0;
        };
    }

    /** Asserts dtype, shape and values (|got - want| <= atol + rtol |want|; NaN equals NaN; infinities exact). */
    static void assertClose(String what, double[] want, int[] shape, DType dtype, Tensor got, double rtol, double atol) {
        assertEquals(dtype, got.dtype(), what + ": dtype");
        assertArrayEquals(shape, got.shape(), what + ": shape " + Shape.str(got.shape()));
        double[] g = ReferenceOps.values(got);
        assertEquals(want.length, g.length, what + ": size");
        for (int i = 0; i < g.length; i++) {
            boolean ok;
            if (Double.isNaN(want[i]) || Double.isNaN(g[i])) ok = Double.isNaN(want[i]) && Double.isNaN(g[i]);
            else if (Double.isInfinite(want[i]) || Double.isInfinite(g[i])) ok = want[i] == g[i];
            else ok = Math.abs(g[i] - want[i]) <= atol + rtol * Math.abs(want[i]);
            if (!ok) {
                fail(what + ": element " + i + " " + Shape.str(ReferenceOps.unravel(i, shape)) + " is " + g[i]
                        + ", expected " + want[i]);
            }
        }
    }

    /** Asserts two tensors have identical dtype, shape and bits. */
    static void assertSameBits(String what, Tensor a, Tensor b) {
        assertEquals(a.dtype(), b.dtype(), what + ": dtype");
        assertArrayEquals(a.shape(), b.shape(), what + ": shape");
        double[] x = ReferenceOps.values(a), y = ReferenceOps.values(b);
        for (int i = 0; i < x.length; i++) {
            if (Double.doubleToRawLongBits(x[i]) != Double.doubleToRawLongBits(y[i])) {
                fail(what + ": element " + i + " differs: " + x[i] + " vs " + y[i]);
            }
        }
    }

    /** Asserts {@code body} throws IllegalArgumentException with every fragment in its message. */
    static IllegalArgumentException assertError(Executable body, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body);
        for (String f : fragments) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(f),
                    "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
        return e;
    }

    /**
     * Runs {@code op} so that every {@link Parallel} loop inside it runs on one thread: inside a
     * pool job, nested loops run inline. Comparing with a direct call checks thread-count
     * independence.
     */
    @SuppressWarnings("unchecked")
    static <T> T singleThreaded(Supplier<T> op) {
        Object[] box = new Object[1];
        Parallel.forRange(2, 1, (s, e) -> {
            if (s == 0) box[0] = op.get();
        });
        return (T) box[0];
    }
}
