package dev.tessera.tensor.internal.cpu.simd;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies blocks of GEMM operands into the contiguous layouts the micro-kernels read: B as
 * column panels, A as row slivers, both zero-padded to full tiles so the kernels never branch
 * on edges. Handles transposed storage, arbitrary offsets and leading dimensions.
 */
final class Packing {
    /** Length of the k strips A is packed in: the strip's destination stays in L1. */
    private static final int STRIP = 8;

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;

    private Packing() {}

    /**
     * Packs {@code op(B)[pc:pc+kc, jc:jc+nc]} into panels of {@code nr} columns: panel q holds
     * element (p, j) at {@code dBase + q*kc*nr + p*nr + j}; columns past {@code nc} are zero.
     */
    public static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc,
                             int nr, float[] dst, int dBase) {
        for (int jp = 0; jp < nc; jp += nr) {
            int w = Math.min(nr, nc - jp);
            int base = dBase + (jp / nr) * kc * nr;
            if (!transB) {
                int src = bOff + pc * ldb + jc + jp;
                if (w == nr && nr % FS.length() == 0) {
                    // full panel: a few vector moves per row beat an arraycopy call for 32-64 elements
                    for (int p = 0, d = base; p < kc; p++, d += nr, src += ldb) {
                        for (int v = 0; v < nr; v += FS.length()) FloatVector.fromArray(FS, b, src + v).intoArray(dst, d + v);
                    }
                } else {
                    for (int p = 0, d = base; p < kc; p++, d += nr, src += ldb) {
                        System.arraycopy(b, src, dst, d, w);
                        if (w < nr) Arrays.fill(dst, d + w, d + nr, 0f);
                    }
                }
            } else if (w == nr && nr % FS.length() == 0) {
                // full panel of a transposed B: one gather per vector of columns writes each destination row
                // whole (a scalar transpose writes one element per cache line)
                int[] map = new int[FS.length()];
                for (int i = 0; i < map.length; i++) map[i] = i * ldb;
                for (int v = 0; v < nr; v += FS.length()) {
                    int src = bOff + (jc + jp + v) * ldb + pc;
                    for (int p = 0, d = base + v; p < kc; p++, d += nr) FloatVector.fromArray(FS, b, src + p, map, 0).intoArray(dst, d);
                }
            } else {
                for (int j = 0; j < w; j++) {
                    int src = bOff + (jc + jp + j) * ldb + pc;
                    for (int p = 0, d = base + j; p < kc; p++, d += nr) dst[d] = b[src + p];
                }
                if (w < nr) {
                    for (int p = 0, d = base; p < kc; p++, d += nr) Arrays.fill(dst, d + w, d + nr, 0f);
                }
            }
        }
    }

    /**
     * Packs {@code op(A)[ic:ic+mc, pc:pc+kc]} into slivers of {@code mr} rows: sliver s holds
     * element (i, p) at {@code dBase + s*kc*mr + p*mr + i}; rows past {@code mc} are zero.
     */
    public static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int mc, int pc, int kc,
                             int mr, float[] dst, int dBase) {
        int[] rowMap = null;
        for (int ir = 0; ir < mc; ir += mr) {
            int h = Math.min(mr, mc - ir);
            int base = dBase + (ir / mr) * kc * mr;
            if (!transA && h == mr && mr <= FS.length() && dst.length >= base + kc * mr + FS.length()) {
                // a full sliver: one gather of the mr rows per k step (spare lanes re-read rows 0..), stored whole;
                // the spare lanes spill into the next step's slot, which that step overwrites
                if (rowMap == null) {
                    rowMap = new int[FS.length()];
                    for (int i = 0; i < rowMap.length; i++) rowMap[i] = (i % mr) * lda;
                }
                int src0 = aOff + (ic + ir) * lda + pc;
                for (int p = 0, d = base; p < kc; p++, d += mr) FloatVector.fromArray(FS, a, src0 + p, rowMap, 0).intoArray(dst, d);
            } else if (!transA) {
                // Walk k in short strips so the h source rows are each read sequentially while the
                // destination is written contiguously.
                int src0 = aOff + (ic + ir) * lda + pc;
                for (int p0 = 0; p0 < kc; p0 += STRIP) {
                    int p1 = Math.min(kc, p0 + STRIP);
                    for (int r = 0; r < h; r++) {
                        int src = src0 + r * lda;
                        for (int p = p0, d = base + p0 * mr + r; p < p1; p++, d += mr) dst[d] = a[src + p];
                    }
                }
                if (h < mr) {
                    for (int p = 0, d = base; p < kc; p++, d += mr) Arrays.fill(dst, d + h, d + mr, 0f);
                }
            } else if (h == mr && mr <= FS.length() && dst.length >= base + kc * mr + FS.length()
                    && aOff + (pc + kc - 1) * lda + ic + ir + FS.length() <= a.length) {
                // one vector move per k step instead of an arraycopy call for mr elements; the spare lanes
                // spill into the next step's slot, which that step overwrites
                int src = aOff + pc * lda + ic + ir;
                for (int p = 0, d = base; p < kc; p++, d += mr, src += lda) FloatVector.fromArray(FS, a, src).intoArray(dst, d);
            } else {
                int src = aOff + pc * lda + ic + ir;
                for (int p = 0, d = base; p < kc; p++, d += mr, src += lda) {
                    System.arraycopy(a, src, dst, d, h);
                    if (h < mr) Arrays.fill(dst, d + h, d + mr, 0f);
                }
            }
        }
    }

    /**
     * Packs {@code op(B)[pc:pc+kc, jc:jc+nc]} into panels of {@code nr} columns: panel q holds
     * element (p, j) at {@code dBase + q*kc*nr + p*nr + j}; columns past {@code nc} are zero.
     */
    public static void packB(boolean transB, double[] b, int bOff, int ldb, int pc, int kc, int jc, int nc,
                             int nr, double[] dst, int dBase) {
        for (int jp = 0; jp < nc; jp += nr) {
            int w = Math.min(nr, nc - jp);
            int base = dBase + (jp / nr) * kc * nr;
            if (!transB) {
                int src = bOff + pc * ldb + jc + jp;
                if (w == nr && nr % DS.length() == 0) {
                    // full panel: a few vector moves per row beat an arraycopy call for 32-64 elements
                    for (int p = 0, d = base; p < kc; p++, d += nr, src += ldb) {
                        for (int v = 0; v < nr; v += DS.length()) DoubleVector.fromArray(DS, b, src + v).intoArray(dst, d + v);
                    }
                } else {
                    for (int p = 0, d = base; p < kc; p++, d += nr, src += ldb) {
                        System.arraycopy(b, src, dst, d, w);
                        if (w < nr) Arrays.fill(dst, d + w, d + nr, 0d);
                    }
                }
            } else {
                for (int j = 0; j < w; j++) {
                    int src = bOff + (jc + jp + j) * ldb + pc;
                    for (int p = 0, d = base + j; p < kc; p++, d += nr) dst[d] = b[src + p];
                }
                if (w < nr) {
                    for (int p = 0, d = base; p < kc; p++, d += nr) Arrays.fill(dst, d + w, d + nr, 0d);
                }
            }
        }
    }

    /**
     * Packs {@code op(A)[ic:ic+mc, pc:pc+kc]} into slivers of {@code mr} rows: sliver s holds
     * element (i, p) at {@code dBase + s*kc*mr + p*mr + i}; rows past {@code mc} are zero.
     */
    public static void packA(boolean transA, double[] a, int aOff, int lda, int ic, int mc, int pc, int kc,
                             int mr, double[] dst, int dBase) {
        for (int ir = 0; ir < mc; ir += mr) {
            int h = Math.min(mr, mc - ir);
            int base = dBase + (ir / mr) * kc * mr;
            if (!transA) {
                // Walk k in short strips so the h source rows are each read sequentially while the
                // destination is written contiguously.
                int src0 = aOff + (ic + ir) * lda + pc;
                for (int p0 = 0; p0 < kc; p0 += STRIP) {
                    int p1 = Math.min(kc, p0 + STRIP);
                    for (int r = 0; r < h; r++) {
                        int src = src0 + r * lda;
                        for (int p = p0, d = base + p0 * mr + r; p < p1; p++, d += mr) dst[d] = a[src + p];
                    }
                }
                if (h < mr) {
                    for (int p = 0, d = base; p < kc; p++, d += mr) Arrays.fill(dst, d + h, d + mr, 0d);
                }
            } else {
                int src = aOff + pc * lda + ic + ir;
                for (int p = 0, d = base; p < kc; p++, d += mr, src += lda) {
                    System.arraycopy(a, src, dst, d, h);
                    if (h < mr) Arrays.fill(dst, d + h, d + mr, 0d);
                }
            }
        }
    }
}
