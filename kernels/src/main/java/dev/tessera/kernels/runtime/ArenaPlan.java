package dev.tessera.kernels.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Offsets of a step's allocations inside one arena, from their sizes and lifetimes (GPU.md §5):
 * greedy best-fit by decreasing size, each block placed at the lowest offset that no block alive
 * at an overlapping time occupies, as static memory planners do. Lifetimes are half-open intervals
 * of an event clock {@code [allocated, freed)}; a block never freed lives to the end. Offsets are
 * multiples of {@value #ALIGN} bytes (the driver's allocation alignment), so every kernel's
 * alignment assumptions hold inside the arena.
 */
final class ArenaPlan {
    /** Alignment of every planned block. */
    static final long ALIGN = 256;

    private final long[] bytes, offsets;
    private final long total;

    private ArenaPlan(long[] bytes, long[] offsets, long total) {
        this.bytes = bytes;
        this.offsets = offsets;
        this.total = total;
    }

    /** Plans requests {@code i} of {@code bytes[i]} alive over {@code [start[i], end[i])}. */
    static ArenaPlan of(long[] bytes, long[] start, long[] end) {
        int n = bytes.length;
        if (start.length != n || end.length != n) throw new IllegalArgumentException("ArenaPlan: arrays of different lengths");
        long[] size = new long[n], offsets = new long[n];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            if (bytes[i] <= 0 || end[i] <= start[i]) {
                throw new IllegalArgumentException("ArenaPlan: request " + i + " has " + bytes[i] + " bytes over [" + start[i] + ", "
                        + end[i] + ")");
            }
            size[i] = (bytes[i] + ALIGN - 1) / ALIGN * ALIGN;
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> -size[i]).thenComparingLong(i -> start[i]));
        List<Integer> placed = new ArrayList<>();
        long total = 0;
        List<long[]> busy = new ArrayList<>();
        for (int i : order) {
            busy.clear();
            for (int p : placed) {
                if (start[p] < end[i] && start[i] < end[p]) busy.add(new long[] {offsets[p], size[p]});
            }
            busy.sort(Comparator.comparingLong(b -> b[0]));
            long off = 0;
            for (long[] b : busy) {
                if (off + size[i] <= b[0]) break;
                off = Math.max(off, b[0] + b[1]);
            }
            offsets[i] = off;
            placed.add(i);
            total = Math.max(total, off + size[i]);
        }
        return new ArenaPlan(bytes.clone(), offsets, total);
    }

    /** Number of planned requests. */
    int count() {
        return bytes.length;
    }

    /** Requested bytes of request i. */
    long bytes(int i) {
        return bytes[i];
    }

    /** Byte offset of request i in the arena. */
    long offset(int i) {
        return offsets[i];
    }

    /** Bytes of the arena. */
    long total() {
        return total;
    }
}
