package dev.tessera.tensor;

import static dev.tessera.tensor.OpTestSupport.assertError;
import static dev.tessera.tensor.OpTestSupport.assertTensor;
import static dev.tessera.tensor.OpTestSupport.at;
import static dev.tessera.tensor.OpTestSupport.read;
import static dev.tessera.tensor.OpTestSupport.round;
import static dev.tessera.tensor.OpTestSupport.shares;
import static dev.tessera.tensor.OpTestSupport.unravel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Copying shape ops (concat, stack, pad) and the splitting views that invert them, against index
 * arithmetic on random, partly strided inputs of every dtype. All results must be exact.
 */
class ShapeOpsTest {
    private final Random r = new Random(91);

    /** Reference concat: output index along the axis maps to (part, index within part). */
    private static double[] concatRef(Tensor[] parts, int axis, int[] out) {
        double[] want = new double[Shape.numel(out)];
        for (int i = 0; i < want.length; i++) {
            int[] idx = unravel(i, out);
            int p = 0, pos = idx[axis];
            while (pos >= parts[p].dim(axis)) pos -= parts[p++].dim(axis);
            int[] pi = idx.clone();
            pi[axis] = pos;
            want[i] = at(parts[p], pi);
        }
        return want;
    }

    @Test
    @OpReference({"concat"})
    void concatMatchesReference() {
        int[][] base = {{3, 4, 5}, {1, 1, 1}, {2, 0, 3}, {7, 13, 2}};
        for (DType dt : DType.values()) {
            for (int[] b : base) {
                for (int axis = -3; axis < 3; axis++) {
                    int a = axis < 0 ? axis + 3 : axis;
                    int[] sizes = {b[a], 0, 2, 1};
                    Tensor[] parts = new Tensor[sizes.length];
                    int[] out = b.clone();
                    out[a] = 0;
                    for (int i = 0; i < parts.length; i++) {
                        int[] s = b.clone();
                        s[a] = sizes[i];
                        parts[i] = OpTestSupport.random(r, i % 2 == 0, dt, -5, 5, s);
                        out[a] += sizes[i];
                    }
                    Tensor got = Tensor.concat(axis, parts);
                    assertTensor("concat " + dt + Shape.str(b) + " axis " + axis, dt, out, concatRef(parts, a, out), got, 0, 0);
                }
            }
        }
        Tensor one = OpTestSupport.strided(r, DType.F32, -1, 1, 3, 2);
        Tensor c1 = Tensor.concat(0, one);
        assertFalse(shares(one, c1), "concat always returns a new tensor");
        assertArrayEquals(read(one), read(c1));
    }

    @Test
    @OpReference({"concat"})
    void concatPromotesDtypes() {
        Tensor a = Tensor.of(new int[] {1, 2}, 1, 2);
        Tensor b = Tensor.of(new float[] {0.5f, 1.5f}, 1, 2);
        Tensor c = Tensor.of(new double[] {3, 4}, 1, 2);
        Tensor ab = Tensor.concat(0, a, b);
        assertEquals(DType.F32, ab.dtype());
        assertArrayEquals(new float[] {1, 2, 0.5f, 1.5f}, ab.toFloatArray());
        Tensor abc = Tensor.concat(1, a, b, c);
        assertEquals(DType.F64, abc.dtype());
        assertArrayEquals(new double[] {1, 2, 0.5, 1.5, 3, 4}, abc.toDoubleArray());
    }

