package dev.tessera.lp.data;

import java.util.Map;
import java.util.TreeMap;

/**
 * Row counts and the mean and variance of {@code log2 h} per {@code (n, k, m)} group, for the
 * train and validation splits; mergeable across shards.
 */
public final class GroupStats {
    /** A group key. */
    public record Key(int n, int k, int m) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            if (n != o.n) return Integer.compare(n, o.n);
            if (k != o.k) return Integer.compare(k, o.k);
            return Integer.compare(m, o.m);
        }
    }

    /** Accumulated moments of one group: counts, sum and sum of squares of log2 h. */
    public static final class Acc {
        long train;
        long val;
        double sum;
        double sumSq;

        /** Only this class accumulates. */
        Acc() {}

        /** Rows in the training split. */
        public long train() {
            return train;
        }

        /** Rows in the validation split. */
        public long val() {
            return val;
        }

        /** All rows. */
        public long rows() {
            return train + val;
        }

        /** Mean of log2 h over all rows of the group. */
        public double mean() {
            return sum / rows();
        }

        /** Population variance of log2 h over all rows of the group. */
        public double variance() {
            double mu = mean();
            return Math.max(0.0, sumSq / rows() - mu * mu);
        }
    }

    private final TreeMap<Key, Acc> groups = new TreeMap<>();

    /** Empty statistics; fill them with {@link #add} or {@link #merge}. */
    public GroupStats() {}

    /** Adds one row. */
    public void add(int n, int k, int m, double log2h, boolean val) {
        Acc a = groups.computeIfAbsent(new Key(n, k, m), x -> new Acc());
        if (val) a.val++;
        else a.train++;
        a.sum += log2h;
        a.sumSq += log2h * log2h;
    }

    /** Adds every group of {@code other}. */
    public void merge(GroupStats other) {
        for (var e : other.groups.entrySet()) {
            Acc a = groups.computeIfAbsent(e.getKey(), x -> new Acc());
            a.train += e.getValue().train;
            a.val += e.getValue().val;
            a.sum += e.getValue().sum;
            a.sumSq += e.getValue().sumSq;
        }
    }

    /** The groups in (n, k, m) order. */
    public Map<Key, Acc> groups() {
        return java.util.Collections.unmodifiableMap(groups);
    }

    /** Encodes as {@code n,k,m,train,val,sum,sumSq;...} (exact round trip of the doubles). */
    public String encode() {
        StringBuilder b = new StringBuilder();
        for (var e : groups.entrySet()) {
            if (!b.isEmpty()) b.append(';');
            Key key = e.getKey();
            Acc a = e.getValue();
            b.append(key.n).append(',').append(key.k).append(',').append(key.m).append(',').append(a.train).append(',')
                    .append(a.val).append(',').append(Double.toHexString(a.sum)).append(',').append(Double.toHexString(a.sumSq));
        }
        return b.toString();
    }

    /** Decodes {@link #encode()}. */
    public static GroupStats decode(String s) {
        GroupStats g = new GroupStats();
        if (s == null || s.isEmpty()) return g;
        for (String part : s.split(";")) {
            String[] f = part.split(",");
            if (f.length != 7) throw new IllegalArgumentException("GroupStats.decode: malformed group '" + part + "'");
            Acc a = new Acc();
            a.train = Long.parseLong(f[3]);
            a.val = Long.parseLong(f[4]);
            a.sum = Double.parseDouble(f[5]);
            a.sumSq = Double.parseDouble(f[6]);
            g.groups.put(new Key(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2])), a);
        }
        return g;
    }

    /** A fixed-width table: group, rows, train, val, mean and std of log2 h. */
    public String table() {
        StringBuilder b = new StringBuilder(String.format("%4s %3s %3s %10s %10s %8s %10s %10s%n", "n", "k", "m", "rows", "train", "val",
                "mean log2", "std log2"));
        long total = 0;
        for (var e : groups.entrySet()) {
            Acc a = e.getValue();
            total += a.rows();
            b.append(String.format("%4d %3d %3d %10d %10d %8d %10.4f %10.4f%n", e.getKey().n, e.getKey().k, e.getKey().m, a.rows(),
                    a.train, a.val, a.mean(), Math.sqrt(a.variance())));
        }
        b.append(String.format("%12s %10d%n", "total", total));
        return b.toString();
    }
}
