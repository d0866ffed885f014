package dev.tessera.tensor;

import static dev.tessera.tensor.OpTestSupport.assertError;
import static dev.tessera.tensor.OpTestSupport.at;
import static dev.tessera.tensor.OpTestSupport.read;
import static dev.tessera.tensor.OpTestSupport.shares;
import static dev.tessera.tensor.OpTestSupport.unravel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Views (reshape, permute, transpose, mT, slice, narrow, select, expand, unsqueeze, squeeze,
 * broadcastTo, split, chunk) checked element by element against index arithmetic on the source,
 * storage sharing proven by writing through a view, and the copy rules of reshape/contiguous.
 */
class TensorViewsTest {
    private final Random r = new Random(81);

    private Tensor arangeF32(int... shape) {
        int n = Shape.numel(shape);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return Tensor.of(v, shape);
    }

    @Test
    void reshapeOfContiguousIsAViewWithRowMajorOrder() {
        Tensor x = arangeF32(2, 3, 4);
        Tensor v = x.reshape(4, -1);
        assertArrayEquals(new int[] {4, 6}, v.shape());
        assertTrue(shares(x, v));
        assertArrayEquals(read(x), read(v));
        assertArrayEquals(new int[] {24}, x.flatten().shape());
        assertArrayEquals(new int[] {2, 1, 12}, x.reshape(2, 1, -1).shape());
        assertArrayEquals(new int[] {0, 3}, Tensor.zeros(DType.F32, 3, 0).reshape(-1, 3).shape());
        assertArrayEquals(new int[] {}, Tensor.of(new float[] {5}).reshape().shape());
        // write through the view: the source sees it
        v.select(0, 1).fillInPlace(-1);
        double[] want = new double[24];
        for (int i = 0; i < 24; i++) want[i] = i >= 6 && i < 12 ? -1 : i;
        assertArrayEquals(want, read(x));
        assertEquals(-1.0, x.get(0, 1, 2));
        assertEquals(5.0, x.get(0, 1, 1));
    }

    @Test
    void reshapeOfStridedViewsFollowsTheViewRule() {
        // [6,10] narrowed to [6,8]: rows are contiguous runs, so splitting the last dim is a view
        Tensor base = arangeF32(6, 10);
        Tensor n = base.narrow(1, 0, 8);
        Tensor v = n.reshape(6, 2, 4);
        assertTrue(shares(base, v), "splitting a contiguous run is a view");
        assertArrayEquals(read(n), read(v));
        Tensor c = n.reshape(48);
        assertFalse(shares(base, c), "merging rows with a gap needs a copy");
        assertArrayEquals(read(n), read(c));
        // transposed: reshape to flat copies, values in the view's row-major order
        Tensor t = arangeF32(3, 5).mT();
        Tensor tf = t.reshape(-1);
        assertFalse(shares(t, tf));
        assertArrayEquals(read(t), read(tf));
        // an expanded tensor can split its broadcast dim without a copy
        Tensor e = Tensor.of(new float[] {1, 2, 3}, 3, 1).expand(3, 4);
        Tensor es = e.reshape(3, 2, 2);
        assertTrue(shares(e, es));
        assertArrayEquals(read(e), read(es));
        Tensor ef = e.reshape(12);
        assertArrayEquals(read(e), read(ef));
        // a permuted 3-d tensor: merge of the dims that stayed adjacent is a view
        Tensor p = arangeF32(2, 3, 4).permute(2, 0, 1);
        Tensor pm = p.reshape(4, 6);
        assertTrue(shares(p, pm));
        assertArrayEquals(read(p), read(pm));
        Tensor pc = p.reshape(8, 3);
        assertArrayEquals(read(p), read(pc));
        for (int trial = 0; trial < 30; trial++) {
            int[] shape = {1 + r.nextInt(4), 1 + r.nextInt(4), 1 + r.nextInt(4)};
            Tensor s = OpTestSupport.strided(r, DType.F32, -1, 1, shape);
            Tensor flat = s.reshape(-1);
            assertArrayEquals(read(s), read(flat), "strided reshape keeps row-major order");
            Tensor back = flat.reshape(shape);
            assertArrayEquals(read(s), read(back));
        }
    }

    @Test
    void reshapeErrors() {
        Tensor x = Tensor.zeros(DType.F32, 2, 3);
        assertError(() -> x.reshape(4, 2), "reshape", "[2,3]", "[4,2]");
        assertError(() -> x.reshape(-1, -1), "reshape", "-1");
        assertError(() -> x.reshape(4, -1), "reshape", "[2,3]", "[4,-1]");
        assertError(() -> x.reshape(-2, 3), "reshape", "negative");
    }

