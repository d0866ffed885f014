package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.Arrays;

/**
 * Indexing kernels of the CPU backend: gather, scatter-add, index-select, index-add, one-hot,
 * top-k, sort, cumulative sum and bincount, with PyTorch semantics.
 *
 * <p>Every index value is checked before it is used: an index outside its dimension throws
 * {@link IllegalArgumentException} naming the op, the value, the dimension and its size (no
 * wrap-around of negative indices, no clamping).
 *
 * <p>Ops that view a tensor as {@code [outer, D, inner]} around the indexed dimension address
 * every operand through precomputed offset tables of its outer and inner dimensions, so strided
 * views are read in place without a copy. Accumulating ops (scatter-add, index-add, cumsum) split
 * work only over (outer, inner-chunk) pairs and walk the indexed dimension in increasing order
 * inside one task, so every output element sums its contributions in the same order whatever the
 * thread count: results are bitwise reproducible.
 */
final class CpuIndexing {
    private CpuIndexing() {}

    /** Width of the inner-dimension chunks accumulating ops split work into. */
    private static final int INNER_CHUNK = 4096;

    // ------------------------------------------------------------------ gather / scatter

    /** out[..., j, ...] = x[..., index[..., j, ...], ...] along {@code dim}; out has index's shape. */
    static Tensor gather(Tensor x, int dim, Tensor index) {
        int[] is = index.shape();
        Tensor out = CpuBackend.alloc(x.dtype(), is);
        if (out.numel() == 0) return out;
        int rank = is.length;
        int size = x.dim(dim);
        int d = is[dim];
        int[] xs = x.strides(), ist = index.strides();
        int[] xOuter = offsetTable(is, xs, 0, dim), iOuter = offsetTable(is, ist, 0, dim);
        int[] xInner = offsetTable(is, xs, dim + 1, rank), iInner = offsetTable(is, ist, dim + 1, rank);
        int inner = xInner.length;
        int xd = xs[dim], id = ist[dim], xo = x.offset(), io = index.offset();
        int[] idx = CpuBackend.st(index).i32();
        Object src = CpuBackend.st(x).array(), dst = CpuBackend.st(out).array();
        Parallel.forRange(xOuter.length * d, grain(inner), (s, e) -> {
            int[] pos = new int[inner];
            for (int r = s; r < e; r++) {
                int o = r / d, j = r % d;
                int ib = io + iOuter[o] + j * id, xb = xo + xOuter[o];
                for (int k = 0; k < inner; k++) {
                    int v = idx[ib + iInner[k]];
                    if (v < 0 || v >= size) throw outOfRange("gather", v, dim, size);
                    pos[k] = xb + v * xd + xInner[k];
                }
                take(src, pos, dst, r * inner, inner);
            }
        });
        return out;
    }

    /** A contiguous copy of {@code base} with src[..., j, ...] added at index[..., j, ...] along {@code dim}. */
    static Tensor scatterAdd(Tensor base, int dim, Tensor index, Tensor src) {
        Tensor out = base.copy();
        int[] is = index.shape();
        if (Shape.numel(is) == 0) return out;
        int rank = is.length;
        int size = base.dim(dim);
        int d = is[dim];
        int[] os = out.strides(), ss = src.strides(), ist = index.strides();
        int[] oOuter = offsetTable(is, os, 0, dim), sOuter = offsetTable(is, ss, 0, dim), iOuter = offsetTable(is, ist, 0, dim);
        int[] oInner = offsetTable(is, os, dim + 1, rank), sInner = offsetTable(is, ss, dim + 1, rank);
        int[] iInner = offsetTable(is, ist, dim + 1, rank);
        int inner = oInner.length, outer = oOuter.length;
        int od = os[dim], sd = ss[dim], id = ist[dim], so = src.offset(), io = index.offset();
        int[] idx = CpuBackend.st(index).i32();
        Object sa = CpuBackend.st(src).array(), oa = CpuBackend.st(out).array();
        int chunks = (inner + INNER_CHUNK - 1) / INNER_CHUNK;
        int width = Math.min(inner, INNER_CHUNK);
        Parallel.forRange(outer * chunks, grain((long) d * width), (s, e) -> {
            int[] dpos = new int[width], spos = new int[width];
            for (int t = s; t < e; t++) {
                int o = t / chunks, k0 = (t % chunks) * INNER_CHUNK, len = Math.min(INNER_CHUNK, inner - k0);
                for (int j = 0; j < d; j++) {
                    int ib = io + iOuter[o] + j * id, sb = so + sOuter[o] + j * sd, ob = oOuter[o];
                    for (int k = 0; k < len; k++) {
                        int v = idx[ib + iInner[k0 + k]];
                        if (v < 0 || v >= size) throw outOfRange("scatterAdd", v, dim, size);
                        dpos[k] = ob + v * od + oInner[k0 + k];
                        spos[k] = sb + sInner[k0 + k];
                    }
                    addAt(oa, dpos, sa, spos, len);
                }
            }
        });
        return out;
    }

