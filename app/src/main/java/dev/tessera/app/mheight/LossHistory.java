package dev.tessera.app.mheight;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The loss curves of a training run, per phase ({@code main}, {@code booster}, {@code cooldown}) and
 * split ({@code train}: mean weighted batch loss since the previous point; {@code val}: macro log2-MSE
 * on the validation rows). Steps count across phases, so the curves of consecutive phases join up.
 */
public final class LossHistory {
    /** Training split name. */
    public static final String TRAIN = "train";
    /** Validation split name. */
    public static final String VAL = "val";

    /** One point of a curve. */
    public record Point(String phase, String split, long step, double loss) {
    }

    private final List<Point> points = new ArrayList<>();

    /** Appends a point. */
    public synchronized void add(String phase, String split, long step, double loss) {
        points.add(new Point(phase, split, step, loss));
    }

    /** Every point in the order added. */
    public synchronized List<Point> points() {
        return List.copyOf(points);
    }

    /** The phases in the order they first appear. */
    public synchronized Set<String> phases() {
        Set<String> out = new LinkedHashSet<>();
        for (Point p : points) out.add(p.phase());
        return out;
    }

    /** The points of one phase and split as {x = step, y = loss} arrays. */
    public synchronized double[][] curve(String phase, String split) {
        List<Point> sel = points.stream().filter(p -> p.phase().equals(phase) && p.split().equals(split)).toList();
        double[] x = new double[sel.size()], y = new double[sel.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = sel.get(i).step();
            y[i] = sel.get(i).loss();
        }
        return new double[][] {x, y};
    }
}
