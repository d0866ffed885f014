package dev.tessera.nn.data;

import dev.tessera.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A batch of tensor samples: one tensor per field, each with the batch as its leading dimension,
 * and the dataset indices the rows came from.
 *
 * <pre>{@code
 * for (Batch b : loader.epoch()) { Tensor x = b.get(0), y = b.get(1); ... }
 * }</pre>
 *
 * @param fields  the stacked fields, each {@code [size, ...]}
 * @param indices the dataset index of every row, in row order
 */
public record Batch(Tensor[] fields, int[] indices) {
    /** Checks that every field has {@code indices.length} rows. */
    public Batch {
        fields = fields.clone();
        indices = indices.clone();
        for (int f = 0; f < fields.length; f++) {
            Tensor t = fields[f];
            if (t.rank() == 0 || t.dim(0) != indices.length) {
                throw new IllegalArgumentException("Batch: field " + f + " has shape " + Arrays.toString(t.shape())
                        + ", expected a leading dimension of " + indices.length);
            }
        }
    }

    /** Field {@code i} (for example 0 = inputs, 1 = targets). */
    public Tensor get(int i) {
        if (i < 0 || i >= fields.length)
            throw new IndexOutOfBoundsException("Batch.get: field " + i + " of " + fields.length);
        return fields[i];
    }

    /** Number of samples (rows). */
    public int size() {
        return indices.length;
    }

    /** A copy of the fields. */
    @Override
    public Tensor[] fields() {
        return fields.clone();
    }

    /** A copy of the dataset indices. */
    @Override
    public int[] indices() {
        return indices.clone();
    }

    /**
     * The collator for samples that are arrays of tensors (as {@link TensorDataset} returns): field
     * {@code f} of the batch stacks field {@code f} of every sample along a new leading axis.
     */
    public static Collator<Tensor[], Batch> stacking() {
        return (List<Tensor[]> samples, int[] indices) -> {
            if (samples.isEmpty()) throw new IllegalArgumentException("Batch.stacking: no samples");
            int nf = samples.get(0).length;
            Tensor[] out = new Tensor[nf];
            for (int f = 0; f < nf; f++) {
                Tensor[] parts = new Tensor[samples.size()];
                for (int s = 0; s < parts.length; s++) {
                    Tensor[] sample = samples.get(s);
                    if (sample.length != nf) {
                        throw new IllegalArgumentException("Batch.stacking: sample " + indices[s] + " has " + sample.length
                                + " fields, expected " + nf);
                    }
                    parts[s] = sample[f];
                }
                out[f] = Tensor.stack(0, parts);
            }
            return new Batch(out, indices);
        };
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Batch[size=").append(indices.length);
        for (Tensor t : fields) s.append(", ").append(t.dtype()).append(Arrays.toString(t.shape()));
        return s.append(']').toString();
    }
}
