package dev.tessera.tensor;

import static dev.tessera.tensor.OpTestSupport.assertError;
import static dev.tessera.tensor.OpTestSupport.at;
import static dev.tessera.tensor.OpTestSupport.broadcastIndex;
import static dev.tessera.tensor.OpTestSupport.unravel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code Tensor.matmul} (vector, matrix, batched, broadcast batch dims, transposed and strided
 * views) against a float64 triple loop. Tolerance: the classic bound {@code k * eps * sum|a||b|}
 * per output element (eps = 2^-24 for F32, 2^-53 for F64), plus a tiny absolute term.
 */
class MatmulOpsTest {

    /** Reference for NumPy matmul semantics, reading operands through their strides. */
    private static void check(String what, Tensor a, Tensor b) {
        DType dt = a.dtype() == DType.F64 || b.dtype() == DType.F64 ? DType.F64 : DType.F32;
        Tensor got = a.matmul(b);
        boolean va = a.rank() == 1, vb = b.rank() == 1;
        int[] as = va ? new int[] {1, a.dim(0)} : a.shape(), bs = vb ? new int[] {b.dim(0), 1} : b.shape();
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        int[] ab = Arrays.copyOf(as, as.length - 2), bb = Arrays.copyOf(bs, bs.length - 2);
        int[] batch = Shape.broadcast("ref", ab, bb);
        int[] full = Arrays.copyOf(batch, batch.length + 2);
        full[batch.length] = m;
        full[batch.length + 1] = n;
        int[] expectShape;
        if (va && vb) expectShape = batch;
        else if (va) expectShape = concat(batch, new int[] {n});
        else if (vb) expectShape = concat(batch, new int[] {m});
        else expectShape = full;
        assertEquals(dt, got.dtype(), what + ": dtype");
        assertArrayEquals(expectShape, got.shape(), what + ": shape");
        double[] g = OpTestSupport.read(got);
        double eps = dt == DType.F64 ? 0x1p-53 : 0x1p-24;
        int nb = Shape.numel(batch);
        for (int bi = 0; bi < nb; bi++) {
            int[] bidx = unravel(bi, batch);
            int[] ai = broadcastIndex(bidx, ab), bj = broadcastIndex(bidx, bb);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, mag = 0;
                    for (int p = 0; p < k; p++) {
                        double x = va ? at(a, new int[] {p}) : at(a, concat(ai, new int[] {i, p}));
                        double y = vb ? at(b, new int[] {p}) : at(b, concat(bj, new int[] {p, j}));
                        s += x * y;
                        mag += Math.abs(x * y);
                    }
                    double v = g[(bi * m + i) * n + j];
                    double tol = Math.max(1, k) * eps * 2 * mag + 1e-30;
                    if (!(Math.abs(v - s) <= tol)) {
                        fail(what + ": batch " + bi + " (" + i + "," + j + ") is " + v + ", expected " + s + " +- " + tol);
                    }
                }
            }
        }
    }

    private static int[] concat(int[] x, int[] y) {
        int[] r = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, r, x.length, y.length);
        return r;
    }

    private static Tensor rnd(Random r, DType dt, int... shape) {
        return OpTestSupport.random(r, dt, -1, 1, shape);
    }

    private static final int[][] MNK = {
        {0, 5, 7}, {5, 0, 7}, {5, 7, 0}, {1, 1, 1}, {1, 13, 1}, {13, 1, 17}, {7, 13, 17}, {31, 37, 41},
        {67, 61, 129}, {130, 67, 257},
    };

    @Test
    @OpReference({"matmul"})
    void matricesOfManySizesAndLayouts() {
        Random r = new Random(71);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int[] s : MNK) {
                int m = s[0], n = s[1], k = s[2];
                String sz = dt + " m" + m + " n" + n + " k" + k;
                check("plain " + sz, rnd(r, dt, m, k), rnd(r, dt, k, n));
                // transposed views: the GEMM reads them in place
                check("aT " + sz, rnd(r, dt, k, m).mT(), rnd(r, dt, k, n));
                check("bT " + sz, rnd(r, dt, m, k), rnd(r, dt, n, k).mT());
                check("aT bT " + sz, rnd(r, dt, k, m).mT(), rnd(r, dt, n, k).mT());
                // padded rows (leading dimension > cols) and fully strided views (copy path)
                check("padded " + sz, rnd(r, dt, m, k + 3).narrow(1, 2, k), rnd(r, dt, k, n + 1).narrow(1, 0, n));
                check("strided " + sz, OpTestSupport.strided(r, dt, -1, 1, m, k), OpTestSupport.strided(r, dt, -1, 1, k, n));
            }
        }
    }

    @Test
    @OpReference({"matmul"})
    void vectorsBatchesAndBroadcastBatchDims() {
        Random r = new Random(72);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            check("dot " + dt, rnd(r, dt, 37), rnd(r, dt, 37));
            check("dot empty " + dt, rnd(r, dt, 0), rnd(r, dt, 0));
            check("vec-mat " + dt, rnd(r, dt, 13), rnd(r, dt, 13, 7));
            check("mat-vec " + dt, rnd(r, dt, 7, 13), rnd(r, dt, 13));
            check("vec-batched " + dt, rnd(r, dt, 5), rnd(r, dt, 3, 5, 4));
            check("batched-vec " + dt, rnd(r, dt, 3, 4, 5), rnd(r, dt, 5));
            check("batched " + dt, rnd(r, dt, 3, 7, 5), rnd(r, dt, 3, 5, 11));
            check("broadcast [2,1,3,4]x[5,4,6] " + dt, rnd(r, dt, 2, 1, 3, 4), rnd(r, dt, 5, 4, 6));
            check("matrix x batched " + dt, rnd(r, dt, 4, 6), rnd(r, dt, 2, 6, 3));
            check("batched x matrix " + dt, rnd(r, dt, 2, 3, 4, 6), rnd(r, dt, 6, 5));
            check("batched mT " + dt, rnd(r, dt, 3, 5, 7).mT(), rnd(r, dt, 3, 9, 5).mT());
            check("expanded batch " + dt, rnd(r, dt, 1, 4, 6).expand(3, 4, 6), rnd(r, dt, 3, 6, 2));
            check("permuted batch " + dt, rnd(r, dt, 4, 3, 6).permute(1, 0, 2), rnd(r, dt, 6, 3, 2).permute(1, 0, 2));
            check("sliced batch " + dt, rnd(r, dt, 6, 4, 5).slice(0, 1, 6, 2), rnd(r, dt, 3, 5, 2));
            check("empty batch " + dt, rnd(r, dt, 0, 4, 5), rnd(r, dt, 5, 2));
            check("large batch " + dt, rnd(r, dt, 17, 33, 29), rnd(r, dt, 17, 29, 31));
        }
        check("mixed F32 x F64", rnd(r, DType.F32, 3, 4), rnd(r, DType.F64, 4, 5));
        check("I32 x I32 computes in F32", OpTestSupport.random(r, DType.I32, -5, 5, 3, 4),
                OpTestSupport.random(r, DType.I32, -5, 5, 4, 2));
        check("BF16 computes in F32", rnd(r, DType.BF16, 3, 4), rnd(r, DType.BF16, 4, 2));
    }

    @Test
    @OpReference({"matmul"})
    void errorsNameOpAndShapes() {
        Tensor a = Tensor.zeros(DType.F32, 64, 128), b = Tensor.zeros(DType.F32, 256, 32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.matmul(b));
        assertEquals("matmul: inner dimensions differ: a[64,128] x b[256,32]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.F32, 5).matmul(Tensor.zeros(DType.F32, 4)));
        assertEquals("matmul: inner dimensions differ: a[5] x b[4]", e.getMessage());
        assertError(() -> Tensor.zeros(DType.F32, 2, 3, 4).matmul(Tensor.zeros(DType.F32, 3, 4, 5)), "matmul", "[2]", "[3]");
        assertError(() -> Tensor.scalar(DType.F32, 1).matmul(Tensor.zeros(DType.F32, 3)), "matmul", "a[]", "b[3]");
    }

    @Test
    void linearMatchesReferenceAndFoldsTheBiasIntoTheProduct() {
        Random r = new Random(77);
        // small (direct path) and large (packed kernels, several reduction blocks and a partial tile) shapes
        int[][] shapes = {{5, 7, 3}, {130, 300, 70}};
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int[] sh : shapes) {
                int m = sh[0], k = sh[1], n = sh[2];
                for (boolean transposedInput : new boolean[] {false, true}) {
                    Tensor x = transposedInput ? OpTestSupport.random(r, dt, -1, 1, k, m).mT() : OpTestSupport.strided(r, dt, -1, 1, m, k);
                    Tensor w = OpTestSupport.random(r, dt, -1, 1, n, k), b = OpTestSupport.random(r, dt, -1, 1, n);
                    Tensor y = x.reshape(1, m, k).linear(w, b);
                    assertArrayEquals(new int[] {1, m, n}, y.shape(), "linear shape");
                    double eps = dt == DType.F32 ? 0x1p-24 : 0x1p-53;
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double ref = at(b, new int[] {j}), mag = Math.abs(at(b, new int[] {j}));
                            for (int p = 0; p < k; p++) {
                                ref += at(x, new int[] {i, p}) * at(w, new int[] {j, p});
                                mag += Math.abs(at(x, new int[] {i, p}) * at(w, new int[] {j, p}));
                            }
                            double got = at(y, new int[] {0, i, j});
                            if (Math.abs(got - ref) > (k + 2) * eps * mag + 1e-30) {
                                fail(dt + " " + Arrays.toString(sh) + " linear[" + i + "," + j + "] = " + got + ", reference " + ref);
                            }
                        }
                    }
                    // float32 folds the bias into the product: the same bits as a GEMM accumulating into C = bias rows
                    if (dt == DType.F32) {
                        Tensor c = b.reshape(1, n).expand(m, n).contiguous();
                        float[] want = c.toFloatArray();
                        dev.tessera.tensor.internal.cpu.Gemm.sgemm(false, true, m, n, k, 1f, x.contiguous().toFloatArray(), 0, k,
                                w.toFloatArray(), 0, k, 1f, want, 0, n);
                        assertArrayEquals(want, y.toFloatArray(), "F32 linear vs GEMM into bias rows " + Arrays.toString(sh));
                    }
                }
            }
            Tensor noBias = OpTestSupport.random(r, dt, -1, 1, 3, 4).linear(OpTestSupport.random(r, dt, -1, 1, 2, 4), null);
            assertArrayEquals(new int[] {3, 2}, noBias.shape(), "linear without bias");
        }
        Tensor x = Tensor.zeros(DType.F32, 2, 3);
        assertError(() -> x.linear(Tensor.zeros(DType.F32, 4, 2), null), "linear", "[4,2]");
        assertError(() -> x.linear(Tensor.zeros(DType.F32, 4, 3), Tensor.zeros(DType.F32, 3)), "linear", "bias", "[4]");
    }

    @Test
    void linearInPlaceWritesOnlyItsViewAndMatchesLinear() {
        Random r = new Random(78);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int[] sh : new int[][] {{5, 7, 3}, {130, 300, 70}}) {
                int m = sh[0], k = sh[1], n = sh[2];
                for (boolean withBias : new boolean[] {true, false}) {
                    Tensor x = OpTestSupport.random(r, dt, -1, 1, k, m).mT(), w = OpTestSupport.random(r, dt, -1, 1, n, k);
                    Tensor b = withBias ? OpTestSupport.random(r, dt, -1, 1, n) : null;
                    // the destination is a block of rows and columns of a larger tensor filled with a sentinel
                    Tensor big = Tensor.full(dt, 7.0, m + 3, n + 2);
                    Tensor view = big.narrow(0, 2, m).narrow(1, 1, n);
                    Tensor returned = view.linearInPlace(x, w, b);
                    assertSame(view, returned, "returns this");
                    Tensor want = x.linear(w, b);
                    double[] got = ReferenceOps.values(big), ref = ReferenceOps.values(want);
                    double tol = dt == DType.F32 ? 1e-5 * k : 1e-12 * k;
                    for (int i = 0; i < m + 3; i++) {
                        for (int j = 0; j < n + 2; j++) {
                            boolean inside = i >= 2 && i < m + 2 && j >= 1 && j < n + 1;
                            double g = got[i * (n + 2) + j];
                            if (!inside) assertEquals(7.0, g, 0, dt + " " + Arrays.toString(sh) + " untouched [" + i + "," + j + "]");
                            else assertEquals(ref[(i - 2) * n + (j - 1)], g, tol, dt + " " + Arrays.toString(sh) + " [" + i + "," + j + "]");
                        }
                    }
                }
            }
        }
        Tensor y = Tensor.zeros(DType.F32, 2, 4);
        assertError(() -> y.linearInPlace(Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.F32, 5, 3), null), "linearInPlace", "this [2,4]");
        assertError(() -> y.linearInPlace(Tensor.zeros(DType.F64, 2, 3), Tensor.zeros(DType.F32, 4, 3), null), "linearInPlace", "dtype");
    }
}
