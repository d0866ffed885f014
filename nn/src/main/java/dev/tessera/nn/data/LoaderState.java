package dev.tessera.nn.data;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a {@link DataLoader} stands: the epoch and the number of batches of that epoch already
 * handed to the consumer. Together with the loader's seed it fixes every batch still to come.
 *
 * @param epoch    the current epoch (0-based)
 * @param position batches of {@code epoch} already consumed, {@code 0 <= position < batchesPerEpoch}
 */
public record LoaderState(long epoch, int position) {
    /** Rejects negative values. */
    public LoaderState {
        if (epoch < 0 || position < 0)
            throw new IllegalArgumentException("LoaderState: epoch and position must be >= 0, got epoch=" + epoch + " position=" + position);
    }

    /** The state as a JSON-friendly map {@code {"epoch": e, "position": p}} (for checkpoint sidecars). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", epoch);
        m.put("position", position);
        return m;
    }

    /** Reads a map written by {@link #toMap()} (numbers may come back as Integer or Long). */
    public static LoaderState fromMap(Map<?, ?> m) {
        if (!(m.get("epoch") instanceof Number e) || !(m.get("position") instanceof Number p))
            throw new IllegalArgumentException("LoaderState.fromMap: expected numeric 'epoch' and 'position', got " + m);
        return new LoaderState(e.longValue(), Math.toIntExact(p.longValue()));
    }
}
