package dev.tessera.lp.pickle;

/**
 * The numeric NumPy dtypes the course pickles can hold ({@code f8}, and for robustness {@code f4},
 * {@code i1..i8}, {@code u1..u4}); built by {@code numpy.dtype(...)} then {@code BUILD} with its state.
 * Public only because the unpickler calls {@link #__setstate__} reflectively.
 */
public final class NumpyDType {
    private final char kind;
    private final int itemSize;
    private boolean bigEndian;

    NumpyDType(String code) {
        String c = code;
        if (c.startsWith("<") || c.startsWith("=") || c.startsWith("|")) c = c.substring(1);
        else if (c.startsWith(">")) {
            bigEndian = true;
            c = c.substring(1);
        }
        c = switch (c) {
            case "float64", "d" -> "f8";
            case "float32" -> "f4";
            case "int64", "l", "q" -> "i8";
            case "int32" -> "i4";
            default -> c;
        };
        if (c.length() != 2 || "fiu".indexOf(c.charAt(0)) < 0 || !Character.isDigit(c.charAt(1))) {
            throw new IllegalArgumentException("pickle: unsupported numpy dtype '" + code + "' (numeric f/i/u dtypes only)");
        }
        kind = c.charAt(0);
        itemSize = c.charAt(1) - '0';
        boolean ok = switch (kind) {
            case 'f' -> itemSize == 4 || itemSize == 8;
            case 'i' -> itemSize == 1 || itemSize == 2 || itemSize == 4 || itemSize == 8;
            default -> itemSize == 1 || itemSize == 2 || itemSize == 4;
        };
        if (!ok) throw new IllegalArgumentException("pickle: unsupported numpy dtype '" + code + "'");
    }

    char kind() {
        return kind;
    }

    int itemSize() {
        return itemSize;
    }

    boolean bigEndian() {
        return bigEndian;
    }

    /**
     * NumPy's dtype state {@code (version, byteorder, subarray, names, fields, elsize, alignment, flags)}:
     * only the byte order matters for numeric types.
     */
    public void __setstate__(Object[] state) {
        if (state.length < 2 || !(state[1] instanceof String order)) {
            throw new IllegalArgumentException("pickle: malformed numpy dtype state");
        }
        if (state.length > 3 && (state[2] != null || state[3] != null)) {
            throw new IllegalArgumentException("pickle: structured or sub-array numpy dtypes are not supported");
        }
        bigEndian = order.equals(">");
    }

    @Override
    public String toString() {
        return (bigEndian ? ">" : "<") + kind + itemSize;
    }
}
