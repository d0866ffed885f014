package dev.tessera.tensor;

import static dev.tessera.tensor.OpTestSupport.assertError;
import static dev.tessera.tensor.OpTestSupport.at;
import static dev.tessera.tensor.OpTestSupport.close;
import static dev.tessera.tensor.OpTestSupport.round;
import static dev.tessera.tensor.OpTestSupport.unravel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.tensor.ops.ReduceOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Reductions over single, multiple and all axes, with and without keepDims, on contiguous,
 * strided and permuted inputs, against float64 loops. Tolerances: SUM/MEAN/LOGSUMEXP/VAR in F32
 * 1e-6 of the sum of magnitudes (F64: 1e-13); MAX/MIN/ARGMAX/ARGMIN and integer sums exact; PROD
 * 1e-5 relative.
 */
class ReductionOpsTest {

    /** A shape with the axis lists to reduce it over ({} = all axes). */
    private record Case(int[] shape, int[][] axes) {}

    private static final Case[] CASES = {
        new Case(new int[] {2, 3, 4}, new int[][] {{}, {0}, {1}, {2}, {-1}, {0, 2}, {0, 1}, {1, 2}, {0, 1, 2}}),
        new Case(new int[] {13, 31}, new int[][] {{0}, {1}, {}}),
        new Case(new int[] {}, new int[][] {{}}),
        new Case(new int[] {1}, new int[][] {{0}}),
        new Case(new int[] {7, 1, 5}, new int[][] {{1}, {0, 1}, {2}}),
        new Case(new int[] {3, 40009}, new int[][] {{1}, {0}}),
    };

    /** Values of one reduction: the reduced elements of each output position, in row-major order. */
    private static List<double[]> groups(Tensor x, int[] axes) {
        int[] shape = x.shape();
        int rank = shape.length;
        boolean[] red = new boolean[rank];
        for (int a : axes) red[a] = true;
        int[] keptShape = new int[rank - axes.length], redShape = new int[axes.length];
        for (int d = 0, k = 0, q = 0; d < rank; d++) {
            if (red[d]) redShape[q++] = shape[d];
            else keptShape[k++] = shape[d];
        }
        int nOut = Shape.numel(keptShape), nRed = Shape.numel(redShape);
        List<double[]> out = new ArrayList<>();
        for (int o = 0; o < nOut; o++) {
            int[] ko = unravel(o, keptShape);
            double[] g = new double[nRed];
            for (int q = 0; q < nRed; q++) {
                int[] rq = unravel(q, redShape);
                int[] idx = new int[rank];
                for (int d = 0, k = 0, j = 0; d < rank; d++) idx[d] = red[d] ? rq[j++] : ko[k++];
                g[q] = at(x, idx);
            }
            out.add(g);
        }
        return out;
    }

    private static double reference(ReduceOp op, double[] g) {
        switch (op) {
            case SUM: return Arrays.stream(g).sum();
            case MEAN: return Arrays.stream(g).sum() / g.length;
            case MAX: return Arrays.stream(g).max().orElseThrow();
            case MIN: return Arrays.stream(g).min().orElseThrow();
            case PROD: {
                double p = 1;
                for (double v : g) p *= v;
                return p;
            }
            case LOGSUMEXP: {
                double t = 0;
                for (double v : g) t += Math.exp(v);
                return Math.log(t);
            }
            case ARGMAX:
            case ARGMIN: {
                int best = 0;
                for (int i = 1; i < g.length; i++) {
                    if (op == ReduceOp.ARGMAX ? g[i] > g[best] : g[i] < g[best]) best = i;
                }
                return best;
            }
            default: throw new IllegalStateException();
        }
    }

