package dev.tessera.tensor;

import java.util.Arrays;

/** Static helpers for shapes ({@code int[]} dimension sizes) and strides. */
public final class Shape {
    private Shape() {}

    /** Number of elements of a shape (1 for a scalar shape {@code []}). */
    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("shape: negative dimension in " + str(shape));
            n *= d;
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape: too many elements (> 2^31-1) in " + str(shape));
        }
        return (int) n;
    }

    /** Row-major (C order) strides of a shape. */
    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    /** Formats a shape as {@code [2,3,4]}. */
    public static String str(int[] shape) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) b.append(',');
            b.append(shape[i]);
        }
        return b.append(']').toString();
    }

    /**
     * NumPy broadcasting of two shapes.
     *
     * @throws IllegalArgumentException naming {@code op} and both shapes when they do not broadcast
     */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            int db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes do not broadcast: " + str(a) + " and " + str(b)
                        + " (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Normalises a possibly negative axis against a rank; throws naming the op if out of range. */
    public static int axis(String op, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }

    /** Normalises and sorts a list of axes; an empty array means all axes. Duplicates are an error. */
    public static int[] axes(String op, int[] axes, int rank) {
        if (axes == null || axes.length == 0) {
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) all[i] = i;
            return all;
        }
        int[] r = new int[axes.length];
        for (int i = 0; i < axes.length; i++) r[i] = axis(op, axes[i], rank);
        Arrays.sort(r);
        for (int i = 1; i < r.length; i++) {
            if (r[i] == r[i - 1]) throw new IllegalArgumentException(op + ": axis " + r[i] + " repeated in " + Arrays.toString(axes));
        }
        return r;
    }

    /** True when both shapes are equal. */
    public static boolean same(int[] a, int[] b) {
        return Arrays.equals(a, b);
    }
}
