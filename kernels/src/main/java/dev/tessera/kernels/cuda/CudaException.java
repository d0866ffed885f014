package dev.tessera.kernels.cuda;

/**
 * A failed CUDA driver, NVRTC or cuBLAS call. The message names the call, the library's symbolic
 * status name, its number and its description, e.g.
 * {@code cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory}.
 */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The failed function, e.g. {@code cuMemAlloc}. */
    private final String call;
    /** The library's numeric status code. */
    private final int status;
    /** The library's symbolic status name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    private final String statusName;

    /** A failure of {@code call} with the library status {@code status}. */
    public CudaException(String call, int status, String statusName, String description) {
        super(call + " failed: " + statusName + " (" + status + ")" + (description == null || description.isEmpty() ? "" : ": " + description));
        this.call = call;
        this.status = status;
        this.statusName = statusName;
    }

    /** A failure with extra detail appended (e.g. a compiler log). */
    public CudaException(String call, int status, String statusName, String description, String detail) {
        super(call + " failed: " + statusName + " (" + status + ")"
                + (description == null || description.isEmpty() ? "" : ": " + description)
                + (detail == null || detail.isBlank() ? "" : "\n" + detail.strip()));
        this.call = call;
        this.status = status;
        this.statusName = statusName;
    }

    /** The failed function, e.g. {@code cuMemAlloc}. */
    public String call() {
        return call;
    }

    /** The numeric status the library returned. */
    public int status() {
        return status;
    }

    /** The symbolic status name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String statusName() {
        return statusName;
    }
}
