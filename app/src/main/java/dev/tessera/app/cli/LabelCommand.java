package dev.tessera.app.cli;

import dev.tessera.tensor.io.AtomicFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tessera.lp.Labeler;
import dev.tessera.lp.MHeight;
import dev.tessera.lp.pickle.CoursePickles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera label}: exact m-heights of a course pickle or a JSON list. */
@Command(name = "label", mixinStandardHelpOptions = true,
        description = {"Compute the exact m-height of every row of a course pickle (<prefix>-n_k_m_P: a list of [n, k, m, P])",
                "or of a JSON array of {\"n\",\"k\",\"m\",\"P\"} objects, and write the same kind, in input order:",
                "a pickled list of floats, or a JSON array of numbers with \"inf\" for infinity."})
public final class LabelCommand implements Callable<Integer> {
    @Option(names = "--input", required = true, description = "Input file (pickle or JSON).")
    Path input;

    @Option(names = "--output", required = true, description = "Output file (same format as the input).")
    Path output;

    @Option(names = "--method", defaultValue = "vertex", description = "vertex (fast, LP-free) | lp (ojAlgo S-LP) (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        MHeight.Method m = switch (method.toLowerCase(Locale.ROOT)) {
            case "vertex" -> MHeight.Method.VERTEX;
            case "lp" -> MHeight.Method.LP;
            default -> throw new IllegalArgumentException("label: --method must be vertex or lp, got '" + method + "'");
        };
        boolean json = isJson(input);
        List<Labeler.Row> rows = json ? readJson(input) : readPickle(input);
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        AtomicLong done = new AtomicLong();
        long t0 = System.nanoTime();
        double[] h;
        try (Progress ignored = new Progress("label", "rows", rows.size(), done, System.err, Duration.ofSeconds(10))) {
            h = Labeler.label(rows, m, t, done);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (json) writeJson(output, h);
        else CoursePickles.writeFloats(output, h);
        long inf = java.util.Arrays.stream(h).filter(Double::isInfinite).count();
        System.out.printf("label: %d rows (%d infinite) by %s in %.2f s -> %s%n", h.length, inf, m.name().toLowerCase(Locale.ROOT), secs, output);
        return 0;
    }

    /** True when {@code f} starts (after whitespace or a BOM) with a JSON array or object. */
    static boolean isJson(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            int c;
            do {
                c = in.read();
            } while (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0xEF || c == 0xBB || c == 0xBF);
            return c == '[' || c == '{'; // a JSON array, or an object holding "cases"
        }
    }

    private static List<Labeler.Row> readPickle(Path f) throws IOException {
        List<Labeler.Row> rows = new ArrayList<>();
        for (var s : CoursePickles.readSamples(f)) rows.add(new Labeler.Row(s.n(), s.k(), s.m(), s.p()));
        return rows;
    }

    /** Reads a JSON array of {n, k, m, P} objects (or an object holding it under "cases"). */
    static List<Labeler.Row> readJson(Path f) throws IOException {
        JsonNode root = new ObjectMapper().readTree(f.toFile());
        if (root.has("cases")) root = root.get("cases");
        if (!root.isArray()) {
            throw new IllegalArgumentException("label: " + f + ": expected a JSON array of {n,k,m,P} objects (or an object with \"cases\")");
        }
        List<Labeler.Row> rows = new ArrayList<>();
        int i = 0;
        for (JsonNode c : root) {
            String where = "label: " + f.getFileName() + " item " + i++;
            for (String key : new String[] {"n", "k", "m", "P"}) {
                if (!c.has(key)) throw new IllegalArgumentException(where + ": missing \"" + key + "\"");
            }
            JsonNode pn = c.get("P");
            double[][] p = new double[pn.size()][];
            for (int a = 0; a < p.length; a++) {
                p[a] = new double[pn.get(a).size()];
                for (int b = 0; b < p[a].length; b++) {
                    JsonNode v = pn.get(a).get(b);
                    if (!v.isNumber()) throw new IllegalArgumentException(where + ": P[" + a + "][" + b + "] is not a number");
                    p[a][b] = v.asDouble();
                }
            }
            rows.add(new Labeler.Row(c.get("n").asInt(), c.get("k").asInt(), c.get("m").asInt(), p));
        }
        return rows;
    }

    private static void writeJson(Path f, double[] h) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ArrayNode arr = om.createArrayNode();
        for (double v : h) {
            if (Double.isInfinite(v)) arr.add("inf");
            else arr.add(v);
        }
        AtomicFiles.write(f, tmp -> om.writeValue(tmp.toFile(), arr));
    }
}
