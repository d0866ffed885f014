package dev.tessera.tensor.internal.cpu;

import static dev.tessera.tensor.internal.cpu.Fixtures.assertClose;
import static dev.tessera.tensor.internal.cpu.Fixtures.assertError;
import static dev.tessera.tensor.internal.cpu.Fixtures.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.OpReference;
import dev.tessera.tensor.ReferenceOps;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.internal.cpu.Fixtures.Layout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Indexing kernels of the CPU backend against the float64 loops of {@link ReferenceOps}. */
class IndexingOpsTest {
    private static final DType[] TYPES = {DType.F32, DType.F64, DType.I32, DType.BF16};
    private static final Layout[] LAYOUTS = {Layout.CONTIGUOUS, Layout.PERMUTED, Layout.SLICED};
    /** x shapes: size 1, primes, an empty dimension. */
    private static final int[][] SHAPES = {{1}, {7}, {5, 3}, {2, 7, 3}, {3, 0, 2}, {1, 1, 1}};

    @Test
    @OpReference({"gather"})
    void gatherMatchesReference() {
        Random r = new Random(1);
        for (DType dt : TYPES) {
            for (int[] xs : SHAPES) {
                for (int dim = 0; dim < xs.length; dim++) {
                    for (Layout lx : LAYOUTS) {
                        // index may be smaller than x in every dimension but must stay in range elsewhere
                        int[] is = xs.clone();
                        for (int d = 0; d < is.length; d++) if (d != dim && is[d] > 1) is[d] = is[d] - 1;
                        is[dim] = xs[dim] == 0 ? 0 : 4;
                        double[] xv = Fixtures.values(r, dt, -5, 5, ReferenceOps.numel(xs));
                        int[] iv = xs[dim] == 0 ? new int[0] : Fixtures.randomInts(r, xs[dim], ReferenceOps.numel(is));
                        Tensor x = Fixtures.make(dt, xv, lx, xs);
                        Tensor idx = Fixtures.ints(iv, lx == Layout.PERMUTED ? Layout.SLICED : Layout.PERMUTED, is);
                        double[] want = ReferenceOps.gather(xv, xs, dim, iv, is);
                        assertClose("gather " + dt + " dim " + dim + " " + lx, want, is, dt, x.gather(dim, idx), 0, 0);
                    }
                }
            }
        }
    }

    @Test
    @OpReference({"gather"})
    void gatherLargeAndBool() {
        Random r = new Random(2);
        int[] xs = {301, 1009};
        double[] xv = Fixtures.values(r, DType.F32, -1, 1, ReferenceOps.numel(xs));
        int[] is = {301, 257};
        int[] iv = Fixtures.randomInts(r, 1009, ReferenceOps.numel(is));
        Tensor out = Fixtures.exact(DType.F32, xv, xs).gather(1, Fixtures.ints(iv, Layout.CONTIGUOUS, is));
        assertClose("gather large", ReferenceOps.gather(xv, xs, 1, iv, is), is, DType.F32, out, 0, 0);
        double[] bv = Fixtures.values(r, DType.BOOL, 0, 1, 12);
        int[] bi = {3, 0, 2, 2, 1, 0};
        Tensor b = Fixtures.exact(DType.BOOL, bv, 3, 4).gather(1, Fixtures.ints(bi, Layout.CONTIGUOUS, 3, 2));
        assertClose("gather bool", ReferenceOps.gather(bv, new int[] {3, 4}, 1, bi, new int[] {3, 2}), new int[] {3, 2},
                DType.BOOL, b, 0, 0);
    }

    @Test
    void gatherRejectsBadIndices() {
        Tensor x = Tensor.zeros(DType.F32, 3, 5);
        assertError(() -> x.gather(1, Tensor.of(new int[] {0, 5}, 1, 2)), "gather", "index 5", "dimension 1", "size 5");
        assertError(() -> x.gather(0, Tensor.of(new int[] {-1}, 1, 1)), "gather", "index -1", "dimension 0", "size 3");
        assertError(() -> x.gather(1, Tensor.of(new float[] {0}, 1, 1)), "gather", "I32");
        assertError(() -> x.gather(1, Tensor.of(new int[] {0}, 1)), "gather", "rank");
    }

