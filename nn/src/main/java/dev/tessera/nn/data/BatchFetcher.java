package dev.tessera.nn.data;

/**
 * Builds one batch from the dataset indices it holds, in the given order.
 *
 * <p>{@link TensorDataset} implements it with one gather per field; any {@link Dataset} combined
 * with a {@link Collator} gives one through {@link #of(Dataset, Collator)}.
 *
 * @param <B> the batch type
 */
@FunctionalInterface
public interface BatchFetcher<B> {
    /** The batch of the samples at {@code indices} (never empty), in that order. */
    B fetch(int[] indices);

    /** A fetcher that reads each sample with {@link Dataset#get(int)} and collates them. */
    static <T, B> BatchFetcher<B> of(Dataset<T> dataset, Collator<T, B> collator) {
        return indices -> {
            java.util.List<T> samples = new java.util.ArrayList<>(indices.length);
            for (int i : indices) samples.add(dataset.get(i));
            return collator.collate(samples, indices.clone());
        };
    }
}
