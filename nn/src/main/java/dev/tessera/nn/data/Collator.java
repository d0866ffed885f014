package dev.tessera.nn.data;

import java.util.List;

/**
 * Turns a list of samples into one batch.
 *
 * @param <T> the sample type
 * @param <B> the batch type
 */
@FunctionalInterface
public interface Collator<T, B> {
    /**
     * Collates {@code samples}, read from the dataset positions {@code indices} (same length, same order).
     */
    B collate(List<T> samples, int[] indices);
}
