package dev.tessera.tensor;

/**
 * Element types of a {@link Tensor}.
 *
 * <p>{@code F32} is the compute type, {@code F64} serves CPU references and gradient checks,
 * {@code BF16} is a storage type (converted to {@code F32} for arithmetic on the CPU),
 * {@code I32} holds indices and {@code BOOL} holds masks.
 *
 * <pre>{@code
 * Tensor x = Tensor.randn(new Rng(0), DType.F32, 4, 4);
 * Tensor ref = x.to(DType.F64);               // exact-ish reference arithmetic
 * Tensor mask = x.gt(0);                      // comparisons give BOOL
 * Tensor idx = x.argmax(1);                   // indices are I32
 * }</pre>
 */
public enum DType {
    /** 32-bit IEEE float. */
    F32(4, "F32"),
    /** 64-bit IEEE float. */
    F64(8, "F64"),
    /** 32-bit signed integer. */
    I32(4, "I32"),
    /** Boolean, one byte per element. */
    BOOL(1, "BOOL"),
    /** bfloat16: the upper 16 bits of an F32 (storage only on the CPU). */
    BF16(2, "BF16");

    private final int byteSize;
    private final String safetensorsName;

    DType(int byteSize, String safetensorsName) {
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for F32, F64 and BF16. */
    public boolean isFloating() {
        return this == F32 || this == F64 || this == BF16;
    }

    /** The dtype name used in safetensors headers ({@code "F32"}, {@code "BOOL"}, ...). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** Parses a safetensors dtype name; throws for names Tessera does not support. */
    public static DType fromSafetensorsName(String name) {
        for (DType d : values()) if (d.safetensorsName.equals(name)) return d;
        throw new IllegalArgumentException("safetensors: unsupported dtype '" + name
                + "' (supported: F32, F64, I32, BOOL, BF16)");
    }

    /** The type two operands of these types compute in (NumPy-like promotion, floats win, wider wins). */
    public static DType promote(DType a, DType b) {
        if (a == b) return a;
        if (a == F64 || b == F64) return F64;
        if (a == F32 || b == F32) return F32;
        if (a == BF16 || b == BF16) return F32;
        if (a == I32 || b == I32) return I32;
        return BOOL;
    }

    /** Converts a float to bfloat16 bits with round-to-nearest-even (NaN stays NaN). */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40); // quiet NaN
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Converts bfloat16 bits to a float (exact). */
    public static float fromBf16(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }
}