    @Test
    void permuteTransposeAndMT() {
        Tensor x = OpTestSupport.strided(r, DType.F64, -1, 1, 2, 3, 4);
        Tensor p = x.permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertTrue(shares(x, p));
        for (int i = 0; i < 24; i++) {
            int[] idx = unravel(i, p.shape());
            assertEquals(at(x, new int[] {idx[1], idx[2], idx[0]}), at(p, idx));
        }
        Tensor t = x.transpose(0, -1);
        assertArrayEquals(new int[] {4, 3, 2}, t.shape());
        for (int i = 0; i < 24; i++) {
            int[] idx = unravel(i, t.shape());
            assertEquals(at(x, new int[] {idx[2], idx[1], idx[0]}), at(t, idx));
        }
        Tensor m = x.mT();
        assertArrayEquals(new int[] {2, 4, 3}, m.shape());
        assertEquals(at(x, new int[] {1, 2, 3}), at(m, new int[] {1, 3, 2}));
        assertArrayEquals(read(x), read(x.mT().mT()));
        assertError(() -> x.permute(0, 1), "permute", "rank 3");
        assertError(() -> x.permute(0, 1, 1), "permute", "repeated");
        assertError(() -> x.permute(0, 1, 3), "permute", "3");
        assertError(() -> Tensor.zeros(DType.F32, 3).mT(), "mT", "[3]");
        assertError(() -> x.transpose(0, 5), "transpose", "5");
    }

    /** Indices a Python slice start:end:step picks from a dimension of size n. */
    private static List<Integer> pySlice(int n, int start, int end, int step) {
        int s = start < 0 ? Math.max(0, start + n) : Math.min(start, n);
        int e = end < 0 ? Math.max(0, end + n) : Math.min(end, n);
        List<Integer> idx = new ArrayList<>();
        for (int i = s; i < e; i += step) idx.add(i);
        return idx;
    }

