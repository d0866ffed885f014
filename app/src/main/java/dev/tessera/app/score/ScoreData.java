package dev.tessera.app.score;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.io.Npy;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The score recipe's input: training embeddings and scores, optional test embeddings with their
 * submission IDs, and (for synthetic data) the test truth.
 *
 * @param xTrain    float32 {@code [n, 2h]}
 * @param yTrain    {@code n} scores
 * @param xTest     float32 {@code [m, 2h]}, or null
 * @param testIds   {@code m} submission IDs (0, 1, ... unless given), or null
 * @param yTest     the test scores when known (synthetic data), else null
 * @param source    where the data came from, for the report
 */
public record ScoreData(Tensor xTrain, double[] yTrain, Tensor xTest, long[] testIds, double[] yTest, String source) {

    /**
     * Reads {@code .npy} files: {@code X_train [n, 2h]} and {@code X_test [m, 2h]} float32/float64,
     * {@code y_train [n]} or {@code [n, 1]} float or integer; optional {@code ids [m]} integer.
     */
    public static ScoreData load(Path xTrain, Path yTrain, Path xTest, Path ids) throws IOException {
        Tensor x = readEmbeddings(xTrain, "--x-train");
        double[] y = readScores(yTrain, "--y-train");
        if (y.length != x.dim(0)) {
            throw new IllegalArgumentException("--y-train: " + yTrain + " has " + y.length + " scores but --x-train " + xTrain + " has " + x.dim(0) + " rows");
        }
        Tensor xt = null;
        long[] id = null;
        if (xTest != null) {
            xt = readEmbeddings(xTest, "--x-test");
            if (xt.dim(1) != x.dim(1)) {
                throw new IllegalArgumentException("--x-test: " + xTest + " has " + xt.dim(1) + " columns but --x-train has " + x.dim(1));
            }
            id = readIds(ids, xt.dim(0), "--test-ids");
        } else if (ids != null) {
            throw new IllegalArgumentException("--test-ids needs --x-test");
        }
        return new ScoreData(x, y, xt, id, null, "npy " + xTrain.getFileName() + " / " + yTrain.getFileName()
                + (xTest == null ? "" : " / " + xTest.getFileName()));
    }

    /** A synthetic set ({@link SyntheticScores}): train rows from {@code seed}, test rows (with known truth) from {@code seed + 1}. */
    public static ScoreData synthetic(int trainRows, int testRows, int half, long seed) {
        SyntheticScores.Data tr = SyntheticScores.generate(trainRows, half, seed);
        SyntheticScores.Data te = SyntheticScores.generate(testRows, half, seed + 1);
        long[] ids = new long[testRows];
        for (int i = 0; i < testRows; i++) ids[i] = i;
        return new ScoreData(tr.x(), tr.y(), te.x(), ids, te.y(),
                "synthetic three-regime set (seed " + seed + ", " + trainRows + " train / " + testRows + " test rows, halves of " + half + ")");
    }

    /**
     * Submission IDs for {@code rows} rows: the integers of {@code ids} ({@code .npy}, one per row), or 0, 1, ... when
     * {@code ids} is null; {@code option} names the file in errors.
     */
    public static long[] readIds(Path ids, int rows, String option) throws IOException {
        long[] id = new long[rows];
        for (int i = 0; i < rows; i++) id[i] = i;
        if (ids != null) {
            Tensor t = Npy.read(ids);
            if (t.dtype() != DType.I32 || t.numel() != rows) {
                throw new IllegalArgumentException(option + ": " + ids + " must hold " + rows + " integers (one per test row), got "
                        + t.dtype() + Shape.str(t.shape()));
            }
            int[] v = t.toIntArray();
            for (int i = 0; i < rows; i++) id[i] = v[i];
        }
        return id;
    }

    /**
     * Reads paired embeddings {@code [rows >= 1, 2h]} (float32 or float64, finite) from an {@code .npy} file as float32;
     * {@code option} names the file in errors.
     */
    public static Tensor readEmbeddings(Path p, String option) throws IOException {
        Tensor t = Npy.read(p);
        if (t.rank() != 2 || t.dim(1) < 2 || t.dim(1) % 2 != 0) {
            throw new IllegalArgumentException(option + ": " + p + " must be [rows, 2h] (text half | metric half), got " + Shape.str(t.shape()));
        }
        if (!t.dtype().isFloating()) throw new IllegalArgumentException(option + ": " + p + " must be float32 or float64, got " + t.dtype());
        if (t.dim(0) == 0) throw new IllegalArgumentException(option + ": " + p + " has no rows");
        Tensor f = t.to(DType.F32);
        double bad = f.ne(f).or(f.abs().eq(Double.POSITIVE_INFINITY)).to(DType.F32).sum().item();
        if (bad > 0) throw new IllegalArgumentException(option + ": " + p + " holds " + (long) bad + " NaN or infinite values");
        return f;
    }

    /** Reads scores {@code [n]} or {@code [n, 1]} (any numeric dtype but bool, finite) from an {@code .npy} file; {@code option} names it in errors. */
    public static double[] readScores(Path p, String option) throws IOException {
        Tensor t = Npy.read(p);
        if (!(t.rank() == 1 || (t.rank() == 2 && t.dim(1) == 1))) {
            throw new IllegalArgumentException(option + ": " + p + " must be [n] or [n, 1], got " + Shape.str(t.shape()));
        }
        if (t.dtype() == DType.BOOL) throw new IllegalArgumentException(option + ": " + p + " holds booleans, expected scores");
        double[] y = t.to(DType.F64).toDoubleArray();
        for (int i = 0; i < y.length; i++) {
            if (!Double.isFinite(y[i])) throw new IllegalArgumentException(option + ": " + p + " score " + i + " is " + y[i]);
        }
        return y;
    }

    /** Training rows. */
    public int trainRows() {
        return yTrain.length;
    }

    /** Embedding half size {@code h}. */
    public int half() {
        return xTrain.dim(1) / 2;
    }
}
