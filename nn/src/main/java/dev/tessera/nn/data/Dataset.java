package dev.tessera.nn.data;

/**
 * A finite, indexable collection of samples.
 *
 * <p>Implementations must be deterministic ({@code get(i)} returns equal samples on every call), so
 * that a data order fixed by {@link DataLoader} reproduces the same batches after a restart. A
 * {@link DataLoader} calls {@link #get(int)} from its prefetch thread, one call at a time.
 *
 * <pre>{@code
 * Dataset<Tensor[]> ds = new TensorDataset(features, targets);
 * Tensor[] first = ds.get(0);   // {features[0], targets[0]}
 * }</pre>
 *
 * @param <T> the sample type
 */
public interface Dataset<T> {
    /** Number of samples. */
    int size();

    /**
     * The sample at {@code index}, {@code 0 <= index < size()}.
     *
     * @throws IndexOutOfBoundsException when the index is outside the dataset
     */
    T get(int index);
}
