package dev.tessera.app.mheight;

import dev.tessera.lp.data.DatasetInfo;
import dev.tessera.lp.data.MHeightDataset;
import dev.tessera.lp.pickle.CoursePickles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the training rows of the m-height recipe come from: a sharded dataset written by
 * {@code tessera gen mheight} ({@code --data DIR}) or the course's pickles ({@code --train-pickle PREFIX}:
 * {@code PREFIX-n_k_m_P} and {@code PREFIX-mHeights}). Either way the result is a training and a
 * validation set split by matrix (all m of one P on the same side), with every row checked against
 * what the model accepts, so a bad file fails here with a message naming the option and the file
 * rather than deep inside training.
 *
 * <pre>{@code
 * TrainingData d = TrainingData.fromPickles("data/course-train", 0.05, 636);
 * trainer.fit(d.train(), d.val());
 * }</pre>
 *
 * @param train       training rows
 * @param val         validation rows (held-out matrices; may be empty for tiny inputs)
 * @param description one line saying where the rows came from
 */
public record TrainingData(Rows train, Rows val, String description) {
    /** Suffix of the course's input pickle. */
    public static final String INPUT_SUFFIX = "-n_k_m_P";
    /** Suffix of the course's label pickle. */
    public static final String LABEL_SUFFIX = "-mHeights";

    /**
     * Loads a dataset folder written by {@code tessera gen mheight}. Its own validation split is used;
     * when it has none (generated with a validation fraction of 0), {@code valFraction} of the matrices
     * are held out by {@link Rows#splitByMatrix}.
     */
    public static TrainingData fromShards(Path dir, double valFraction, long seed) {
        String opt = "--data " + dir;
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(opt + ": no such folder");
        if (!Files.isRegularFile(dir.resolve(DatasetInfo.FILE))) {
            throw new IllegalArgumentException(opt + ": " + DatasetInfo.FILE + " not found; expected a dataset folder written by "
                    + "'tessera gen mheight' (an interrupted gen writes it only when it completes: re-run the same gen command)");
        }
        MHeightDataset ds;
        try {
            ds = MHeightDataset.open(dir);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(opt + ": cannot read " + DatasetInfo.FILE + ": " + e.getMessage(), e);
        }
        DatasetInfo info = ds.info();
        if (!DatasetInfo.FORMAT.equals(info.format())) {
            throw new IllegalArgumentException(opt + ": format '" + info.format() + "', expected '" + DatasetInfo.FORMAT + "'");
        }
        long listed = 0;
        for (DatasetInfo.ShardInfo s : info.shards()) {
            if (!Files.isRegularFile(dir.resolve(s.file()))) {
                throw new IllegalArgumentException(opt + ": shard " + s.file() + " listed in " + DatasetInfo.FILE + " is missing");
            }
            listed += s.rows();
        }
        if (listed != info.rows()) {
            throw new IllegalArgumentException(opt + ": " + DatasetInfo.FILE + " says " + info.rows() + " rows but its shards hold " + listed);
        }
        Rows train, val;
        try {
            train = Rows.load(dir, MHeightDataset.Split.TRAIN);
            val = Rows.load(dir, MHeightDataset.Split.VAL);
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException(opt + ": cannot read a shard: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(opt + ": " + e.getMessage(), e);
        }
        String how = "its own validation split";
        if (val.size() == 0) {
            Rows.Split s = train.splitByMatrix(valFraction, seed);
            train = s.train();
            val = s.val();
            how = String.format("%.0f %% of the matrices held out", 100 * valFraction);
        }
        int[] droppedTrain = new int[1], droppedVal = new int[1];
        train = checked(train, opt, droppedTrain);
        val = checked(val, opt, droppedVal);
        if (train.size() == 0) throw new IllegalArgumentException(opt + ": no training rows (" + info.rows() + " rows in all)");
        String desc = String.format("data %s: %d rows (%s, seed %d), %d train / %d val rows (%s)%s", dir, info.rows(), info.sampler(), info.seed(),
                train.size(), val.size(), how, dropped(droppedTrain[0] + droppedVal[0]));
        return new TrainingData(train, val, desc);
    }

    /**
     * Loads course pickles {@code prefix-n_k_m_P} (a list of {@code [n, k, m, P]}) and {@code prefix-mHeights}
     * (a list of floats, the m-heights), and holds out {@code valFraction} of the matrices for validation.
     * Rows with an infinite m-height are dropped (log2 of infinity cannot be regressed on) and counted.
     */
    public static TrainingData fromPickles(String prefix, double valFraction, long seed) {
        String opt = "--train-pickle " + prefix;
        Path in = Path.of(prefix + INPUT_SUFFIX), lab = Path.of(prefix + LABEL_SUFFIX);
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(in)) missing.add(in.toString());
        if (!Files.isRegularFile(lab)) missing.add(lab.toString());
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(opt + ": missing " + String.join(" and ", missing) + " (expected the pair PREFIX" + INPUT_SUFFIX
                    + " and PREFIX" + LABEL_SUFFIX + ")");
        }
        List<CoursePickles.Sample> samples;
        double[] h;
        try {
            samples = CoursePickles.readSamples(in);
            h = CoursePickles.readFloats(lab);
        } catch (IOException e) {
            throw new UncheckedIOException(opt + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(opt + ": " + e.getMessage(), e);
        }
        if (samples.size() != h.length) {
            throw new IllegalArgumentException(opt + ": " + in.getFileName() + " has " + samples.size() + " rows but " + lab.getFileName()
                    + " has " + h.length + " labels");
        }
        if (samples.isEmpty()) throw new IllegalArgumentException(opt + ": " + in.getFileName() + " holds no rows");
        for (int i = 0; i < h.length; i++) {
            if (Double.isNaN(h[i]) || h[i] < 1) {
                throw new IllegalArgumentException(opt + ": " + lab.getFileName() + " item " + i + " is " + h[i] + ", but an m-height is >= 1");
            }
        }
        int[] dropped = new int[1];
        Rows all = checked(Rows.fromSamples(samples, h), opt, dropped);
        Rows.Split s = all.splitByMatrix(valFraction, seed);
        if (s.train().size() == 0) throw new IllegalArgumentException(opt + ": no training rows left (" + samples.size() + " rows in all)");
        String desc = String.format("data %s%s: %d rows, %d train / %d val rows (%.0f %% of the matrices held out)%s", prefix, INPUT_SUFFIX,
                samples.size(), s.train().size(), s.val().size(), 100 * valFraction, dropped(dropped[0]));
        return new TrainingData(s.train(), s.val(), desc);
    }

    private static String dropped(int n) {
        return n == 0 ? "" : ", " + n + " rows with an infinite m-height dropped";
    }

    /** Rows the model accepts, with non-finite labels dropped (counted in {@code dropped[0]}); anything else unusable is an error. */
    private static Rows checked(Rows rows, String opt, int[] dropped) {
        List<Integer> keep = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String bad = Features.unsupported(rows.n()[i], rows.k()[i], rows.m()[i]);
            if (bad != null) throw new IllegalArgumentException(opt + ": row " + i + ": " + bad);
            double y = rows.log2h()[i];
            if (Double.isNaN(y)) throw new IllegalArgumentException(opt + ": row " + i + ": the label is NaN");
            if (Double.isInfinite(y)) dropped[0]++;
            else keep.add(i);
        }
        if (keep.size() == rows.size()) return rows;
        return rows.subset(keep.stream().mapToInt(Integer::intValue).toArray());
    }
}
