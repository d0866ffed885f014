package dev.tessera.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * An indexed list of sub-modules registered as children "0", "1", ... (so a stack of blocks gives
 * names such as {@code "layers.3.attn.wq.weight"}).
 *
 * <pre>{@code
 * ModuleList<Block> layers = child("layers", new ModuleList<>());
 * for (int i = 0; i < depth; i++) layers.add(new Block(dim, rng));
 * for (Block b : layers) x = b.forward(x);
 * }</pre>
 *
 * @param <M> the module type
 */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    /** An empty list. */
    public ModuleList() {}

    /** Appends a module and returns it. */
    public M add(M m) {
        child(Integer.toString(items.size()), m);
        items.add(m);
        return m;
    }

    /** The module at {@code i}. */
    public M get(int i) {
        if (i < 0 || i >= items.size()) {
            throw new IndexOutOfBoundsException("ModuleList.get: index " + i + " outside [0, " + items.size() + ")");
        }
        return items.get(i);
    }

    /** The number of modules. */
    public int size() {
        return items.size();
    }

    /** The modules in order (read-only). */
    public List<M> asList() {
        return Collections.unmodifiableList(items);
    }

    @Override
    public Iterator<M> iterator() {
        return asList().iterator();
    }
}