    @Test
    @OpReference({"scatterAdd"})
    void scatterAddMatchesReference() {
        Random r = new Random(3);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32}) {
            for (int[] bs : SHAPES) {
                for (int dim = 0; dim < bs.length; dim++) {
                    for (Layout lay : LAYOUTS) {
                        int[] is = bs.clone();
                        for (int d = 0; d < is.length; d++) if (d != dim && is[d] > 1) is[d]--;
                        is[dim] = bs[dim] == 0 ? 0 : 6; // more entries than the dimension: many collisions
                        int[] ss = is.clone();
                        double[] base = Fixtures.values(r, dt, -5, 5, ReferenceOps.numel(bs));
                        double[] src = Fixtures.values(r, dt, -5, 5, ReferenceOps.numel(ss));
                        int[] iv = bs[dim] == 0 ? new int[0] : Fixtures.randomInts(r, bs[dim], ReferenceOps.numel(is));
                        Tensor out = Fixtures.make(dt, base, lay, bs).scatterAdd(dim, Fixtures.ints(iv, lay, is),
                                Fixtures.make(dt, src, lay == Layout.SLICED ? Layout.PERMUTED : Layout.SLICED, ss));
                        double[] want = ReferenceOps.scatterAdd(base, bs, dim, iv, is, src, ss);
                        assertClose("scatterAdd " + dt + " dim " + dim + " " + lay, want, bs, dt, out, Fixtures.tol(dt), 1e-5);
                    }
                }
            }
        }
        // src larger than index and expanded (stride 0) src
        double[] row = {1, 2, 3, 4};
        Tensor src = Fixtures.expanded(DType.F64, row, 3, 4);
        Tensor out = Tensor.zeros(DType.F64, 2, 4).scatterAdd(0, Tensor.of(new int[] {1, 0, 1, 1, 0, 0}, 2, 3), src);
        assertClose("scatterAdd expanded src", new double[] {0, 4, 3, 0, 2, 0, 3, 0}, new int[] {2, 4}, DType.F64, out, 0, 0);
    }

    @Test
    @OpReference({"scatterAdd"})
    void scatterAddIsDeterministicAcrossThreadCounts() {
        Random r = new Random(4);
        // dim 1 with many outer rows (split over rows) and dim 0 with a wide inner dimension (split over chunks)
        int[][][] cases = {{{512, 50}, {512, 300}}, {{7, 10000}, {40, 10000}}};
        int[] dims = {1, 0};
        for (int c = 0; c < cases.length; c++) {
            int[] bs = cases[c][0], is = cases[c][1];
            int dim = dims[c];
            double[] src = Fixtures.values(r, DType.F32, -1, 1, ReferenceOps.numel(is));
            int[] iv = Fixtures.randomInts(r, bs[dim], ReferenceOps.numel(is));
            Tensor base = Tensor.zeros(DType.F32, bs), idx = Tensor.of(iv, is), s = Fixtures.exact(DType.F32, src, is);
            Tensor par = base.scatterAdd(dim, idx, s);
            Tensor seq = Fixtures.singleThreaded(() -> base.scatterAdd(dim, idx, s));
            assertSameBits("scatterAdd threads", seq, par);
            // bits equal float32 accumulation in row-major order of the index
            float[] want = new float[ReferenceOps.numel(bs)];
            for (int i = 0; i < iv.length; i++) {
                int[] p = ReferenceOps.unravel(i, is);
                p[dim] = iv[i];
                want[ReferenceOps.ravel(p, bs)] += (float) src[i];
            }
            assertSameBits("scatterAdd order", Tensor.of(want, bs), par);
        }
    }

    @Test
    void scatterAddRejectsBadIndices() {
        Tensor base = Tensor.zeros(DType.F32, 2, 3);
        Tensor src = Tensor.ones(DType.F32, 2, 3);
        assertError(() -> base.scatterAdd(1, Tensor.of(new int[] {0, 3}, 1, 2), src), "scatterAdd", "index 3", "dimension 1", "size 3");
        assertError(() -> base.scatterAdd(0, Tensor.of(new int[] {-2}, 1, 1), src), "scatterAdd", "index -2", "dimension 0", "size 2");
        assertError(() -> base.scatterAdd(0, Tensor.of(new float[] {0}, 1, 1), src), "scatterAdd", "I32");
    }

    @Test
    @OpReference({"indexSelect"})
    void indexSelectMatchesReference() {
        Random r = new Random(5);
        for (DType dt : TYPES) {
            for (int[] xs : SHAPES) {
                for (int dim = 0; dim < xs.length; dim++) {
                    for (Layout lay : LAYOUTS) {
                        int m = xs[dim] == 0 ? 0 : 5;
                        int[] iv = Fixtures.randomInts(r, Math.max(1, xs[dim]), m);
                        double[] xv = Fixtures.values(r, dt, -5, 5, ReferenceOps.numel(xs));
                        Tensor out = Fixtures.make(dt, xv, lay, xs).indexSelect(dim, Fixtures.ints(iv, lay, m));
                        assertClose("indexSelect " + dt + " dim " + dim + " " + lay, ReferenceOps.indexSelect(xv, xs, dim, iv),
                                ReferenceOps.withDim(xs, dim, m), dt, out, 0, 0);
                    }
                }
            }
        }
        int[] xs = {2000, 33};
        double[] xv = Fixtures.values(r, DType.F32, -1, 1, ReferenceOps.numel(xs));
        int[] iv = Fixtures.randomInts(r, 2000, 3001);
        Tensor out = Fixtures.exact(DType.F32, xv, xs).indexSelect(0, Tensor.of(iv));
        assertClose("indexSelect large", ReferenceOps.indexSelect(xv, xs, 0, iv), new int[] {3001, 33}, DType.F32, out, 0, 0);
        assertError(() -> Tensor.zeros(DType.F32, 4, 2).indexSelect(0, Tensor.of(new int[] {1, 4})), "indexSelect", "index 4",
                "dimension 0", "size 4");
        assertError(() -> Tensor.zeros(DType.F32, 4, 2).indexSelect(1, Tensor.of(new int[] {0}, 1, 1)), "indexSelect", "1-d");
    }

    @Test
    @OpReference({"indexAdd"})
    void indexAddMatchesReferenceAndIsDeterministic() {
        Random r = new Random(6);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32}) {
            for (int[] shape : SHAPES) {
                for (int dim = 0; dim < shape.length; dim++) {
                    for (Layout lay : LAYOUTS) {
                        int m = shape[dim] == 0 ? 0 : 9;
                        int[] ss = ReferenceOps.withDim(shape, dim, m);
                        int[] iv = Fixtures.randomInts(r, Math.max(1, shape[dim]), m);
                        double[] sv = Fixtures.values(r, dt, -5, 5, ReferenceOps.numel(ss));
                        Tensor out = Tensor.indexAdd(shape, dim, Fixtures.ints(iv, lay, m), Fixtures.make(dt, sv, lay, ss));
                        assertClose("indexAdd " + dt + " dim " + dim + " " + lay, ReferenceOps.indexAdd(shape, dim, iv, sv, ss),
                                shape, dt, out, Fixtures.tol(dt), 1e-5);
                    }
                }
            }
        }
        int[] shape = {64, 5000};
        int[] iv = Fixtures.randomInts(r, 64, 700);
        Tensor src = Fixtures.exact(DType.F32, Fixtures.values(r, DType.F32, -1, 1, 700 * 5000), 700, 5000);
        Tensor par = Tensor.indexAdd(shape, 0, Tensor.of(iv), src);
        assertSameBits("indexAdd threads", Fixtures.singleThreaded(() -> Tensor.indexAdd(shape, 0, Tensor.of(iv), src)), par);
        assertClose("indexAdd large", ReferenceOps.indexAdd(shape, 0, iv, ReferenceOps.values(src), src.shape()), shape,
                DType.F32, par, 1e-5, 1e-5);
        assertError(() -> Tensor.indexAdd(new int[] {3}, 0, Tensor.of(new int[] {3}), Tensor.ones(DType.F32, 1)), "indexAdd",
                "index 3", "dimension 0", "size 3");
    }

    @Test
    @OpReference({"oneHot"})
    void oneHotMatchesReference() {
        Random r = new Random(7);
        for (Layout lay : LAYOUTS) {
            int[] iv = Fixtures.randomInts(r, 5, 12);
            Tensor out = Fixtures.ints(iv, lay, 3, 4).oneHot(5);
            assertClose("oneHot " + lay, ReferenceOps.oneHot(iv, 5), new int[] {3, 4, 5}, DType.F32, out, 0, 0);
        }
        assertClose("oneHot empty", new double[0], new int[] {0, 3}, DType.F32, Tensor.of(new int[0]).oneHot(3), 0, 0);
        assertError(() -> Tensor.of(new int[] {0, 3}).oneHot(3), "oneHot", "index 3", "size 3");
        assertError(() -> Tensor.of(new int[] {-1}).oneHot(3), "oneHot", "index -1");
        assertError(() -> Tensor.of(new float[] {1}).oneHot(3), "oneHot", "I32");
    }

    /** Values with many ties, NaN, signed zeros and infinities. */
    private static double[] awkward(Random r, DType dt, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(12);
            v[i] = switch (c) {
                case 0 -> dt == DType.I32 ? 0 : Double.NaN;
                case 1 -> dt == DType.I32 ? 0 : -0.0;
                case 2 -> dt == DType.I32 ? Integer.MIN_VALUE : Double.NEGATIVE_INFINITY;
                case 3 -> dt == DType.I32 ? Integer.MAX_VALUE : Double.POSITIVE_INFINITY;
                default -> r.nextInt(7) - 3;
            };
        }
        return v;
    }

    @Test
    @OpReference({"sort"})
    void sortIsStableWithNaNLargest() {
        Random r = new Random(8);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32, DType.BF16}) {
            for (int[] xs : new int[][] {{1}, {13}, {5, 3}, {2, 7, 3}, {3, 0, 2}, {4, 97}}) {
                for (int dim = 0; dim < xs.length; dim++) {
                    for (boolean desc : new boolean[] {false, true}) {
                        Layout lay = LAYOUTS[r.nextInt(LAYOUTS.length)];
                        double[] xv = awkward(r, dt, ReferenceOps.numel(xs));
                        Tensor.ValuesIndices got = Fixtures.make(dt, xv, lay, xs).sort(dim, desc);
                        int[] order = ReferenceOps.sortIndices(xv, xs, dim, desc);
                        String what = "sort " + dt + " dim " + dim + (desc ? " desc " : " asc ") + lay;
                        assertArrayEquals(order, ReferenceOps.ints(got.indices()), what + " indices");
                        assertClose(what, ReferenceOps.gather(xv, xs, dim, order, xs), xs, dt, got.values(), 0, 0);
                        assertEquals(DType.I32, got.indices().dtype());
                    }
                }
            }
        }
        // -0.0 keeps its sign in the values while tying with +0.0
        Tensor.ValuesIndices z = Tensor.of(new float[] {0f, -0f, -1f}).sort(0, false);
        assertArrayEquals(new int[] {2, 0, 1}, z.indices().toIntArray());
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(z.values().toFloatArray()[2]));
    }

    @Test
    @OpReference({"topk"})
    void topkMatchesStableSortPrefix() {
        Random r = new Random(9);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32}) {
            for (int[] xs : new int[][] {{1}, {13}, {5, 3}, {2, 7, 3}, {6, 1000}}) {
                for (int dim = 0; dim < xs.length; dim++) {
                    for (boolean largest : new boolean[] {false, true}) {
                        int n = xs[dim];
                        for (int k : new int[] {0, 1, Math.min(n, 3), n / 2, n}) {
                            Layout lay = LAYOUTS[r.nextInt(LAYOUTS.length)];
                            double[] xv = awkward(r, dt, ReferenceOps.numel(xs));
                            Tensor.ValuesIndices got = Fixtures.make(dt, xv, lay, xs).topk(k, dim, largest);
                            int[] want = ReferenceOps.firstK(ReferenceOps.sortIndices(xv, xs, dim, largest), xs, dim, k);
                            int[] os = ReferenceOps.withDim(xs, dim, k);
                            String what = "topk " + dt + " " + java.util.Arrays.toString(xs) + " dim " + dim + " k " + k
                                    + (largest ? " largest " : " smallest ") + lay;
                            assertArrayEquals(want, ReferenceOps.ints(got.indices()), what + " indices");
                            assertClose(what, ReferenceOps.gather(xv, xs, dim, want, os), os, dt, got.values(), 0, 0);
                        }
                    }
                }
            }
        }
        assertError(() -> Tensor.zeros(DType.F32, 3).topk(4, 0, true), "topk", "k = 4");
    }

    @Test
    @OpReference({"cumsum"})
    void cumsumMatchesReference() {
        Random r = new Random(10);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32}) {
            for (int[] xs : new int[][] {{1}, {7}, {5, 3}, {2, 7, 3}, {3, 0, 2}, {3, 5000}, {5000, 3}}) {
                for (int dim = 0; dim < xs.length; dim++) {
                    Layout lay = LAYOUTS[r.nextInt(LAYOUTS.length)];
                    double[] xv = Fixtures.values(r, dt, -100, 100, ReferenceOps.numel(xs));
                    double[] want = ReferenceOps.cumsum(xv, xs, dim);
                    if (dt == DType.F32) for (int i = 0; i < want.length; i++) want[i] = (float) want[i];
                    // F32 accumulates in float64: each prefix is the correctly rounded double sum
                    assertClose("cumsum " + dt + " dim " + dim + " " + lay, want, xs, dt,
                            Fixtures.make(dt, xv, lay, xs).cumsum(dim), dt == DType.F32 ? 1e-7 : 1e-12, 1e-9);
                }
            }
        }
        assertClose("cumsum bool", new double[] {1, 1, 2}, new int[] {3}, DType.I32,
                Tensor.of(new boolean[] {true, false, true}).cumsum(0), 0, 0);
        assertClose("cumsum bf16", new double[] {1.5, 4}, new int[] {2}, DType.F32,
                Tensor.of(new float[] {1.5f, 2.5f}).to(DType.BF16).cumsum(0), 0, 0);
    }

    @Test
    @OpReference({"bincount"})
    void bincountMatchesReference() {
        Random r = new Random(11);
        for (int n : new int[] {0, 1, 17, 100_000}) {
            int[] v = Fixtures.randomInts(r, 50, n);
            for (int minLength : new int[] {0, 10, 80}) {
                Tensor got = Fixtures.ints(v, n % 2 == 0 ? Layout.CONTIGUOUS : Layout.SLICED, n).bincount(minLength);
                double[] want = ReferenceOps.bincount(v, minLength);
                assertClose("bincount n " + n + " min " + minLength, want, new int[] {want.length}, DType.I32, got, 0, 0);
            }
        }
        assertError(() -> Tensor.of(new int[] {1, -3}).bincount(0), "bincount", "-3");
        assertError(() -> Tensor.of(new int[] {1}).bincount(-1), "bincount", "minLength");
        assertError(() -> Tensor.of(new float[] {1}).bincount(0), "bincount", "I32");
    }
}
