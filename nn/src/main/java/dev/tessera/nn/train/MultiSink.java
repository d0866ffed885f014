package dev.tessera.nn.train;

import java.util.List;

/** Sends every record to several sinks in order (for example CSV and TensorBoard at once). */
public final class MultiSink implements MetricsSink {
    private final List<MetricsSink> sinks;

    /** A sink writing to all of {@code sinks}. */
    public MultiSink(MetricsSink... sinks) {
        this.sinks = List.of(sinks);
    }

    @Override
    public void scalar(String tag, long step, double value) {
        for (MetricsSink s : sinks) s.scalar(tag, step, value);
    }

    @Override
    public void flush() {
        for (MetricsSink s : sinks) s.flush();
    }

    /** Closes every sink, even when one fails; the first failure is rethrown with the others suppressed. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (MetricsSink s : sinks) {
            try {
                s.close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }
}
