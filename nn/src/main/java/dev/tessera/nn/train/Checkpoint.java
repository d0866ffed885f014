package dev.tessera.nn.train;

import dev.tessera.tensor.Tensor;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint read back by {@link Checkpoints#load(Path)}: the model and optimizer tensors (CPU,
 * contiguous, in saved order) and the JSON {@code extra} map (config, schedule position, RNG and
 * data loader states, early-stopping state, ...).
 *
 * <p>JSON numbers come back as {@code Long} (integers) or {@code Double}, arrays as {@code List},
 * objects as {@code Map}; the typed accessors convert, e.g.
 * {@code Rng.fromState(ckpt.longArray("rng"))}.
 *
 * @param path      the checkpoint directory
 * @param step      the training step it was saved at
 * @param model     model tensors by name
 * @param optimizer optimizer tensors by name
 * @param extra     everything else, as saved (JSON values)
 */
public record Checkpoint(Path path, long step, Map<String, Tensor> model, Map<String, Tensor> optimizer,
                         Map<String, Object> extra) {
    /** Makes the maps unmodifiable, keeping their order. */
    public Checkpoint {
        model = Collections.unmodifiableMap(new LinkedHashMap<>(model));
        optimizer = Collections.unmodifiableMap(new LinkedHashMap<>(optimizer));
        extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    /** The extra value under {@code key}; throws naming the keys present when it is missing. */
    public Object get(String key) {
        if (!extra.containsKey(key))
            throw new IllegalArgumentException("Checkpoint " + path.getFileName() + ": no extra value '" + key + "' (present: "
                    + extra.keySet() + ")");
        return extra.get(key);
    }

    /** The extra integer under {@code key}. */
    public long longValue(String key) {
        return asLong(key, get(key));
    }

    /** The extra number under {@code key} as a double. */
    public double doubleValue(String key) {
        if (!(get(key) instanceof Number n))
            throw new IllegalArgumentException("Checkpoint: extra '" + key + "' is not a number: " + get(key));
        return n.doubleValue();
    }

    /** The extra integer array under {@code key} (for example an {@code Rng.state()}). */
    public long[] longArray(String key) {
        return asLongArray(key, get(key));
    }

    /** The extra JSON object under {@code key}. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> map(String key) {
        if (!(get(key) instanceof Map<?, ?> m))
            throw new IllegalArgumentException("Checkpoint: extra '" + key + "' is not an object: " + get(key));
        return (Map<String, Object>) m;
    }

    /** Converts a JSON integer ({@code Integer}, {@code Long}) to a long; {@code what} names it in errors. */
    public static long asLong(String what, Object v) {
        if (v instanceof Long l) return l;
        if (v instanceof Integer i) return i;
        throw new IllegalArgumentException("Checkpoint: '" + what + "' is not an integer: " + v);
    }

    /** Converts a JSON array of integers (or a {@code long[]}) to a {@code long[]}. */
    public static long[] asLongArray(String what, Object v) {
        if (v instanceof long[] a) return a.clone();
        if (!(v instanceof List<?> list)) throw new IllegalArgumentException("Checkpoint: '" + what + "' is not an array: " + v);
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = asLong(what + "[" + i + "]", list.get(i));
        return out;
    }
}
