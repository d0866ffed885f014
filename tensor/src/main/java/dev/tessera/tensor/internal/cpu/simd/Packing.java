package dev.tessera.tensor.internal.cpu.simd;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
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
        int jp0 = 0;
        if (!transB && nr % FS.length() == 0 && nc >= nr) {
            // the full panels row by row of B: each source row is read once, contiguously across all panels; panel by
            // panel every k step touched another row, and with long rows another page (a TLB miss per vector pair)
            int full = nc / nr;
            for (int p = 0; p < kc; p++) {
                int src = bOff + (pc + p) * ldb + jc, d = dBase + p * nr;
                for (int q = 0; q < full; q++, src += nr, d += kc * nr) {
                    for (int v = 0; v < nr; v += FS.length()) FloatVector.fromArray(FS, b, src + v).intoArray(dst, d + v);
                }
            }
            jp0 = full * nr;
        }
        for (int jp = jp0; jp < nc; jp += nr) {
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
        int ir0 = 0;
        if (transA && mr <= FS.length() && mc >= mr) {
            // full slivers of a transposed A row by row of the storage, each row read once across all slivers (sliver by
            // sliver every k step touched another row: with long rows another page); masked moves of mr lanes
            VectorMask<Float> lanes = FS.indexInRange(0, mr);
            int full = mc / mr;
            for (int p = 0; p < kc; p++) {
                int src = aOff + (pc + p) * lda + ic, d = dBase + p * mr;
                for (int q = 0; q < full; q++, src += mr, d += kc * mr) FloatVector.fromArray(FS, a, src, lanes).intoArray(dst, d, lanes);
            }
            ir0 = full * mr;
        }
        for (int ir = ir0; ir < mc; ir += mr) {
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
