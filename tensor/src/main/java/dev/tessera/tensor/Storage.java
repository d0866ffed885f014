package dev.tessera.tensor;

/**
 * A flat buffer of elements of one dtype on one device. Only {@link Backend} implementations read
 * or write storage; everything else goes through {@link Tensor} operations.
 */
public interface Storage {
    /** Element type. */
    DType dtype();

    /** Device holding the buffer. */
    Device device();

    /** Capacity in elements. */
    int size();
}
