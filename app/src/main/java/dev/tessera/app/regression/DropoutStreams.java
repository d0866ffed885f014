package dev.tessera.app.regression;

import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Dropout;
import dev.tessera.nn.train.Checkpoint;
import dev.tessera.tensor.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The random generators a regression model's dropout draws its masks from, as checkpoint state: {@link #save} gives
 * their exact {@link Rng#state() Philox states} (seed, stream, block counter, words used), {@link #restore} moves the
 * generators of a freshly built model of the same configuration to those states, so a resumed run draws the masks the
 * straight run would have drawn (the analogue of saving {@code torch.get_rng_state()} with the checkpoint).
 *
 * <p>The generators are found through the model's {@link Dropout} modules, each distinct generator once, named by the
 * first module that draws from it. That covers every generator the regression models draw from while training: the
 * transformer layers share one generator among their attention-probability dropout (which has no module of its own),
 * residual dropout and FFN dropout, and each {@link dev.tessera.nn.layers.Mlp} owns one forked at construction.
 *
 * <p>Generators cannot be replaced in place (an attention layer holds its own reference), so {@link #restore}
 * advances each one along its counter-based stream; it fails when a generator is already past the saved state or
 * belongs to another stream, which means the checkpoint is of another model.
 */
final class DropoutStreams {
    /** The checkpoint {@code extra} key of the saved states. */
    static final String KEY = "dropoutRng";

    /** Distinct generators by the name of the first dropout module drawing from them, in module order. */
    private final Map<String, Rng> generators;

    private DropoutStreams(Map<String, Rng> generators) {
        this.generators = generators;
    }

    /** The dropout generators of {@code model} (none for a model without dropout modules). */
    static DropoutStreams of(Module model) {
        Map<String, Rng> g = new LinkedHashMap<>();
        IdentityHashMap<Rng, Boolean> seen = new IdentityHashMap<>();
        for (var e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof Dropout d && seen.put(d.rng(), Boolean.TRUE) == null) g.put(e.getKey(), d.rng());
        }
        return new DropoutStreams(g);
    }

    /** How many distinct generators the model's dropout draws from. */
    int size() {
        return generators.size();
    }

    /** The JSON value to store under {@link #KEY}: one {@code {"module": name, "state": [seed, stream, counter, pos]}} per generator. */
    List<Map<String, Object>> save() {
        List<Map<String, Object>> out = new ArrayList<>();
        generators.forEach((name, rng) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("module", name);
            m.put("state", rng.state());
            out.add(m);
        });
        return out;
    }

    /**
     * Moves every generator to the state saved in {@code ck} under {@link #KEY}.
     *
     * @throws IllegalArgumentException naming the checkpoint when the saved generators do not match this model's
     */
    void restore(Checkpoint ck) {
        String where = "--resume: checkpoint " + ck.path() + ", " + KEY;
        if (!(ck.get(KEY) instanceof List<?> saved)) throw new IllegalArgumentException(where + " is not a list: " + ck.get(KEY));
        List<String> names = new ArrayList<>();
        for (Object o : saved) names.add(o instanceof Map<?, ?> m ? String.valueOf(m.get("module")) : String.valueOf(o));
        if (!names.equals(new ArrayList<>(generators.keySet()))) {
            throw new IllegalArgumentException(where + " holds the generators of " + names + ", this model draws dropout from " + generators.keySet());
        }
        for (int i = 0; i < saved.size(); i++) {
            String name = names.get(i);
            long[] state = Checkpoint.asLongArray(KEY + "[" + i + "].state", ((Map<?, ?>) saved.get(i)).get("state"));
            Rng.fromState(state);   // validates the layout before anything moves
            advance(generators.get(name), state, where + " '" + name + "'");
        }
    }

    /**
     * Advances {@code rng} along its stream to {@code target}: whole blocks are skipped by reserving them, the words
     * already used of the target's current block are drawn.
     */
    static void advance(Rng rng, long[] target, String what) {
        long[] now = rng.state();
        if (now[0] != target[0] || now[1] != target[1]) {
            throw new IllegalArgumentException(what + ": saved generator (seed " + target[0] + ", stream " + target[1]
                    + ") is not this model's (seed " + now[0] + ", stream " + now[1] + ")");
        }
        if (position(target) < position(now)) {
            throw new IllegalArgumentException(what + ": this model's generator is already past the saved state (" + Arrays.toString(now)
                    + " vs saved " + Arrays.toString(target) + ")");
        }
        long counter = target[2];
        int pos = (int) target[3];
        if (pos == 4) {
            rng.reserveBlocks(counter - now[2]);
        } else {
            // the target has block counter - 1 partly used: stand at its start (unless already inside it), then draw its used words
            int drawn = 0;
            if (now[3] < 4 && now[2] == counter) drawn = (int) now[3];
            else rng.reserveBlocks(counter - 1 - now[2]);
            for (int w = drawn; w < pos; w++) rng.nextInt();
        }
        if (!Arrays.equals(rng.state(), target)) {
            throw new IllegalStateException(what + ": advancing reached " + Arrays.toString(rng.state()) + ", not the saved " + Arrays.toString(target));
        }
    }

    /** The number of words of the stream consumed before the next draw of a generator in {@code state}. */
    private static long position(long[] state) {
        return state[3] == 4 ? state[2] * 4 : (state[2] - 1) * 4 + state[3];
    }
}
