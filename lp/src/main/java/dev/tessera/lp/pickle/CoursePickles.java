package dev.tessera.lp.pickle;

import dev.tessera.tensor.io.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Pickler;

/**
 * The course's pickle files (SPEC section 7): inputs {@code <prefix>-n_k_m_P} (a list of
 * {@code [n, k, m, P]}, P a float64 NumPy array of shape {@code (k, n-k)}, NumPy 1 or NumPy 2
 * module names) and labels {@code <prefix>-mHeights} (a list of floats).
 *
 * <pre>{@code
 * List<CoursePickles.Sample> xs = CoursePickles.readSamples(Path.of("HW-4-n_k_m_P"));
 * CoursePickles.writeFloats(Path.of("HW-4-mHeights"), heights);
 * }</pre>
 */
public final class CoursePickles {
    /**
     * One input row.
     *
     * @param n code length
     * @param k dimension
     * @param m m
     * @param p the {@code k x (n-k)} matrix
     */
    public record Sample(int n, int k, int m, double[][] p) {
    }

    private CoursePickles() {
    }

    /** Unpickles a file with the {@link RestrictedUnpickler}. */
    public static Object load(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            RestrictedUnpickler u = new RestrictedUnpickler();
            return u.load(in);
        } catch (PickleException | IllegalArgumentException e) {
            throw new IllegalArgumentException("pickle " + file.getFileName() + ": " + e.getMessage(), e);
        }
    }

    /** Reads a {@code -n_k_m_P} file. */
    public static List<Sample> readSamples(Path file) throws IOException {
        Object root = load(file);
        List<?> items = asList(root, "pickle " + file.getFileName() + ": top level");
        List<Sample> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            String where = "pickle " + file.getFileName() + ": item " + i;
            List<?> it = asList(items.get(i), where);
            if (it.size() != 4) throw new IllegalArgumentException(where + ": expected [n, k, m, P], got " + it.size() + " elements");
            int n = asInt(it.get(0), where + " n");
            int k = asInt(it.get(1), where + " k");
            int m = asInt(it.get(2), where + " m");
            double[][] p = asMatrix(RestrictedUnpickler.finish(it.get(3)), where + " P");
            if (k < 1 || n <= k || p.length != k || (k > 0 && p[0].length != n - k)) {
                throw new IllegalArgumentException(where + ": P has shape " + p.length + "x" + (p.length > 0 ? p[0].length : 0)
                        + ", expected (k, n-k) = (" + k + ", " + (n - k) + ")");
            }
            out.add(new Sample(n, k, m, p));
        }
        return out;
    }

    /** Reads a pickled list of floats (or ints, or NumPy float scalars). */
    public static double[] readFloats(Path file) throws IOException {
        Object root = RestrictedUnpickler.finish(load(file));
        if (root instanceof NdArray a && a.shape().length == 1) return a.values().clone();
        List<?> items = asList(root, "pickle " + file.getFileName() + ": top level");
        double[] out = new double[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Number num)) {
                throw new IllegalArgumentException("pickle " + file.getFileName() + ": item " + i + " is not a number: " + items.get(i));
            }
            out[i] = num.doubleValue();
        }
        return out;
    }

    /** Writes a pickled list of Python floats (through a temp file and a rename). */
    public static void writeFloats(Path file, double[] values) throws IOException {
        List<Double> list = new ArrayList<>(values.length);
        for (double v : values) list.add(v);
        AtomicFiles.write(file, tmp -> {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
                new Pickler(false).dump(list, out);
            }
        });
    }

    private static List<?> asList(Object o, String where) {
        if (o instanceof List<?> l) return l;
        if (o instanceof Object[] a) return Arrays.asList(a);
        throw new IllegalArgumentException(where + ": expected a list or tuple, got " + (o == null ? "None" : o.getClass().getSimpleName()));
    }

    private static int asInt(Object o, String where) {
        if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte) return Math.toIntExact(((Number) o).longValue());
        if (o instanceof java.math.BigInteger b) return b.intValueExact();
        throw new IllegalArgumentException(where + ": expected an int, got " + o);
    }

    private static double[][] asMatrix(Object o, String where) {
        if (o instanceof NdArray a) {
            if (a.shape().length != 2) throw new IllegalArgumentException(where + ": expected a 2-d array, got shape " + Arrays.toString(a.shape()));
            return a.toMatrix();
        }
        List<?> rows = asList(o, where);
        double[][] p = new double[rows.size()][];
        for (int i = 0; i < p.length; i++) {
            List<?> row = asList(rows.get(i), where + " row " + i);
            p[i] = new double[row.size()];
            for (int j = 0; j < p[i].length; j++) {
                if (!(row.get(j) instanceof Number num)) throw new IllegalArgumentException(where + ": entry is not a number: " + row.get(j));
                p[i][j] = num.doubleValue();
            }
        }
        return p;
    }
}
