package dev.tessera.app.sweep;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A grid of flag values, parsed from {@code --grid key=v1,v2,...} specifications; its points are the
 * cartesian product, the first axis varying slowest.
 *
 * <pre>{@code
 * SweepGrid g = SweepGrid.parse(List.of("lr=1e-3,3e-4", "attention=mha,gqa"));
 * g.points();   // [{lr=1e-3, attention=mha}, {lr=1e-3, attention=gqa}, {lr=3e-4, attention=mha}, {lr=3e-4, attention=gqa}]
 * }</pre>
 *
 * @param axes the axes in the order given
 */
public record SweepGrid(List<Axis> axes) {
    private static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9-]*");

    /**
     * One axis: a flag name (without dashes) and its values.
     *
     * @param key    the flag, e.g. {@code lr} for {@code --lr}
     * @param values its values, at least one, no repeats
     */
    public record Axis(String key, List<String> values) {
        /** Copies the values. */
        public Axis {
            values = List.copyOf(values);
        }
    }

    /** Copies the axes; they must have distinct keys. */
    public SweepGrid {
        axes = List.copyOf(axes);
        if (axes.isEmpty()) throw new IllegalArgumentException("--grid: give at least one axis, e.g. --grid lr=1e-3,3e-4");
        Set<String> keys = new HashSet<>();
        for (Axis a : axes) if (!keys.add(a.key())) throw new IllegalArgumentException("--grid: key '" + a.key() + "' is given twice");
    }

    /**
     * Parses specifications {@code key=v1,v2,...}; a key may carry its leading dashes ({@code --lr=...}).
     *
     * @throws IllegalArgumentException naming the bad specification
     */
    public static SweepGrid parse(List<String> specs) {
        List<Axis> axes = new ArrayList<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("--grid " + spec + ": expected key=value1,value2,... (e.g. lr=1e-3,3e-4)");
            String key = spec.substring(0, eq).trim().replaceFirst("^--?", "");
            if (!KEY.matcher(key).matches()) throw new IllegalArgumentException("--grid " + spec + ": '" + key + "' is not a flag name");
            List<String> values = new ArrayList<>();
            for (String v : spec.substring(eq + 1).split(",", -1)) {
                String t = v.trim();
                if (t.isEmpty()) throw new IllegalArgumentException("--grid " + spec + ": empty value");
                if (values.contains(t)) throw new IllegalArgumentException("--grid " + spec + ": value '" + t + "' is repeated");
                values.add(t);
            }
            axes.add(new Axis(key, values));
        }
        return new SweepGrid(axes);
    }

    /** The keys in axis order. */
    public List<String> keys() {
        return axes.stream().map(Axis::key).toList();
    }

    /** Number of points (the product of the axis sizes). */
    public int size() {
        long n = 1;
        for (Axis a : axes) n *= a.values().size();
        if (n > 10_000) throw new IllegalArgumentException("--grid: " + n + " points is more than the 10000 a sweep runs");
        return (int) n;
    }

    /** Every point as key -> value in axis order; the first axis varies slowest. */
    public List<Map<String, String>> points() {
        int n = size();
        List<Map<String, String>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Map<String, String> p = new LinkedHashMap<>();
            int rest = i;
            int[] idx = new int[axes.size()];
            for (int a = axes.size() - 1; a >= 0; a--) {
                int m = axes.get(a).values().size();
                idx[a] = rest % m;
                rest /= m;
            }
            for (int a = 0; a < axes.size(); a++) p.put(axes.get(a).key(), axes.get(a).values().get(idx[a]));
            out.add(p);
        }
        return out;
    }
}
