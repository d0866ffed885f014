package dev.tessera.tensor;

/**
 * Where a tensor's storage lives: the CPU or a CUDA device.
 *
 * <pre>{@code
 * Tensor x = Tensor.zeros(DType.F32, 2, 3).to(Device.best());
 * }</pre>
 */
public record Device(Kind kind, int index) {
    /** Device families. */
    public enum Kind {
        /** The host processor; tensors live in Java heap arrays. */
        CPU,
        /** An NVIDIA GPU; tensors live in device memory. */
        CUDA
    }

    private static final Device CPU = new Device(Kind.CPU, 0);

    /**
     * Validates the index: non-negative, and 0 for the CPU.
     *
     * @param kind the device family
     * @param index the device ordinal (0 for the CPU)
     */
    public Device {
        if (index < 0) throw new IllegalArgumentException("device: index must be >= 0, got " + index);
        if (kind == Kind.CPU && index != 0) throw new IllegalArgumentException("device: the CPU has index 0, got " + index);
    }

    /** The CPU. */
    public static Device cpu() {
        return CPU;
    }

    /** CUDA device {@code i}. Its backend is loaded on first use; an error names what is missing. */
    public static Device cuda(int i) {
        return new Device(Kind.CUDA, i);
    }

    /** The first CUDA device when a usable CUDA backend is present, otherwise the CPU. */
    public static Device best() {
        return Backends.cudaAvailable() ? cuda(0) : CPU;
    }

    /**
     * Parses {@code cpu}, {@code cuda}, {@code cuda:N} or {@code auto} (= {@link #best()}).
     */
    public static Device parse(String s) {
        String v = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("cpu")) return CPU;
        if (v.equals("auto")) return best();
        if (v.equals("cuda")) return cuda(0);
        if (v.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(v.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("device: expected cpu, cuda, cuda:N or auto, got '" + s + "'");
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + index;
    }
}
