package dev.tessera.nn.data;

import dev.tessera.tensor.Tensor;
import java.util.Arrays;

/**
 * A dataset held in memory as tensors that share their leading dimension: sample {@code i} is
 * {@code {t0[i], t1[i], ...}}. Batches are gathered with one {@code indexSelect} per field rather
 * than sample by sample.
 *
 * <pre>{@code
 * var ds = new TensorDataset(x, y);                    // x[N, D], y[N, 1]
 * try (var loader = DataLoader.builder(ds).batchSize(32).seed(7).build()) { ... }
 * }</pre>
 */
public final class TensorDataset implements Dataset<Tensor[]>, BatchFetcher<Batch> {
    private final Tensor[] fields;
    private final int size;

    /** A dataset over these fields; all must have rank &gt;= 1 and the same leading dimension. */
    public TensorDataset(Tensor... fields) {
        if (fields.length == 0) throw new IllegalArgumentException("TensorDataset: needs at least one tensor");
        this.fields = fields.clone();
        for (int f = 0; f < fields.length; f++) {
            if (fields[f].rank() == 0) throw new IllegalArgumentException("TensorDataset: field " + f + " is a scalar");
            if (fields[f].dim(0) != fields[0].dim(0)) {
                throw new IllegalArgumentException("TensorDataset: field " + f + " has shape " + Arrays.toString(fields[f].shape())
                        + " but field 0 has " + fields[0].dim(0) + " rows");
            }
        }
        this.size = fields[0].dim(0);
    }

    @Override
    public int size() {
        return size;
    }

    /** Number of fields per sample. */
    public int fieldCount() {
        return fields.length;
    }

    /** Field {@code f} as a whole. */
    public Tensor field(int f) {
        return fields[f];
    }

    /** {@code {field0[index], field1[index], ...}} (views of the stored tensors). */
    @Override
    public Tensor[] get(int index) {
        if (index < 0 || index >= size)
            throw new IndexOutOfBoundsException("TensorDataset.get: index " + index + " outside [0, " + size + ")");
        Tensor[] out = new Tensor[fields.length];
        for (int f = 0; f < fields.length; f++) out[f] = fields[f].select(0, index);
        return out;
    }

    /** The rows at {@code indices} of every field, gathered into new contiguous tensors. */
    @Override
    public Batch fetch(int[] indices) {
        for (int i : indices) {
            if (i < 0 || i >= size)
                throw new IndexOutOfBoundsException("TensorDataset.fetch: index " + i + " outside [0, " + size + ")");
        }
        Tensor idx = Tensor.of(indices.clone(), indices.length);
        Tensor[] out = new Tensor[fields.length];
        for (int f = 0; f < fields.length; f++) out[f] = fields[f].indexSelect(0, idx).contiguous();
        return new Batch(out, indices);
    }
}
