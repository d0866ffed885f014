package dev.tessera.lp.pickle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A numeric NumPy array read from a pickle: its shape and its values converted to double,
 * C (row-major) order.
 *
 * @param shape  dimensions
 * @param values row-major values
 */
record NdArray(int[] shape, double[] values) {
    /** Checks the value count against the shape. */
    public NdArray {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != values.length) {
            throw new IllegalArgumentException("NdArray: shape " + Arrays.toString(shape) + " needs " + n + " values, got " + values.length);
        }
    }

    /** The array as rows ({@code shape} must be 2-d). */
    public double[][] toMatrix() {
        if (shape.length != 2) throw new IllegalArgumentException("NdArray.toMatrix: expected a 2-d array, got shape " + Arrays.toString(shape));
        double[][] out = new double[shape[0]][shape[1]];
        for (int i = 0; i < shape[0]; i++) System.arraycopy(values, i * shape[1], out[i], 0, shape[1]);
        return out;
    }

    /** Decodes raw array bytes of a numeric NumPy dtype into doubles, honouring Fortran order. */
    static NdArray decode(int[] shape, NumpyDType dtype, byte[] raw, boolean fortran) {
        long count = 1;
        for (int d : shape) count *= d;
        if (count * dtype.itemSize() != raw.length) {
            throw new IllegalArgumentException("pickle: ndarray " + dtype + Arrays.toString(shape) + " needs " + count * dtype.itemSize()
                    + " bytes, got " + raw.length);
        }
        ByteBuffer b = ByteBuffer.wrap(raw).order(dtype.bigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[(int) count];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (dtype.kind()) {
                case 'f' -> dtype.itemSize() == 8 ? b.getDouble() : b.getFloat();
                case 'i' -> dtype.itemSize() == 8 ? b.getLong() : dtype.itemSize() == 4 ? b.getInt() : dtype.itemSize() == 2 ? b.getShort() : b.get();
                case 'u' -> dtype.itemSize() == 4 ? Integer.toUnsignedLong(b.getInt()) : dtype.itemSize() == 2 ? (b.getShort() & 0xffff) : (b.get() & 0xff);
                default -> throw new IllegalStateException("unreachable dtype kind " + dtype.kind());
            };
        }
        if (fortran && shape.length == 2) {
            double[] c = new double[v.length];
            int rows = shape[0];
            int cols = shape[1];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) c[i * cols + j] = v[j * rows + i];
            v = c;
        } else if (fortran && shape.length > 2) {
            throw new IllegalArgumentException("pickle: Fortran-ordered arrays of more than 2 dimensions are not supported");
        }
        return new NdArray(shape.clone(), v);
    }
}
