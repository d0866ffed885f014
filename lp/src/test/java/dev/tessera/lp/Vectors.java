package dev.tessera.lp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The public m-height test vectors (validated by the Python reference with three methods). */
final class Vectors {
    record Case(String id, int n, int k, int m, double[][] p, double log2, int d, String dist) {
        boolean infinite() {
            return log2 == Double.POSITIVE_INFINITY;
        }

        double[] flat() {
            return CodeShape.flatten("test", n, k, p);
        }
    }

    private Vectors() {
    }

    static List<Case> load() {
        try (InputStream in = Vectors.class.getResourceAsStream("/mheight/vectors_public.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<Case> out = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                int n = c.get("n").asInt();
                int k = c.get("k").asInt();
                double[][] p = new double[k][n - k];
                for (int i = 0; i < k; i++) for (int t = 0; t < n - k; t++) p[i][t] = c.get("P").get(i).get(t).asDouble();
                JsonNode l = c.get("log2");
                double log2 = l.isTextual() ? Double.POSITIVE_INFINITY : l.asDouble();
                out.add(new Case(c.get("id").asText(), n, k, c.get("m").asInt(), p, log2, c.get("d").asInt(), c.get("dist").asText()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
