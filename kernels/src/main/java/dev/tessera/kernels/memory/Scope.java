package dev.tessera.kernels.memory;

import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Owns the device memory of every tensor created inside it on the current thread and frees it on
 * close, except tensors passed to {@link #keep}. Scopes nest; a kept tensor moves to the
 * enclosing scope, or, at the outermost scope, to the garbage collector (its memory is then
 * returned when it becomes unreachable, see {@link LeakDetector}). CPU tensors cost nothing.
 *
 * <pre>{@code
 * for (var batch : loader) {
 *     try (var step = Scope.open()) {
 *         Tensor loss = model.forward(batch.x()).crossEntropy(batch.y(), -100, 0).mean();
 *         lossValue = loss.item();          // everything allocated in the step is freed here
 *     }
 * }
 * }</pre>
 *
 * <p>Scopes are thread-confined and must be closed innermost first (try-with-resources does it).
 * Using a tensor whose scope has closed throws {@link IllegalStateException}.
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

    private final Scope parent;
    private final Thread owner;
    private final LinkedHashSet<ScopedResource> owned = new LinkedHashSet<>();
    private boolean closed;

    private Scope(Scope parent) {
        this.parent = parent;
        this.owner = Thread.currentThread();
    }

    /** Opens a scope nested in the current thread's innermost one. */
    public static Scope open() {
        Scope s = new Scope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** The current thread's innermost open scope, or null. */
    public static Scope current() {
        return CURRENT.get();
    }

    /** Registers a new resource with the current thread's innermost scope (no-op without one). */
    public static void register(ScopedResource r) {
        Scope s = CURRENT.get();
        if (s != null) s.owned.add(r);
    }

    /** Keeps {@code t}'s storage alive past this scope (moving it to the enclosing scope); returns {@code t}. */
    public Tensor keep(Tensor t) {
        if (t != null && t.storage() instanceof ScopedResource r) keepResource(r);
        return t;
    }

    /** Keeps every given tensor. */
    public void keep(Tensor... ts) {
        for (Tensor t : ts) keep(t);
    }

    /** Keeps a resource past this scope. */
    public void keepResource(ScopedResource r) {
        checkOpen("keep");
        if (owned.remove(r) && parent != null) parent.owned.add(r);
    }

    /** Number of resources this scope will free on close. */
    public int size() {
        return owned.size();
    }

    /** Frees everything owned that was not kept (newest first) and pops this scope. */
    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("Scope.close: a scope must be closed by the thread that opened it ("
                    + owner.getName() + "), not " + Thread.currentThread().getName());
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("Scope.close: an inner scope is still open; close scopes innermost first");
        }
        closed = true;
        List<ScopedResource> rs = new ArrayList<>(owned);
        owned.clear();
        CURRENT.set(parent);
        RuntimeException first = null;
        for (int i = rs.size() - 1; i >= 0; i--) {
            try {
                rs.get(i).release();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    private void checkOpen(String op) {
        if (closed) throw new IllegalStateException("Scope." + op + ": the scope is closed");
    }
}