    private static int[] outShape(int[] shape, int[] axes, boolean keep) {
        boolean[] red = new boolean[shape.length];
        for (int a : axes) red[a] = true;
        List<Integer> s = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) {
            if (!red[d]) s.add(shape[d]);
            else if (keep) s.add(1);
        }
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] normalise(int[] axes, int rank) {
        if (axes.length == 0) {
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) all[i] = i;
            return all;
        }
        int[] r = axes.clone();
        for (int i = 0; i < r.length; i++) if (r[i] < 0) r[i] += rank;
        Arrays.sort(r);
        return r;
    }

    private static DType outType(ReduceOp op, DType in) {
        if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) return DType.I32;
        if (in == DType.BF16) return DType.F32;
        if (op == ReduceOp.MEAN || op == ReduceOp.LOGSUMEXP) return in.isFloating() ? in : DType.F32;
        return in == DType.BOOL ? DType.I32 : in;
    }

    private static void check(String what, ReduceOp op, Tensor x, int[] axes, boolean keep) {
        int[] ax = normalise(axes, x.rank());
        DType dt = outType(op, x.dtype());
        int[] os = outShape(x.shape(), ax, keep);
        Tensor got = x.reduce(op, axes, keep);
        assertEquals(dt, got.dtype(), what + ": dtype");
        assertArrayEquals(os, got.shape(), what + ": shape");
        double[] g = OpTestSupport.read(got);
        List<double[]> groups = groups(x, ax);
        for (int i = 0; i < g.length; i++) {
            double[] grp = groups.get(i);
            double want = round(dt, reference(op, grp));
            double mag = 0;
            for (double v : grp) mag += Math.abs(v);
            boolean f32 = dt == DType.F32;
            double rtol, atol;
            switch (op) {
                case SUM, MEAN, LOGSUMEXP -> {
                    rtol = f32 ? 1e-6 : 1e-13;
                    atol = (f32 ? 1e-6 : 1e-13) * (op == ReduceOp.MEAN ? mag / Math.max(1, grp.length) : mag);
                }
                case PROD -> {
                    rtol = f32 ? 1e-5 : 1e-12;
                    atol = 0;
                }
                default -> {
                    rtol = 0;
                    atol = 0;
                }
            }
            if (!close(g[i], want, rtol, atol)) {
                fail(what + ": output " + i + " is " + g[i] + ", expected " + want);
            }
        }
    }

    private static double[] domain(ReduceOp op) {
        return switch (op) {
            case SUM, MEAN, MAX, MIN, LOGSUMEXP -> new double[] {-4, 4};
            case PROD -> new double[] {0.95, 1.05};
            // whole numbers (floored below), so ties are frequent
            case ARGMAX, ARGMIN -> new double[] {-2, 2};
        };
    }

    @Test
    @OpReference({"reduce", "reduce:SUM", "reduce:MEAN", "reduce:MAX", "reduce:MIN", "reduce:PROD", "reduce:LOGSUMEXP",
            "reduce:ARGMAX", "reduce:ARGMIN"})
    void everyReductionMatchesFloat64Reference() {
        Random r = new Random(61);
        for (ReduceOp op : ReduceOp.values()) {
            boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
            double[] dom = domain(op);
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                for (Case c : CASES) {
                    for (int[] axes : c.axes()) {
                        if (arg && normalise(axes, c.shape().length).length != 1) continue;
                        for (int layout = 0; layout < 3; layout++) {
                            Tensor x = input(r, layout, dt, dom, c.shape());
                            if (arg) x = x.copyFrom(x.floor());
                            for (boolean keep : new boolean[] {false, true}) {
                                check(op + " " + dt + Shape.str(c.shape()) + " axes " + Arrays.toString(axes)
                                        + " layout " + layout + (keep ? " keepDims" : ""), op, x, axes, keep);
                            }
                        }
                    }
                }
            }
        }
    }

    /** layout 0: contiguous; 1: strided view; 2: a permuted contiguous buffer (transposed view). */
    private static Tensor input(Random r, int layout, DType dt, double[] dom, int[] shape) {
        return switch (layout) {
            case 0 -> OpTestSupport.random(r, dt, dom[0], dom[1], shape);
            case 1 -> OpTestSupport.strided(r, dt, dom[0], dom[1], shape);
            default -> {
                int k = shape.length;
                int[] rev = new int[k], order = new int[k];
                for (int i = 0; i < k; i++) {
                    rev[i] = shape[k - 1 - i];
                    order[i] = k - 1 - i;
                }
                yield OpTestSupport.random(r, dt, dom[0], dom[1], rev).permute(order);
            }
        };
    }

    @Test
    @OpReference({"reduce", "reduce:SUM", "reduce:MEAN", "reduce:MAX", "reduce:PROD", "reduce:ARGMAX", "reduce:ARGMIN"})
    void integerBoolAndBf16Inputs() {
        Random r = new Random(62);
        for (DType dt : new DType[] {DType.I32, DType.BOOL, DType.BF16}) {
            for (ReduceOp op : ReduceOp.values()) {
                if (dt == DType.BOOL && (op == ReduceOp.MAX || op == ReduceOp.MIN || op == ReduceOp.PROD)) continue;
                double[] dom = op == ReduceOp.PROD ? new double[] {1, 3} : new double[] {-4, 4};
                Tensor x = OpTestSupport.strided(r, dt, dom[0], dom[1], 6, 5);
                check(op + " " + dt, op, x, new int[] {1}, false);
                if (op != ReduceOp.ARGMAX && op != ReduceOp.ARGMIN) check(op + " " + dt + " all", op, x, new int[0], true);
            }
        }
    }

    @Test
    @OpReference({"reduce", "reduce:SUM", "reduce:MEAN"})
    void longSumsAndColumnSums() {
        Random r = new Random(63);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor big = OpTestSupport.random(r, dt, -1, 1, 150001);
            check("sum long " + dt, ReduceOp.SUM, big, new int[0], false);
            check("mean long " + dt, ReduceOp.MEAN, big, new int[] {0}, true);
            Tensor rows = OpTestSupport.random(r, dt, -1, 1, 257, 3, 131);
            check("column sum " + dt, ReduceOp.SUM, rows, new int[] {0}, false);
            check("column sum 2 " + dt, ReduceOp.SUM, rows, new int[] {0, 1}, true);
            check("column mean " + dt, ReduceOp.MEAN, rows, new int[] {0, 1}, false);
            // middle axes of a contiguous tensor (the gradient of an [E, 1, h] bias): several column
            // blocks, a partial last block, and a contiguous view with an offset
            Tensor mid = OpTestSupport.random(r, dt, -1, 1, 3, 37, 600);
            check("middle sum " + dt, ReduceOp.SUM, mid, new int[] {1}, true);
            check("middle mean " + dt, ReduceOp.MEAN, mid, new int[] {1}, false);
            Tensor mid4 = OpTestSupport.random(r, dt, -1, 1, 2, 3, 5, 300);
            check("middle run sum " + dt, ReduceOp.SUM, mid4, new int[] {1, 2}, true);
            check("middle run sum offset " + dt, ReduceOp.SUM, mid4.select(0, 1), new int[] {0, 1}, false);
            check("middle sum offset " + dt, ReduceOp.SUM, mid4.select(0, 1), new int[] {1}, false);
            // one axis of a strided view whose trailing block is contiguous: the per-head sum over time of a
            // [B, H, T, D] view of [B, T, H, D] (several column blocks at D = 300), with an offset, and an
            // expanded (stride 0) reduced axis
            Tensor heads = OpTestSupport.random(r, dt, -1, 1, 2, 7, 3, 300).permute(0, 2, 1, 3);
            check("strided middle sum " + dt, ReduceOp.SUM, heads, new int[] {2}, true);
            check("strided middle mean " + dt, ReduceOp.MEAN, heads, new int[] {2}, false);
            check("strided middle sum offset " + dt, ReduceOp.SUM, heads.select(0, 1), new int[] {1}, false);
            Tensor expanded = OpTestSupport.random(r, dt, -1, 1, 4, 1, 5).expand(4, 6, 5);
            check("expanded middle sum " + dt, ReduceOp.SUM, expanded, new int[] {1}, true);
        }
    }

    @Test
    @OpReference({"reduce", "reduce:SUM", "reduce:MEAN", "reduce:PROD", "reduce:LOGSUMEXP", "reduce:MAX"})
    void emptyReductions() {
        Tensor x = Tensor.zeros(DType.F32, 5, 0, 3);
        assertArrayEquals(new float[15], x.sum(1).toFloatArray());
        assertArrayEquals(new int[] {5, 3}, x.sum(1).shape());
        float[] prod = x.prod(1).toFloatArray();
        for (float p : prod) assertEquals(1f, p);
        for (float m : x.mean(1).toFloatArray()) assertEquals(Float.NaN, m);
        for (float l : x.logsumexp(1).toFloatArray()) assertEquals(Float.NEGATIVE_INFINITY, l);
        assertArrayEquals(new int[] {0, 3}, x.sum(0).shape());
        assertArrayEquals(new int[] {0, 3}, x.max(0).shape());
        assertEquals(0.0, Tensor.zeros(DType.F32, 0).sum().item());
        assertError(() -> x.max(), "max", "[5,0,3]");
        assertError(() -> x.min(1), "min", "empty", "[5,0,3]");
        assertError(() -> x.argmax(1), "argmax", "empty", "[5,0,3]");
    }

    @Test
    @OpReference({"reduce", "reduce:ARGMAX", "reduce:ARGMIN", "reduce:MAX"})
    void argmaxTiesAndNaN() {
        Tensor t = Tensor.of(new float[] {1, 3, 3, 0, 2, 2, 2, 2, -1, 5, -1, 5}, 3, 4);
        assertArrayEquals(new int[] {1, 0, 1}, t.argmax(1).toIntArray());
        assertArrayEquals(new int[] {3, 0, 0}, t.argmin(1).toIntArray());
        assertArrayEquals(new int[] {1, 2, 0, 2}, t.argmax(0).toIntArray());
        Tensor n = Tensor.of(new float[] {1, Float.NaN, 7, 2});
        assertEquals(1, n.argmax(0).toIntArray()[0]);
        assertEquals(Float.NaN, n.max().toFloatArray()[0]);
        assertEquals(Float.NaN, n.min().toFloatArray()[0]);
    }

    @Test
    @OpReference({"variance"})
    void varianceMatchesTwoPassReference() {
        Random r = new Random(64);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32}) {
            for (Case c : CASES) {
                for (int[] axes : c.axes()) {
                    for (int correction : new int[] {0, 1}) {
                        for (boolean keep : new boolean[] {false, true}) {
                            Tensor x = input(r, r.nextInt(3), dt, new double[] {-3, 5}, c.shape());
                            int[] ax = normalise(axes, x.rank());
                            Tensor got = x.var(axes, correction, keep);
                            DType out = dt == DType.I32 ? DType.F32 : dt;
                            String what = "var " + dt + Shape.str(c.shape()) + " axes " + Arrays.toString(axes) + " c" + correction;
                            assertEquals(out, got.dtype(), what);
                            assertArrayEquals(outShape(x.shape(), ax, keep), got.shape(), what);
                            double[] g = OpTestSupport.read(got);
                            List<double[]> groups = groups(x, ax);
                            for (int i = 0; i < g.length; i++) {
                                double[] grp = groups.get(i);
                                double mean = Arrays.stream(grp).sum() / grp.length, ss = 0;
                                for (double v : grp) ss += (v - mean) * (v - mean);
                                double want = round(out, ss / (grp.length - correction));
                                double tol = out == DType.F32 ? 2e-5 : 1e-12;
                                if (!close(g[i], want, tol, tol)) fail(what + ": output " + i + " is " + g[i] + ", expected " + want);
                            }
                        }
                    }
                }
            }
        }
        // one element with the unbiased estimator: 0/0
        assertEquals(Double.NaN, Tensor.of(new double[] {3}).var(new int[0], 1, false).item());
    }

    @Test
    @OpReference({"reduce"})
    void errorsNameOpAndShape() {
        Tensor x = Tensor.zeros(DType.F32, 2, 3);
        assertError(() -> x.argmax(2), "argmax", "2", "rank 2");
        assertError(() -> x.reduce(ReduceOp.ARGMAX, new int[] {0, 1}, false), "argmax", "one axis");
        assertError(() -> x.sum(0, -2), "sum", "repeated");
        assertError(() -> x.var(new int[] {3}, 0, false), "var", "3");
    }
}