    @Test
    @OpReference({"concat"})
    void stackMatchesReference() {
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32, DType.BOOL, DType.BF16}) {
            for (int[] s : new int[][] {{3, 4}, {0, 2}, {1, 1}, {}}) {
                Tensor[] parts = new Tensor[3];
                for (int i = 0; i < 3; i++) parts[i] = OpTestSupport.random(r, i == 1, dt, -5, 5, s);
                for (int axis = -(s.length + 1); axis <= s.length; axis++) {
                    int a = axis < 0 ? axis + s.length + 1 : axis;
                    int[] out = new int[s.length + 1];
                    for (int d = 0, j = 0; d < out.length; d++) out[d] = d == a ? 3 : s[j++];
                    double[] want = new double[Shape.numel(out)];
                    for (int i = 0; i < want.length; i++) {
                        int[] idx = unravel(i, out);
                        int[] pi = new int[s.length];
                        for (int d = 0, j = 0; d < out.length; d++) if (d != a) pi[j++] = idx[d];
                        want[i] = at(parts[idx[a]], pi);
                    }
                    assertTensor("stack " + dt + Shape.str(s) + " axis " + axis, dt, out, want, Tensor.stack(axis, parts), 0, 0);
                }
            }
        }
    }

    @Test
    @OpReference({"pad"})
    void padMatchesReference() {
        int[][] shapes = {{3, 4}, {2, 0, 3}, {1}, {5, 1, 7}};
        for (DType dt : DType.values()) {
            for (int[] s : shapes) {
                for (int trial = 0; trial < 3; trial++) {
                    int[] pads = new int[2 * s.length];
                    for (int i = 0; i < pads.length; i++) pads[i] = r.nextInt(3);
                    Tensor x = OpTestSupport.random(r, trial % 2 == 1, dt, -5, 5, s);
                    double value = trial == 2 ? -1.5 : 0;
                    int[] out = new int[s.length];
                    for (int d = 0; d < s.length; d++) out[d] = s[d] + pads[2 * d] + pads[2 * d + 1];
                    double[] want = new double[Shape.numel(out)];
                    for (int i = 0; i < want.length; i++) {
                        int[] idx = unravel(i, out);
                        int[] src = new int[s.length];
                        boolean inside = true;
                        for (int d = 0; d < s.length; d++) {
                            src[d] = idx[d] - pads[2 * d];
                            if (src[d] < 0 || src[d] >= s[d]) inside = false;
                        }
                        want[i] = inside ? at(x, src) : round(dt, value);
                    }
                    assertTensor("pad " + dt + Shape.str(s) + " " + java.util.Arrays.toString(pads), dt, out, want,
                            x.pad(pads, value), 0, 0);
                }
            }
        }
        Tensor scalar = Tensor.scalar(DType.F32, 2);
        assertArrayEquals(new float[] {2}, scalar.pad(new int[0], 0).toFloatArray());
        assertError(() -> Tensor.zeros(DType.F32, 2, 3).pad(new int[] {1, 1}, 0), "pad", "4", "[2,3]", "2");
        assertError(() -> Tensor.zeros(DType.F32, 2).pad(new int[] {1, -1}, 0), "pad", "negative");
    }

    @Test
    @OpReference({"concat"})
    void splitThenConcatRoundTrips() {
        for (int trial = 0; trial < 10; trial++) {
            Tensor x = OpTestSupport.strided(r, DType.F32, -1, 1, 4, 1 + r.nextInt(12), 3);
            int n = x.dim(1);
            int cut = r.nextInt(n + 1);
            Tensor[] parts = x.split(1, cut, n - cut);
            assertArrayEquals(read(x), read(Tensor.concat(1, parts)));
            Tensor[] chunks = x.chunk(1 + r.nextInt(4), 1);
            int total = 0;
            for (Tensor c : chunks) total += c.dim(1);
            assertEquals(n, total);
            assertArrayEquals(read(x), read(Tensor.concat(1, chunks)));
            Tensor[] rows = new Tensor[4];
            for (int i = 0; i < 4; i++) rows[i] = x.select(0, i);
            assertArrayEquals(read(x), read(Tensor.stack(0, rows)));
        }
    }

    @Test
    @OpReference({"concat"})
    void errorsNameOpAndShapes() {
        Tensor a = Tensor.zeros(DType.F32, 2, 3), b = Tensor.zeros(DType.F32, 2, 4), c = Tensor.zeros(DType.F32, 2, 3, 1);
        assertArrayEquals(new int[] {2, 7}, Tensor.concat(1, a, b).shape());
        assertError(() -> Tensor.concat(0, a, b), "concat", "part 1", "[2,4]", "[2,3]");
        assertError(() -> Tensor.concat(0, a, c), "concat", "[2,3,1]", "rank");
        assertError(() -> Tensor.concat(2, a, a), "concat", "axis 2");
        assertError(() -> Tensor.concat(0), "concat", "no tensors");
        assertError(() -> Tensor.stack(0, a, b), "stack", "[2,4]", "[2,3]");
        assertError(() -> Tensor.stack(3, a, a), "stack", "3");
    }
}