    @Test
    void sliceWithStepsNarrowAndSelect() {
        Tensor x = OpTestSupport.strided(r, DType.F32, -1, 1, 5, 11);
        int[][] specs = {{0, 11, 1}, {1, 9, 2}, {-4, 11, 3}, {2, 100, 4}, {-100, 3, 1}, {7, 3, 1}, {3, 3, 1}, {0, -1, 5},
            {10, 11, 7}};
        for (int[] sp : specs) {
            Tensor s = x.slice(1, sp[0], sp[1], sp[2]);
            List<Integer> idx = pySlice(11, sp[0], sp[1], sp[2]);
            assertArrayEquals(new int[] {5, idx.size()}, s.shape(), "slice " + java.util.Arrays.toString(sp));
            assertTrue(shares(x, s));
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < idx.size(); j++) assertEquals(at(x, new int[] {i, idx.get(j)}), at(s, new int[] {i, j}));
            }
        }
        Tensor s0 = x.slice(0, 1, 5, 2);
        assertArrayEquals(new int[] {2, 11}, s0.shape());
        assertEquals(at(x, new int[] {3, 4}), at(s0, new int[] {1, 4}));
        // slice of a slice composes steps
        Tensor ss = x.slice(1, 1, 11, 2).slice(1, 1, 5, 2);
        assertEquals(at(x, new int[] {2, 7}), at(ss, new int[] {2, 1}));
        assertError(() -> x.slice(1, 0, 5, 0), "slice", "step");
        assertError(() -> x.slice(2, 0, 5, 1), "slice", "2");

        Tensor n = x.narrow(1, 3, 4);
        assertArrayEquals(new int[] {5, 4}, n.shape());
        assertEquals(at(x, new int[] {4, 6}), at(n, new int[] {4, 3}));
        assertArrayEquals(new int[] {5, 0}, x.narrow(1, 11, 0).shape());
        assertError(() -> x.narrow(1, 8, 4), "narrow", "[8, 12)", "11", "[5,11]");
        assertError(() -> x.narrow(1, -1, 2), "narrow");

        Tensor row = x.select(0, -2);
        assertArrayEquals(new int[] {11}, row.shape());
        assertEquals(at(x, new int[] {3, 5}), at(row, new int[] {5}));
        Tensor col = x.select(1, 10);
        assertEquals(at(x, new int[] {2, 10}), at(col, new int[] {2}));
        assertEquals(at(x, new int[] {2, 10}), x.get(2, 10));
        assertError(() -> x.select(0, 5), "select", "5", "[5,11]");
        assertError(() -> x.get(1), "get", "rank");
    }

    @Test
    void writesThroughViewsReachTheSource() {
        Tensor x = Tensor.zeros(DType.F64, 4, 6);
        x.slice(1, 1, 6, 2).fillInPlace(1);          // columns 1, 3, 5
        x.mT().select(0, 0).fillInPlace(2);          // column 0
        x.select(0, 3).narrow(0, 2, 2).addInPlace(Tensor.of(new double[] {10, 20}), 1);
        x.permute(1, 0).slice(0, 4, 5).scaleInPlace(7); // column 4
        double[] want = new double[24];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                double v = j == 0 ? 2 : j % 2 == 1 ? 1 : 0;
                if (i == 3 && j == 2) v += 10;
                if (i == 3 && j == 3) v += 20;
                if (j == 4) v *= 7;
                want[i * 6 + j] = v;
            }
        }
        assertArrayEquals(want, read(x));
        assertArrayEquals(want, x.toDoubleArray());
    }

    @Test
    void expandBroadcastToUnsqueezeSqueeze() {
        Tensor x = OpTestSupport.strided(r, DType.F32, -1, 1, 3, 1);
        Tensor e = x.expand(2, 3, 4);
        assertArrayEquals(new int[] {2, 3, 4}, e.shape());
        assertTrue(shares(x, e));
        for (int i = 0; i < 24; i++) {
            int[] idx = unravel(i, e.shape());
            assertEquals(at(x, new int[] {idx[1], 0}), at(e, idx));
        }
        assertArrayEquals(new int[] {3, 5}, x.expand(-1, 5).shape());
        assertArrayEquals(new int[] {0, 3, 1}, x.expand(0, 3, 1).shape());
        assertError(() -> x.expand(4, 1), "expand", "[3,1]", "[4,1]");
        assertError(() -> x.expand(5), "expand", "[3,1]", "[5]");
        Tensor b = x.broadcastTo(2, 3, 7);
        assertArrayEquals(read(e.expand(2, 3, 4).narrow(2, 0, 1).expand(2, 3, 7)), read(b));
        assertError(() -> x.broadcastTo(2, 2), "broadcastTo", "[3,1]", "[2,2]");
        assertArrayEquals(new int[] {3, 2}, x.broadcastTo(3, 2).shape());
        assertError(() -> Tensor.zeros(DType.F32, 2, 3).broadcastTo(3), "broadcastTo");

        Tensor y = OpTestSupport.strided(r, DType.F32, -1, 1, 2, 3);
        for (int a : new int[] {0, 1, 2, -1, -3}) {
            Tensor u = y.unsqueeze(a);
            int pos = a < 0 ? a + 3 : a;
            int[] want = new int[3];
            for (int d = 0, j = 0; d < 3; d++) want[d] = d == pos ? 1 : y.shape()[j++];
            assertArrayEquals(want, u.shape());
            assertArrayEquals(read(y), read(u));
            assertTrue(shares(y, u));
            assertArrayEquals(read(y), read(u.squeeze(a)));
            assertArrayEquals(y.shape(), u.squeeze(a).shape());
        }
        assertError(() -> y.unsqueeze(3), "unsqueeze", "3");
        assertError(() -> y.squeeze(0), "squeeze", "size 2");
        Tensor s = OpTestSupport.strided(r, DType.F32, -1, 1, 1, 4, 1, 1);
        assertArrayEquals(new int[] {4}, s.squeeze().shape());
        assertArrayEquals(read(s), read(s.squeeze()));
        assertArrayEquals(new int[] {}, Tensor.zeros(DType.F32, 1, 1).squeeze().shape());
    }

    @Test
    void splitAndChunkAreViews() {
        Tensor x = OpTestSupport.strided(r, DType.F32, -1, 1, 4, 10);
        Tensor[] parts = x.split(1, 3, 0, 7);
        assertEquals(3, parts.length);
        assertArrayEquals(new int[] {4, 3}, parts[0].shape());
        assertArrayEquals(new int[] {4, 0}, parts[1].shape());
        assertArrayEquals(new int[] {4, 7}, parts[2].shape());
        for (Tensor p : parts) assertTrue(shares(x, p));
        assertEquals(at(x, new int[] {2, 5}), at(parts[2], new int[] {2, 2}));
        Tensor[] ch = x.chunk(3, -1);
        assertEquals(3, ch.length);
        assertArrayEquals(new int[] {4, 4}, ch[0].shape());
        assertArrayEquals(new int[] {4, 2}, ch[2].shape());
        assertEquals(at(x, new int[] {3, 9}), at(ch[2], new int[] {3, 1}));
        assertEquals(2, x.chunk(2, 0).length);
        assertEquals(4, x.chunk(7, 0).length);
        assertEquals(0, Tensor.zeros(DType.F32, 0, 2).chunk(3, 0).length);
        assertError(() -> x.split(1, 3, 3), "split", "[3, 3]", "6", "[4,10]", "10");
        assertError(() -> x.split(1, 11, -1), "split", "negative");
        assertError(() -> x.chunk(0, 0), "chunk", "positive");
    }

    @Test
    @OpReference({"copyInPlace"})
    void contiguousCopiesOnlyWhenNeeded() {
        Tensor x = arangeF32(3, 4);
        assertSame(x, x.contiguous());
        assertTrue(x.isContiguous());
        for (int trial = 0; trial < 20; trial++) {
            int[] shape = {r.nextInt(4), 1 + r.nextInt(5), 1 + r.nextInt(3)};
            for (DType dt : DType.values()) {
                Tensor s = OpTestSupport.strided(r, dt, -3, 3, shape);
                Tensor c = s.contiguous();
                assertNotSame(s, c);
                assertFalse(shares(s, c));
                assertTrue(c.isContiguous());
                assertEquals(0, c.offset());
                assertArrayEquals(Shape.contiguousStrides(shape), c.strides());
                assertArrayEquals(read(s), read(c), "contiguous " + dt);
                Tensor cp = c.copy();
                assertFalse(shares(c, cp));
                assertArrayEquals(read(c), read(cp));
            }
        }
        // a view with an offset or a shorter extent is copied even though its strides are row-major
        Tensor row = arangeF32(3, 4).select(0, 1);
        assertTrue(row.isContiguous());
        Tensor rc = row.contiguous();
        assertEquals(0, rc.offset());
        assertArrayEquals(new float[] {4, 5, 6, 7}, rc.toFloatArray());
        // size-1 dims do not break contiguity
        Tensor odd = Tensor.wrap(x.storage(), new int[] {1, 12}, new int[] {99, 1}, 0);
        assertTrue(odd.isContiguous());
    }

    @Test
    @OpReference({"fillInPlace", "copyInPlace"})
    void creationOps() {
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f}, Tensor.arange(DType.F32, 0, 1, 0.25).toFloatArray());
        assertArrayEquals(new double[] {5, 3, 1}, Tensor.arange(DType.F64, 5, 0, -2).toDoubleArray());
        assertEquals(0, Tensor.arange(DType.F32, 1, 1, 1).numel());
        assertArrayEquals(new int[] {0, 1, 2, 3}, Tensor.arange(4).toIntArray());
        assertArrayEquals(new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, Tensor.eye(DType.F64, 3).toDoubleArray());
        for (DType dt : DType.values()) {
            Tensor f = Tensor.full(dt, 2.5, 2, 3);
            assertEquals(dt, f.dtype());
            double want = OpTestSupport.round(dt, 2.5);
            for (double v : read(f)) assertEquals(want, v);
            for (double v : read(Tensor.zeros(dt, 4))) assertEquals(0.0, v);
            for (double v : read(Tensor.ones(dt, 1, 2))) assertEquals(1.0, v);
            for (double v : read(f.zerosLike())) assertEquals(0.0, v);
            for (double v : read(f.onesLike())) assertEquals(1.0, v);
        }
        assertEquals(7.0, Tensor.scalar(DType.I32, 7).item());
        assertArrayEquals(new int[] {}, Tensor.scalar(DType.F32, 1).shape());
        assertError(() -> Tensor.arange(DType.F32, 0, 1, 0), "arange", "step");
        assertError(() -> Tensor.of(new float[] {1, 2, 3}, 2, 2), "of", "3", "[2,2]");
        assertError(() -> Tensor.zeros(DType.F32, 2).item(), "item", "2");
        assertError(() -> Tensor.zeros(DType.F32, 2, -1), "negative");
    }

    @Test
    void wrapValidatesBounds() {
        Tensor x = arangeF32(6);
        Tensor w = Tensor.wrap(x.storage(), new int[] {2, 2}, new int[] {1, 2}, 1);
        assertArrayEquals(new float[] {1, 3, 2, 4}, w.toFloatArray());
        assertError(() -> Tensor.wrap(x.storage(), new int[] {2, 3}, new int[] {3, 1}, 1), "wrap", "exceeds");
        assertError(() -> Tensor.wrap(x.storage(), new int[] {2}, new int[] {-1}, 0), "wrap", "exceeds");
        assertError(() -> Tensor.wrap(x.storage(), new int[] {2}, new int[] {1, 1}, 0), "wrap", "rank");
    }
}
