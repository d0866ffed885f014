package dev.tessera.kernels.memory;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A block of device memory owned by a Java object: released explicitly ({@link #release()}, by a
 * {@link Scope}) or, as a safety net, by a {@link Cleaner} when the owner becomes unreachable
 * (reported through {@link LeakDetector}).
 */
public final class DeviceBuffer {
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "tessera-cuda-cleaner");
        t.setDaemon(true);
        return t;
    });

    private final DeviceBlock block;
    private final State state;
    private final Cleaner.Cleanable cleanable;

    /** What the Cleaner needs; must not refer to the owner. */
    private static final class State implements Runnable {
        final CachingAllocator allocator;
        final DeviceBlock block;
        final Throwable site;
        final AtomicBoolean freed = new AtomicBoolean();

        State(CachingAllocator allocator, DeviceBlock block, Throwable site) {
            this.allocator = allocator;
            this.block = block;
            this.site = site;
        }

        @Override
        public void run() {
            if (freed.compareAndSet(false, true)) {
                LeakDetector.collected(block.size(), site);
                allocator.freeCollected(block);
            }
        }
    }

    private DeviceBuffer(CachingAllocator allocator, DeviceBlock block, Object owner) {
        this.block = block;
        this.state = new State(allocator, block, LeakDetector.site());
        this.cleanable = block.size() == 0 ? null : CLEANER.register(owner, state);
    }

    /** Allocates {@code bytes} whose lifetime follows {@code owner} unless released first. */
    public static DeviceBuffer allocate(CachingAllocator allocator, long bytes, Object owner) {
        return new DeviceBuffer(allocator, allocator.allocate(bytes), owner);
    }

    /** The device address; throws when already released. */
    public long ptr() {
        if (state.freed.get()) {
            throw new IllegalStateException("device memory used after it was freed (its Scope has closed; "
                    + "keep the tensor with Scope.keep to use it later)");
        }
        return block.ptr();
    }

    /** Size in bytes as requested. */
    public long bytes() {
        return block.requested();
    }

    /** Returns the block to its allocator (idempotent). */
    public void release() {
        if (state.freed.compareAndSet(false, true)) {
            state.allocator.free(block);
            if (cleanable != null) cleanable.clean();
        }
    }

    /** True once released. */
    public boolean released() {
        return state.freed.get();
    }
}