    // ------------------------------------------------------------------ index select / add

    /** Entries of {@code x} along {@code dim} at the positions of a 1-d index (copied slabs). */
    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        int[] idx = index.toIntArray();
        int[] xs = x.shape();
        int size = xs[dim];
        for (int v : idx) if (v < 0 || v >= size) throw outOfRange("indexSelect", v, dim, size);
        int[] os = xs.clone();
        os[dim] = idx.length;
        Tensor out = CpuBackend.alloc(x.dtype(), os);
        if (out.numel() == 0) return out;
        Tensor xc = x.contiguous();
        int inner = Shape.numel(Arrays.copyOfRange(xs, dim + 1, xs.length));
        int outer = Shape.numel(Arrays.copyOfRange(xs, 0, dim));
        int j = idx.length, xo = xc.offset();
        Object src = CpuBackend.st(xc).array(), dst = CpuBackend.st(out).array();
        Parallel.forRange(outer * j, grain(inner), (s, e) -> {
            for (int r = s; r < e; r++) {
                int o = r / j, q = r % j;
                System.arraycopy(src, xo + (o * size + idx[q]) * inner, dst, r * inner, inner);
            }
        });
        return out;
    }

    /** A zero tensor of {@code shape} with slab j of {@code src} added at index[j] along {@code dim}. */
    static Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src) {
        int[] idx = index.toIntArray();
        int size = shape[dim];
        for (int v : idx) if (v < 0 || v >= size) throw outOfRange("indexAdd", v, dim, size);
        Tensor out = CpuBackend.alloc(src.dtype(), shape);
        if (out.numel() == 0 || src.numel() == 0) return out;
        Tensor sc = src.contiguous();
        int inner = Shape.numel(Arrays.copyOfRange(shape, dim + 1, shape.length));
        int outer = Shape.numel(Arrays.copyOfRange(shape, 0, dim));
        int j = idx.length, so = sc.offset();
        Object sa = CpuBackend.st(sc).array(), oa = CpuBackend.st(out).array();
        int chunks = (inner + INNER_CHUNK - 1) / INNER_CHUNK;
        Parallel.forRange(outer * chunks, grain((long) j * Math.min(inner, INNER_CHUNK)), (s, e) -> {
            for (int t = s; t < e; t++) {
                int o = t / chunks, k0 = (t % chunks) * INNER_CHUNK, len = Math.min(INNER_CHUNK, inner - k0);
                for (int q = 0; q < j; q++) {
                    addRange(oa, (o * size + idx[q]) * inner + k0, sa, so + (o * j + q) * inner + k0, len);
                }
            }
        });
        return out;
    }

    /** F32 one-hot rows: out[..., c] = 1 where c == index[...]. */
    static Tensor oneHot(Tensor index, int classes) {
        int[] idx = index.toIntArray();
        int[] is = index.shape();
        int[] os = Arrays.copyOf(is, is.length + 1);
        os[is.length] = classes;
        for (int v : idx) if (v < 0 || v >= classes) throw outOfRange("oneHot", v, is.length, classes);
        Tensor out = CpuBackend.alloc(DType.F32, os);
        float[] o = CpuBackend.st(out).f32();
        for (int i = 0; i < idx.length; i++) o[i * classes + idx[i]] = 1f;
        return out;
    }

    // ------------------------------------------------------------------ top-k and sort

    /**
     * The k largest (or smallest) entries along {@code dim}, sorted best first. Ties go to the lower
     * index; NaN ranks above every number (first when largest, last when smallest) and -0.0 ties
     * with +0.0, as in PyTorch.
     */
    static Tensor[] topk(Tensor x, int k, int dim, boolean largest) {
        return sortRows("topk", x, k, dim, largest);
    }

    /** Stable sort along {@code dim} (equal keys keep their order in both directions); NaN sorts as the largest value. */
    static Tensor[] sort(Tensor x, int dim, boolean descending) {
        return sortRows("sort", x, x.dim(dim), dim, descending);
    }

    private static Tensor[] sortRows(String op, Tensor x, int k, int dim, boolean descending) {
        int rank = x.rank();
        int[] order = moveLastOrder(rank, dim);
        Tensor xt = x.permute(order).contiguous();
        int n = x.dim(dim);
        int rows = n == 0 ? Shape.numel(dropDim(x.shape(), dim)) : xt.numel() / n;
        int[] os = xt.shape();
        os[rank - 1] = k;
        Tensor values = CpuBackend.alloc(x.dtype(), os);
        Tensor indices = CpuBackend.alloc(DType.I32, os);
        if (rows > 0 && k > 0) {
            CpuStorage s = CpuBackend.st(xt);
            Object src = s.array(), dst = CpuBackend.st(values).array();
            int[] ind = CpuBackend.st(indices).i32();
            boolean wide = x.dtype() == DType.F64;
            Parallel.forRange(rows, grain(8L * n), (a, b) -> {
                long[] keys = new long[n];
                int[] perm = new int[n], tmp = new int[n], pos = new int[k];
                for (int r = a; r < b; r++) {
                    int base = r * n;
                    if (wide) sortWide(s.f64(), base, n, descending, keys, perm, tmp);
                    else selectPacked(s, base, n, k, descending, keys, perm);
                    for (int t = 0; t < k; t++) {
                        ind[r * k + t] = perm[t];
                        pos[t] = base + perm[t];
                    }
                    take(src, pos, dst, r * k, k);
                }
            });
        }
        int[] inv = inverse(order);
        return new Tensor[] {values.permute(inv).contiguous(), indices.permute(inv).contiguous()};
    }

    /**
     * Sorts one row of a 32-bit-keyed dtype: each element becomes the long (orderKey << 32 | index),
     * so one primitive sort orders by value then by index. When k is small a bounded max-heap keeps
     * only the k smallest keys.
     */
    private static void selectPacked(CpuStorage s, int base, int n, int k, boolean descending, long[] keys, int[] perm) {
        for (int j = 0; j < n; j++) {
            int key = switch (s.dtype()) {
                case F32 -> floatKey(s.f32()[base + j]);
                case BF16 -> floatKey(DType.fromBf16(s.bf16()[base + j]));
                case I32 -> s.i32()[base + j];
                case BOOL -> s.bool()[base + j];
                case F64 -> throw new IllegalStateException("F64 rows use the wide sort");
            };
            if (descending) key = ~key;
            keys[j] = ((long) key << 32) | j;
        }
        if ((long) k * 8 >= n) {
            Arrays.sort(keys, 0, n);
        } else {
            // keys[0..k) becomes a max-heap of the k smallest keys seen so far
            for (int i = k / 2 - 1; i >= 0; i--) siftDown(keys, i, k);
            for (int j = k; j < n; j++) {
                if (keys[j] < keys[0]) {
                    keys[0] = keys[j];
                    siftDown(keys, 0, k);
                }
            }
            Arrays.sort(keys, 0, k);
        }
        for (int t = 0; t < k; t++) perm[t] = (int) keys[t];
    }

    private static void siftDown(long[] h, int i, int size) {
        long v = h[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && h[c + 1] > h[c]) c++;
            if (h[c] <= v) break;
            h[i] = h[c];
            i = c;
        }
        h[i] = v;
    }

    /** Stable merge sort of one F64 row by its 64-bit order key; perm receives the sorted positions. */
    private static void sortWide(double[] a, int base, int n, boolean descending, long[] keys, int[] perm, int[] tmp) {
        for (int j = 0; j < n; j++) {
            long key = doubleKey(a[base + j]);
            keys[j] = descending ? ~key : key;
            perm[j] = j;
        }
        int[] from = perm, to = tmp;
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n), hi = Math.min(lo + 2 * width, n);
                int i = lo, j = mid, o = lo;
                while (i < mid && j < hi) to[o++] = keys[from[j]] < keys[from[i]] ? from[j++] : from[i++];
                while (i < mid) to[o++] = from[i++];
                while (j < hi) to[o++] = from[j++];
            }
            int[] t = from;
            from = to;
            to = t;
        }
        if (from != perm) System.arraycopy(from, 0, perm, 0, n);
    }

    /** A signed int whose order is the float order, with every NaN above +inf and -0.0 equal to +0.0. */
    static int floatKey(float v) {
        int bits = v != v ? 0x7fc00000 : (v == 0f ? 0 : Float.floatToRawIntBits(v));
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    /** A signed long whose order is the double order, with every NaN above +inf and -0.0 equal to +0.0. */
    static long doubleKey(double v) {
        long bits = v != v ? 0x7ff8000000000000L : (v == 0.0 ? 0L : Double.doubleToRawLongBits(v));
        return bits ^ ((bits >> 63) & Long.MAX_VALUE);
    }

    // ------------------------------------------------------------------ cumsum / bincount

    /**
     * Inclusive cumulative sum along {@code dim}. F32 rows accumulate in float64 and round each
     * prefix once to float (as PyTorch's CPU kernel does); F64 accumulates in float64; I32 stays
     * I32 and wraps around on overflow.
     */
    static Tensor cumsum(Tensor x, int dim) {
        int[] shape = x.shape();
        Tensor out = CpuBackend.alloc(x.dtype(), shape);
        if (out.numel() == 0) return out;
        Tensor xc = x.contiguous();
        int d = shape[dim];
        int inner = Shape.numel(Arrays.copyOfRange(shape, dim + 1, shape.length));
        int outer = Shape.numel(Arrays.copyOfRange(shape, 0, dim));
        CpuStorage s = CpuBackend.st(xc), o = CpuBackend.st(out);
        int xo = xc.offset();
        DType dt = x.dtype();
        if (dt != DType.F32 && dt != DType.F64 && dt != DType.I32) {
            throw new IllegalArgumentException("cumsum: unsupported dtype " + dt + " (expected F32, F64 or I32)");
        }
        if (inner == 1) {
            // rows along the last dimension: one running sum per row
            Parallel.forRange(outer, grain(d), (a, b) -> {
                for (int r = a; r < b; r++) {
                    int off = r * d;
                    switch (dt) {
                        case F32 -> {
                            float[] src = s.f32(), dst = o.f32();
                            double acc = 0;
                            for (int j = 0; j < d; j++) dst[off + j] = (float) (acc += src[xo + off + j]);
                        }
                        case F64 -> {
                            double[] src = s.f64(), dst = o.f64();
                            double acc = 0;
                            for (int j = 0; j < d; j++) dst[off + j] = acc += src[xo + off + j];
                        }
                        default -> {
                            int[] src = s.i32(), dst = o.i32();
                            int acc = 0;
                            for (int j = 0; j < d; j++) dst[off + j] = acc += src[xo + off + j];
                        }
                    }
                }
            });
            return out;
        }
        int chunks = (inner + INNER_CHUNK - 1) / INNER_CHUNK;
        Parallel.forRange(outer * chunks, grain((long) d * Math.min(inner, INNER_CHUNK)), (a, b) -> {
            double[] acc = new double[Math.min(inner, INNER_CHUNK)];
            int[] iacc = new int[acc.length];
            for (int t = a; t < b; t++) {
                int ob = t / chunks, k0 = (t % chunks) * INNER_CHUNK, len = Math.min(INNER_CHUNK, inner - k0);
                Arrays.fill(acc, 0.0);
                Arrays.fill(iacc, 0);
                for (int j = 0; j < d; j++) {
                    int off = (ob * d + j) * inner + k0;
                    switch (dt) {
                        case F32 -> {
                            float[] src = s.f32(), dst = o.f32();
                            for (int k = 0; k < len; k++) dst[off + k] = (float) (acc[k] += src[xo + off + k]);
                        }
                        case F64 -> {
                            double[] src = s.f64(), dst = o.f64();
                            for (int k = 0; k < len; k++) dst[off + k] = acc[k] += src[xo + off + k];
                        }
                        default -> {
                            int[] src = s.i32(), dst = o.i32();
                            for (int k = 0; k < len; k++) dst[off + k] = iacc[k] += src[xo + off + k];
                        }
                    }
                }
            }
        });
        return out;
    }

    /** I32 counts of each value of a 1-d non-negative I32 tensor; length max(minLength, max + 1). */
    static Tensor bincount(Tensor x, int minLength) {
        if (minLength < 0) throw new IllegalArgumentException("bincount: minLength must be >= 0, got " + minLength);
        int[] v = x.toIntArray();
        int max = -1;
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0) {
                throw new IllegalArgumentException("bincount: input must be non-negative, got " + v[i] + " at position " + i);
            }
            max = Math.max(max, v[i]);
        }
        int len = Math.max(minLength, max + 1);
        Tensor out = CpuBackend.alloc(DType.I32, new int[] {len});
        int[] c = CpuBackend.st(out).i32();
        for (int value : v) c[value]++;
        return out;
    }

    // ------------------------------------------------------------------ helpers

    private static IllegalArgumentException outOfRange(String op, int value, int dim, int size) {
        return new IllegalArgumentException(op + ": index " + value + " is out of range for dimension " + dim
                + " of size " + size);
    }

    /** Rows per parallel chunk when each row costs {@code rowWork} elements. */
    static int grain(long rowWork) {
        return (int) Math.max(1, StridedLoop.GRAIN_ELEMENTS / Math.max(1, rowWork));
    }

    /**
     * Storage offsets of every element of the sub-grid spanned by dimensions {@code [from, to)} of
     * {@code shape}, in row-major order, for an operand with the given strides.
     */
    static int[] offsetTable(int[] shape, int[] strides, int from, int to) {
        int n = 1;
        for (int d = from; d < to; d++) n *= shape[d];
        int[] t = new int[n];
        int[] idx = new int[shape.length];
        int off = 0;
        for (int i = 0; i < n; i++) {
            t[i] = off;
            for (int d = to - 1; d >= from; d--) {
                off += strides[d];
                if (++idx[d] < shape[d]) break;
                off -= shape[d] * strides[d];
                idx[d] = 0;
            }
        }
        return t;
    }

    /** dst[d0 + i] = src[pos[i]] for i in [0, len), for any carrier array type. */
    private static void take(Object src, int[] pos, Object dst, int d0, int len) {
        switch (src) {
            case float[] s -> { float[] d = (float[]) dst; for (int i = 0; i < len; i++) d[d0 + i] = s[pos[i]]; }
            case double[] s -> { double[] d = (double[]) dst; for (int i = 0; i < len; i++) d[d0 + i] = s[pos[i]]; }
            case int[] s -> { int[] d = (int[]) dst; for (int i = 0; i < len; i++) d[d0 + i] = s[pos[i]]; }
            case byte[] s -> { byte[] d = (byte[]) dst; for (int i = 0; i < len; i++) d[d0 + i] = s[pos[i]]; }
            case short[] s -> { short[] d = (short[]) dst; for (int i = 0; i < len; i++) d[d0 + i] = s[pos[i]]; }
            default -> throw new IllegalStateException("unknown carrier " + src.getClass());
        }
    }

    /** dst[dpos[i]] += src[spos[i]] in order (BOOL: logical or; BF16: float add rounded to bf16). */
    private static void addAt(Object dst, int[] dpos, Object src, int[] spos, int len) {
        switch (dst) {
            case float[] d -> { float[] s = (float[]) src; for (int i = 0; i < len; i++) d[dpos[i]] += s[spos[i]]; }
            case double[] d -> { double[] s = (double[]) src; for (int i = 0; i < len; i++) d[dpos[i]] += s[spos[i]]; }
            case int[] d -> { int[] s = (int[]) src; for (int i = 0; i < len; i++) d[dpos[i]] += s[spos[i]]; }
            case byte[] d -> { byte[] s = (byte[]) src; for (int i = 0; i < len; i++) d[dpos[i]] |= s[spos[i]]; }
            case short[] d -> {
                short[] s = (short[]) src;
                for (int i = 0; i < len; i++) {
                    d[dpos[i]] = DType.toBf16(DType.fromBf16(d[dpos[i]]) + DType.fromBf16(s[spos[i]]));
                }
            }
            default -> throw new IllegalStateException("unknown carrier " + dst.getClass());
        }
    }

    /** dst[d0 + i] += src[s0 + i] for i in [0, len). */
    private static void addRange(Object dst, int d0, Object src, int s0, int len) {
        switch (dst) {
            case float[] d -> { float[] s = (float[]) src; for (int i = 0; i < len; i++) d[d0 + i] += s[s0 + i]; }
            case double[] d -> { double[] s = (double[]) src; for (int i = 0; i < len; i++) d[d0 + i] += s[s0 + i]; }
            case int[] d -> { int[] s = (int[]) src; for (int i = 0; i < len; i++) d[d0 + i] += s[s0 + i]; }
            case byte[] d -> { byte[] s = (byte[]) src; for (int i = 0; i < len; i++) d[d0 + i] |= s[s0 + i]; }
            case short[] d -> {
                short[] s = (short[]) src;
                for (int i = 0; i < len; i++) d[d0 + i] = DType.toBf16(DType.fromBf16(d[d0 + i]) + DType.fromBf16(s[s0 + i]));
            }
            default -> throw new IllegalStateException("unknown carrier " + dst.getClass());
        }
    }

    /** The permutation that moves {@code dim} to the end keeping the other dimensions in order. */
    static int[] moveLastOrder(int rank, int dim) {
        int[] order = new int[rank];
        int j = 0;
        for (int i = 0; i < rank; i++) if (i != dim) order[j++] = i;
        order[rank - 1] = dim;
        return order;
    }

    static int[] inverse(int[] order) {
        int[] inv = new int[order.length];
        for (int i = 0; i < order.length; i++) inv[order[i]] = i;
        return inv;
    }

    private static int[] dropDim(int[] shape, int dim) {
        int[] r = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != dim) r[j++] = shape[i];
        return r;
    }
}
