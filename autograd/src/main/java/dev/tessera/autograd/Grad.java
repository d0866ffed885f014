package dev.tessera.autograd;

/**
 * Gradient-recording mode of the current thread. Recording is on by default; a {@link Scope}
 * from {@link #disabled()} turns it off until closed. Scopes nest (recording resumes when the
 * outermost one closes) and are confined to the thread that opened them, so another thread keeps
 * recording while one runs inference.
 *
 * <pre>{@code
 * try (var g = Grad.disabled()) {
 *     Variable y = model.forward(x);   // y.requiresGrad() == false, nothing is kept for backward
 * }
 * }</pre>
 */
public final class Grad {
    /** Per-thread nesting depth of open disabled scopes; an int[] avoids boxing on every op. */
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private Grad() {}

    /** A closable region of a try-with-resources statement. Closing twice has no further effect. */
    public interface Scope extends AutoCloseable {
        /** Ends the scope (no checked exception). */
        @Override
        void close();
    }

    /**
     * Disables gradient recording on this thread until the returned scope is closed.
     *
     * @throws IllegalStateException when the scope is closed from a different thread
     */
    public static Scope disabled() {
        int[] depth = DEPTH.get();
        depth[0]++;
        Thread owner = Thread.currentThread();
        return new Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (closed) return;
                if (Thread.currentThread() != owner) {
                    throw new IllegalStateException("Grad.disabled: scope opened on thread " + owner.getName()
                            + " closed on thread " + Thread.currentThread().getName());
                }
                closed = true;
                depth[0]--;
            }
        };
    }

    /** True when ops on this thread record a graph for backward. */
    public static boolean isEnabled() {
        return DEPTH.get()[0] == 0;
    }
}
