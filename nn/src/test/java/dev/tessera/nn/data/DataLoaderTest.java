package dev.tessera.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DataLoaderTest {
    /** Sample i is {x = [i, 10 i] as floats, y = i as int}, so every batch shows which samples it holds. */
    static TensorDataset dataset(int n) {
        float[] x = new float[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = 10 * i;
            y[i] = i;
        }
        return new TensorDataset(Tensor.of(x, n, 2), Tensor.of(y, n));
    }

    /** Checks the batch's tensors against its indices and returns the indices. */
    static int[] rows(Batch b) {
        int[] idx = b.indices();
        assertArrayEquals(idx, b.get(1).toIntArray());
        float[] x = b.get(0).toFloatArray();
        assertEquals(2 * idx.length, x.length);
        for (int r = 0; r < idx.length; r++) {
            assertEquals(idx[r], x[2 * r]);
            assertEquals(10f * idx[r], x[2 * r + 1]);
        }
        return idx;
    }

    static List<int[]> epochBatches(DataLoader<Batch> loader) {
        List<int[]> out = new ArrayList<>();
        for (Batch b : loader.epoch()) out.add(rows(b));
        return out;
    }

    static int[] concat(List<int[]> parts) {
        return parts.stream().flatMapToInt(Arrays::stream).toArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3})
    void everySampleExactlyOncePerEpoch(int prefetch) {
        try (var loader = DataLoader.builder(dataset(103)).batchSize(10).seed(5).prefetch(prefetch).build()) {
            assertEquals(11, loader.batchesPerEpoch());
            for (int e = 0; e < 3; e++) {
                assertEquals(new LoaderState(e, 0), loader.state());
                List<int[]> batches = epochBatches(loader);
                assertEquals(11, batches.size());
                for (int i = 0; i < 10; i++) assertEquals(10, batches.get(i).length);
                assertEquals(3, batches.get(10).length);
                int[] all = concat(batches);
                int[] sorted = all.clone();
                Arrays.sort(sorted);
                for (int i = 0; i < 103; i++) assertEquals(i, sorted[i], "epoch " + e);
                assertFalse(Arrays.equals(all, sorted), "a shuffled epoch should not be the identity");
            }
            assertEquals(new LoaderState(3, 0), loader.state());
        }
    }

    @Test
    void epochsDifferAndTheSameSeedGivesTheSameOrder() {
        try (var a = DataLoader.builder(dataset(64)).batchSize(8).seed(11).build();
             var b = DataLoader.builder(dataset(64)).batchSize(8).seed(11).build();
             var c = DataLoader.builder(dataset(64)).batchSize(8).seed(12).build()) {
            int[] a0 = concat(epochBatches(a)), a1 = concat(epochBatches(a));
            int[] b0 = concat(epochBatches(b)), b1 = concat(epochBatches(b));
            int[] c0 = concat(epochBatches(c));
            assertFalse(Arrays.equals(a0, a1), "epochs 0 and 1 should differ");
            assertArrayEquals(a0, b0);
            assertArrayEquals(a1, b1);
            assertFalse(Arrays.equals(a0, c0), "seeds 11 and 12 should differ");
            // the order is a pure function of (seed, epoch)
            assertArrayEquals(a1, DataLoader.epochOrder(11, 1, 64, true));
        }
    }

    @Test
    void dropLastSkipsTheShortBatch() {
        try (var loader = DataLoader.builder(dataset(103)).batchSize(10).shuffle(false).dropLast(true).build()) {
            assertEquals(10, loader.batchesPerEpoch());
            List<int[]> batches = epochBatches(loader);
            assertEquals(10, batches.size());
            int[] all = concat(batches);
            for (int i = 0; i < 100; i++) assertEquals(i, all[i]); // unshuffled: the identity, 100..102 dropped
        }
        try (var loader = DataLoader.builder(dataset(3)).batchSize(10).dropLast(true).build()) {
            assertEquals(0, loader.batchesPerEpoch());
            assertThrows(IllegalStateException.class, loader::next);
            assertFalse(loader.epoch().iterator().hasNext());
        }
    }

    @Test
    void genericDatasetWithStackingCollatorMatchesTensorDataset() {
        TensorDataset tds = dataset(20);
        Dataset<Tensor[]> plain = new Dataset<>() {
            @Override
            public int size() {
                return tds.size();
            }

            @Override
            public Tensor[] get(int index) {
                return tds.get(index);
            }
        };
        try (var a = DataLoader.builder(plain, Batch.stacking()).batchSize(6).seed(3).build();
             var b = DataLoader.builder(tds).batchSize(6).seed(3).build()) {
            for (int i = 0; i < 8; i++) {
                Batch x = a.next(), y = b.next();
                assertArrayEquals(rows(y), rows(x));
                assertArrayEquals(new int[] {x.size(), 2}, x.get(0).shape());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void resumeFromAMidEpochStateGivesExactlyTheRemainingBatches(int prefetch) {
        List<int[]> reference = new ArrayList<>();
        LoaderState saved = null;
        try (var a = DataLoader.builder(dataset(50)).batchSize(7).seed(99).prefetch(prefetch).build()) {
            for (int step = 0; step < 20; step++) {
                if (step == 10) saved = a.state();
                reference.add(rows(a.next()));
            }
        }
        assertEquals(new LoaderState(1, 2), saved); // 8 batches per epoch: step 10 is epoch 1, batch 2
        try (var b = DataLoader.builder(dataset(50)).batchSize(7).seed(99).prefetch(prefetch).build()) {
            b.next(); // it ran ahead before resuming: the resume must discard what was prefetched
            b.resume(LoaderState.fromMap(saved.toMap()));
            for (int step = 10; step < 20; step++) assertArrayEquals(reference.get(step), rows(b.next()), "step " + step);
            // the epoch iterator after a resume covers only what is left of the epoch
            b.resume(new LoaderState(1, 5));
            List<int[]> rest = epochBatches(b);
            assertEquals(3, rest.size());
            for (int i = 0; i < 3; i++) assertArrayEquals(reference.get(13 + i), rest.get(i));
            assertThrows(IllegalArgumentException.class, () -> b.resume(new LoaderState(0, 8)));
        }
    }

    @Test
    void prefetchIsBoundedAndTheThreadEndsOnClose() throws Exception {
        AtomicInteger fetches = new AtomicInteger();
        TensorDataset tds = dataset(100);
        BatchFetcher<Batch> counting = idx -> {
            fetches.incrementAndGet();
            return tds.fetch(idx);
        };
        var loader = DataLoader.builder(100, counting).batchSize(4).prefetch(2).build();
        assertNull(loader.workerThread(), "the thread starts lazily");
        loader.next();
        Thread t = loader.workerThread();
        assertNotNull(t);
        assertTrue(t.isDaemon());
        Thread.sleep(200);
        assertTrue(t.isAlive());
        // one consumed + two queued + at most one blocked in put
        assertTrue(fetches.get() <= 4, "fetched " + fetches.get() + " batches ahead with prefetch 2");
        loader.close();
        assertFalse(t.isAlive(), "close() must join the prefetch thread");
        assertThrows(IllegalStateException.class, loader::next);
        loader.close(); // idempotent
    }

    @Test
    void noThreadLeakAcrossManyLoaders() {
        for (int i = 0; i < 20; i++) {
            try (var loader = DataLoader.builder(dataset(30)).batchSize(3).prefetch(1).build()) {
                loader.next();
                loader.resume(new LoaderState(2, 1));
                loader.next();
            }
        }
        long alive = Thread.getAllStackTraces().keySet().stream()
                .filter(th -> th.getName().startsWith("tessera-dataloader-") && th.isAlive()).count();
        assertEquals(0, alive);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void fetchExceptionsReachTheConsumerAtTheirBatch(int prefetch) {
        TensorDataset tds = dataset(40);
        AtomicInteger failuresLeft = new AtomicInteger(2);
        Dataset<Tensor[]> flaky = new Dataset<>() {
            @Override
            public int size() {
                return 40;
            }

            @Override
            public Tensor[] get(int index) {
                if (index == 13 && failuresLeft.getAndDecrement() > 0) throw new IllegalStateException("bad sample 13");
                return tds.get(index);
            }
        };
        try (var loader = DataLoader.builder(flaky, Batch.stacking()).batchSize(5).shuffle(false).prefetch(prefetch).build()) {
            assertArrayEquals(new int[] {0, 1, 2, 3, 4}, rows(loader.next()));
            assertArrayEquals(new int[] {5, 6, 7, 8, 9}, rows(loader.next()));
            for (int attempt = 0; attempt < 2; attempt++) {
                var ex = assertThrows(DataLoaderException.class, loader::next);
                assertEquals("bad sample 13", ex.getCause().getMessage());
                assertEquals(0, ex.epoch());
                assertEquals(2, ex.position());
                assertEquals(new LoaderState(0, 2), loader.state(), "a failed batch is not consumed");
                if (prefetch > 0) assertNull(loader.workerThread(), "the failed worker is joined");
            }
            // the third attempt succeeds: the retry fetches the same batch again
            assertArrayEquals(new int[] {10, 11, 12, 13, 14}, rows(loader.next()));
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(dataset(4)).batchSize(0));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(dataset(4)).prefetch(-1));
        assertThrows(IllegalArgumentException.class, () -> new LoaderState(-1, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new TensorDataset(Tensor.zeros(DType.F32, 3, 2), Tensor.zeros(DType.F32, 4)));
        assertThrows(IndexOutOfBoundsException.class, () -> dataset(4).get(4));
    }
}
