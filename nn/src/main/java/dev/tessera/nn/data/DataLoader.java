package dev.tessera.nn.data;

import dev.tessera.tensor.Rng;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cuts a dataset into batches in a reproducible order, optionally fetching ahead on a background
 * thread.
 *
 * <h2>Order</h2>
 * The sample order of epoch {@code e} is {@code new Rng(seed).split(e).permutation(size)} when
 * shuffling (the identity otherwise): a pure function of {@code (seed, epoch)}, see
 * {@link #epochOrder(long, long, int, boolean)}. Batch {@code p} of the epoch holds the order's
 * entries {@code [p * batchSize, min((p + 1) * batchSize, size))}; with {@code dropLast} a final
 * short batch is skipped. So every batch is a pure function of {@code (seed, epoch, position)} and
 * {@link #resume(LoaderState)} with a saved {@link #state()} yields exactly the batches an
 * uninterrupted run would have seen.
 *
 * <h2>Consuming</h2>
 * {@link #next()} returns the next batch and rolls over into the next epoch after the last one;
 * {@link #epoch()} iterates over what is left of the current epoch. {@link #state()} counts only
 * batches handed to the caller, never those merely prefetched.
 *
 * <h2>Prefetch</h2>
 * With {@code prefetch > 0} a daemon thread fetches up to that many batches ahead into a bounded
 * queue (it starts on the first {@link #next()}). An exception thrown while fetching reaches the
 * consumer from the {@link #next()} call that would have returned that batch, wrapped in a
 * {@link DataLoaderException} with the original as its cause; the next call retries the same batch.
 * {@link #close()} stops and joins the thread. With {@code prefetch == 0} batches are fetched on
 * the caller's thread.
 *
 * <pre>{@code
 * try (var loader = DataLoader.builder(new TensorDataset(x, y)).batchSize(64).seed(1).dropLast(true).build()) {
 *     for (int step = 0; step < steps; step++) {
 *         Batch b = loader.next();
 *         ...
 *     }
 *     checkpointExtra.put("data", loader.state().toMap());
 * }
 * }</pre>
 *
 * <p>One consumer thread at a time; the fetcher is called from one thread at a time.
 *
 * @param <B> the batch type
 */
public final class DataLoader<B> implements AutoCloseable {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final int size;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final long seed;
    private final int prefetch;
    private final BatchFetcher<B> fetcher;
    private final int batchesPerEpoch;

    private long epoch;
    private int position;
    private boolean closed;
    private Worker<B> worker;
    /** Order of {@code cachedEpoch}, reused by the synchronous path. */
    private int[] cachedOrder;
    private long cachedEpoch = -1;

    private DataLoader(Builder<B> b) {
        this.size = b.size;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.seed = b.seed;
        this.prefetch = b.prefetch;
        this.fetcher = b.fetcher;
        this.batchesPerEpoch = dropLast ? size / batchSize : (size + batchSize - 1) / batchSize;
    }

    /** A builder for a loader over {@code size} samples whose batches {@code fetcher} builds. */
    public static <B> Builder<B> builder(int size, BatchFetcher<B> fetcher) {
        return new Builder<>(size, fetcher);
    }

    /** A builder for a loader over any dataset, collating samples with {@code collator}. */
    public static <T, B> Builder<B> builder(Dataset<T> dataset, Collator<T, B> collator) {
        return new Builder<>(dataset.size(), BatchFetcher.of(dataset, collator));
    }

    /** A builder for a loader over an in-memory tensor dataset (batches gathered per field). */
    public static Builder<Batch> builder(TensorDataset dataset) {
        return new Builder<>(dataset.size(), dataset);
    }

    /**
     * The sample order of an epoch: {@code new Rng(seed).split(epoch).permutation(size)} when
     * shuffling, else {@code 0..size-1}.
     */
    public static int[] epochOrder(long seed, long epoch, int size, boolean shuffle) {
        if (shuffle) return new Rng(seed).split(epoch).permutation(size);
        int[] order = new int[size];
        for (int i = 0; i < size; i++) order[i] = i;
        return order;
    }

    /** Batches in one epoch ({@code size / batchSize}, rounded up unless {@code dropLast}). */
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** Number of samples in the dataset. */
    public int datasetSize() {
        return size;
    }

    /** Samples per batch (the last batch of an epoch may be shorter unless {@code dropLast}). */
    public int batchSize() {
        return batchSize;
    }

    /** The seed of the shuffle. */
    public long seed() {
        return seed;
    }

    /** The dataset indices of batch {@code position} of {@code epoch} (what {@link #next()} would fetch there). */
    public int[] batchIndices(long epoch, int position) {
        if (epoch < 0 || position < 0 || position >= batchesPerEpoch)
            throw new IllegalArgumentException("DataLoader.batchIndices: position " + position + " of epoch " + epoch
                    + " outside [0, " + batchesPerEpoch + ")");
        return slice(epochOrder(seed, epoch, size, shuffle), position);
    }

    private int[] slice(int[] order, int position) {
        int from = position * batchSize;
        int to = Math.min(from + batchSize, size);
        return java.util.Arrays.copyOfRange(order, from, to);
    }

    /** Where the consumer stands: the epoch and the batches of it already returned. */
    public LoaderState state() {
        return new LoaderState(epoch, position);
    }

    /**
     * Continues from a saved {@link #state()}: prefetched batches are discarded and the next batch
     * returned is batch {@code state.position()} of epoch {@code state.epoch()}.
     */
    public void resume(LoaderState state) {
        ensureOpen("resume");
        if (state.position() >= Math.max(batchesPerEpoch, 1)) {
            throw new IllegalArgumentException("DataLoader.resume: position " + state.position() + " outside [0, "
                    + batchesPerEpoch + ") batches per epoch (size " + size + ", batchSize " + batchSize + ", dropLast "
                    + dropLast + ")");
        }
        stopWorker();
        epoch = state.epoch();
        position = state.position();
    }

    /**
     * The next batch, rolling over into the next epoch after the last batch of this one.
     *
     * @throws DataLoaderException when fetching the batch failed (cause attached); the state is
     *                             unchanged, so the next call retries the same batch
     * @throws IllegalStateException when the loader is closed or an epoch holds no batch
     */
    public B next() {
        ensureOpen("next");
        if (batchesPerEpoch == 0) {
            throw new IllegalStateException("DataLoader.next: an epoch holds no batch (size " + size + ", batchSize "
                    + batchSize + ", dropLast " + dropLast + ")");
        }
        B batch = prefetch == 0 ? fetchHere() : takeFromWorker();
        position++;
        if (position == batchesPerEpoch) {
            epoch++;
            position = 0;
        }
        return batch;
    }

    /**
     * The batches left in the current epoch (all of it at a fresh start). After the last one the
     * loader stands at the start of the next epoch, so {@code for (...) for (B b : loader.epoch())}
     * walks epoch after epoch.
     */
    public Iterable<B> epoch() {
        ensureOpen("epoch");
        final long current = epoch;
        return () -> new Iterator<>() {
            @Override
            public boolean hasNext() {
                return !closed && epoch == current && batchesPerEpoch > 0;
            }

            @Override
            public B next() {
                if (!hasNext()) throw new NoSuchElementException("DataLoader.epoch: epoch " + current + " is finished");
                return DataLoader.this.next();
            }
        };
    }

    private B fetchHere() {
        if (cachedEpoch != epoch) {
            cachedOrder = epochOrder(seed, epoch, size, shuffle);
            cachedEpoch = epoch;
        }
        try {
            return fetcher.fetch(slice(cachedOrder, position));
        } catch (RuntimeException | Error e) {
            throw new DataLoaderException(epoch, position, e);
        }
    }

    private B takeFromWorker() {
        if (worker == null) {
            worker = new Worker<>(this, epoch, position);
            worker.thread.start();
        }
        Item<B> item;
        try {
            item = worker.queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("DataLoader.next: interrupted while waiting for a batch", e);
        }
        if (item.epoch != epoch || item.position != position) {
            // Cannot happen while one worker serves one consumer; guard the resume contract anyway.
            stopWorker();
            throw new IllegalStateException("DataLoader.next: prefetched batch (" + item.epoch + ", " + item.position
                    + ") does not match the state (" + epoch + ", " + position + ")");
        }
        if (item.error != null) {
            stopWorker();
            throw new DataLoaderException(epoch, position, item.error);
        }
        return item.batch;
    }

    /** The prefetch thread, or null when none runs (for tests). */
    Thread workerThread() {
        return worker == null ? null : worker.thread;
    }

    private void stopWorker() {
        Worker<B> w = worker;
        worker = null;
        if (w == null) return;
        w.stop = true;
        w.thread.interrupt();
        boolean interrupted = false;
        while (true) {
            try {
                w.thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        w.queue.clear();
    }

    private void ensureOpen(String op) {
        if (closed) throw new IllegalStateException("DataLoader." + op + ": the loader is closed");
    }

    /** Stops and joins the prefetch thread; idempotent. The loader cannot be used afterwards. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        stopWorker();
    }

    private record Item<B>(B batch, long epoch, int position, Throwable error) {
    }

    /** The prefetch thread: fetches batches in order from a start state into its own bounded queue. */
    private static final class Worker<B> implements Runnable {
        final DataLoader<B> loader;
        final BlockingQueue<Item<B>> queue;
        final Thread thread;
        final long startEpoch;
        final int startPosition;
        volatile boolean stop;

        Worker(DataLoader<B> loader, long startEpoch, int startPosition) {
            this.loader = loader;
            this.queue = new ArrayBlockingQueue<>(loader.prefetch);
            this.startEpoch = startEpoch;
            this.startPosition = startPosition;
            this.thread = Thread.ofPlatform().daemon().name("tessera-dataloader-" + THREADS.incrementAndGet()).unstarted(this);
        }

        @Override
        public void run() {
            long e = startEpoch;
            int p = startPosition;
            int[] order = null;
            long orderEpoch = -1;
            try {
                while (!stop) {
                    Item<B> item;
                    try {
                        if (orderEpoch != e) {
                            order = epochOrder(loader.seed, e, loader.size, loader.shuffle);
                            orderEpoch = e;
                        }
                        item = new Item<>(loader.fetcher.fetch(loader.slice(order, p)), e, p, null);
                    } catch (Throwable t) {
                        // Hand the failure to the consumer at the batch it belongs to, then end.
                        queue.put(new Item<>(null, e, p, t));
                        return;
                    }
                    queue.put(item);
                    if (++p == loader.batchesPerEpoch) {
                        e++;
                        p = 0;
                    }
                }
            } catch (InterruptedException ignored) {
                // stopWorker() interrupts a put on a full queue: the thread just ends.
            }
        }
    }

    /**
     * Configures a {@link DataLoader}. Defaults: batch size 1, shuffle on, seed 0, keep the last
     * short batch, prefetch 2.
     *
     * @param <B> the batch type
     */
    public static final class Builder<B> {
        private final int size;
        private final BatchFetcher<B> fetcher;
        private int batchSize = 1;
        private boolean shuffle = true;
        private boolean dropLast;
        private long seed;
        private int prefetch = 2;

        private Builder(int size, BatchFetcher<B> fetcher) {
            if (size < 0) throw new IllegalArgumentException("DataLoader: dataset size must be >= 0, got " + size);
            if (fetcher == null) throw new IllegalArgumentException("DataLoader: fetcher is null");
            this.size = size;
            this.fetcher = fetcher;
        }

        /** Samples per batch, at least 1. */
        public Builder<B> batchSize(int batchSize) {
            if (batchSize < 1) throw new IllegalArgumentException("DataLoader: batchSize must be >= 1, got " + batchSize);
            this.batchSize = batchSize;
            return this;
        }

        /** Whether each epoch visits the samples in a seeded random order (default true). */
        public Builder<B> shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Whether a final batch shorter than {@code batchSize} is skipped (default false). */
        public Builder<B> dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** The shuffle seed (default 0). */
        public Builder<B> seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Batches fetched ahead on a background thread; 0 fetches on the caller's thread (default 2). */
        public Builder<B> prefetch(int prefetch) {
            if (prefetch < 0) throw new IllegalArgumentException("DataLoader: prefetch must be >= 0, got " + prefetch);
            this.prefetch = prefetch;
            return this;
        }

        /** The loader, positioned at epoch 0, batch 0. */
        public DataLoader<B> build() {
            return new DataLoader<>(this);
        }
    }
}
