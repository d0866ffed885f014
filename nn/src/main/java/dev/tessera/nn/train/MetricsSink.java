package dev.tessera.nn.train;

/**
 * Receives scalar training metrics (loss, learning rate, accuracy, ...), one value per tag and step.
 *
 * <pre>{@code
 * try (MetricsSink m = new MultiSink(CsvMetrics.longFormat(run.resolve("metrics.csv")), new TensorBoardWriter(run))) {
 *     m.scalar("train/loss", step, loss);
 * }
 * }</pre>
 */
public interface MetricsSink extends AutoCloseable {
    /** Records {@code value} for {@code tag} at {@code step}. */
    void scalar(String tag, long step, double value);

    /** Pushes buffered records to their files. */
    void flush();

    /** Flushes and releases the files; further calls to {@link #scalar} fail. */
    @Override
    void close();
}
