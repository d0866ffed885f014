package dev.tessera.nn.data;

/**
 * Fetching a batch failed; the cause is what the dataset or collator threw. Names the batch so a
 * bad sample can be found again: its indices are {@code loader.batchIndices(epoch(), position())}.
 */
public final class DataLoaderException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The epoch of the failed batch. */
    private final long epoch;
    /** The batch's position within its epoch. */
    private final int position;

    /** A failure of batch {@code position} of {@code epoch}. */
    public DataLoaderException(long epoch, int position, Throwable cause) {
        super("DataLoader: fetching batch " + position + " of epoch " + epoch + " failed: " + cause, cause);
        this.epoch = epoch;
        this.position = position;
    }

    /** The epoch of the failed batch. */
    public long epoch() {
        return epoch;
    }

    /** The position of the failed batch within its epoch. */
    public int position() {
        return position;
    }
}
