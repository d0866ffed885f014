package dev.tessera.tensor.internal.cpu;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Storage;

/**
 * CPU storage: a Java heap array of the dtype's carrier type: {@code float[]} (F32),
 * {@code double[]} (F64), {@code int[]} (I32), {@code byte[]} (BOOL, 0 or 1) or {@code short[]}
 * (BF16 bits).
 */
public final class CpuStorage implements Storage {
    private final DType dtype;
    private final Object array;
    private final int size;

    private CpuStorage(DType dtype, Object array, int size) {
        this.dtype = dtype;
        this.array = array;
        this.size = size;
    }

    /** Zero-initialised storage of {@code n} elements. */
    public static CpuStorage allocate(DType dtype, int n) {
        Object a = switch (dtype) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I32 -> new int[n];
            case BOOL -> new byte[n];
            case BF16 -> new short[n];
        };
        return new CpuStorage(dtype, a, n);
    }

    /** Wraps an existing carrier array (not copied). */
    public static CpuStorage wrap(DType dtype, Object array) {
        int n = switch (dtype) {
            case F32 -> ((float[]) array).length;
            case F64 -> ((double[]) array).length;
            case I32 -> ((int[]) array).length;
            case BOOL -> ((byte[]) array).length;
            case BF16 -> ((short[]) array).length;
        };
        return new CpuStorage(dtype, array, n);
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public Device device() {
        return Device.cpu();
    }

    @Override
    public int size() {
        return size;
    }

    /** The carrier array. */
    public Object array() {
        return array;
    }

    /** The carrier array of an F32 storage. */
    public float[] f32() {
        return (float[]) array;
    }

    /** The carrier array of an F64 storage. */
    public double[] f64() {
        return (double[]) array;
    }

    /** The carrier array of an I32 storage. */
    public int[] i32() {
        return (int[]) array;
    }

    /** The carrier array of a BOOL storage (one byte per element, 0 or 1). */
    public byte[] bool() {
        return (byte[]) array;
    }

    /** The carrier array of a BF16 storage (the upper 16 bits of each float). */
    public short[] bf16() {
        return (short[]) array;
    }

    /** Element {@code i} as a double (BOOL as 0/1). */
    public double get(int i) {
        return switch (dtype) {
            case F32 -> ((float[]) array)[i];
            case F64 -> ((double[]) array)[i];
            case I32 -> ((int[]) array)[i];
            case BOOL -> ((byte[]) array)[i];
            case BF16 -> DType.fromBf16(((short[]) array)[i]);
        };
    }

    /** Stores {@code v} at {@code i}, converting to the dtype (ints truncate toward zero, BOOL = v != 0). */
    public void set(int i, double v) {
        switch (dtype) {
            case F32 -> ((float[]) array)[i] = (float) v;
            case F64 -> ((double[]) array)[i] = v;
            case I32 -> ((int[]) array)[i] = (int) v;
            case BOOL -> ((byte[]) array)[i] = (byte) (v != 0 ? 1 : 0);
            case BF16 -> ((short[]) array)[i] = DType.toBf16((float) v);
        }
    }
}
