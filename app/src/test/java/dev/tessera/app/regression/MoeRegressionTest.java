package dev.tessera.app.regression;

import static dev.tessera.app.regression.TrainingRuns.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --moe}: the transformer trains with sparse MoE FFNs and reports their routing statistics to the sinks and the log. */
class MoeRegressionTest {
    @TempDir
    Path dir;

    @Test
    void moeTransformerTrainsAndReportsStats() throws Exception {
        Path out = dir.resolve("moe");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        var r = train(out, new PrintStream(log, true, StandardCharsets.UTF_8), "--moe", "--experts", "4", "--top-k", "2", "--capacity-factor", "1.25",
                "--alpha", "0.01", "--seq-len", "8", "--d-model", "16", "--heads", "2", "--layers", "2", "--ffn-hidden", "32", "--train-size", "1024",
                "--val-size", "256", "--batch", "32", "--epochs", "5", "--lr", "0.005", "--log-every", "8");
        assertTrue(r.steps() <= 160);
        assertTrue(r.initialValLoss() > 1.0, "untrained " + r.initialValLoss());
        assertTrue(r.valLoss() < 0.05, "val loss " + r.valLoss());   // reached 0.0049

        // statistics: the realized capacity factor of cf 1.25 with 4 experts, k 2 and 256 tokens is exactly 1.25
        assertEquals(1.25, r.metrics().get("moe/realized_capacity_factor"), 1e-9);
        double dropped = r.metrics().get("moe/dropped_fraction"), violation = r.metrics().get("moe/max_violation");
        assertTrue(dropped >= 0 && dropped < 0.25, "dropped " + dropped);
        assertTrue(violation >= 0 && violation < 1, "max violation " + violation);

        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        for (String layer : List.of("encoder.layers.0.ffn", "encoder.layers.1.ffn")) {
            String p = ",moe/" + layer + "/";
            assertEquals(160 / 8, csv.stream().filter(l -> l.contains(p + "max_violation,")).count(), layer);
            assertEquals(160 / 8, csv.stream().filter(l -> l.contains(p + "dropped_fraction,")).count(), layer);
            assertEquals(160 / 8, csv.stream().filter(l -> l.contains(p + "realized_capacity_factor,")).count(), layer);
            for (int e = 0; e < 4; e++) assertEquals(160 / 8, csv.stream().filter(l -> l.contains(p + "load/")).count() / 4, layer);
            // the loads of one step count k = 2 choices of each of the 32 x 8 tokens
            long step8 = csv.stream().filter(l -> l.startsWith("8,moe/" + layer + "/load/")).mapToLong(l -> (long) Double.parseDouble(l.split(",")[2]))
                    .sum();
            assertEquals(2 * 32 * 8, step8, layer);
            assertEquals(5, csv.stream().filter(l -> l.contains(",moe_epoch/" + layer + "/max_violation,")).count());
        }
        assertEquals(160 / 8, csv.stream().filter(l -> l.contains(",train/aux_loss,")).count());
        double aux = csv.stream().filter(l -> l.contains(",train/aux_loss,")).mapToDouble(l -> Double.parseDouble(l.split(",")[2])).max().orElseThrow();
        // two layers, each alpha * E * sum f_i P_i >= alpha (equality for a uniform router)
        assertTrue(aux >= 2 * 0.01 - 1e-6 && aux < 2 * 0.01 * 4, "aux loss " + aux);

        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("sparse MoE FFN (4 experts x 32, top-2, capacity factor 1.25, alpha 0.0100)"), text);
        assertTrue(text.contains("moe: max violation"), text);
        assertTrue(text.contains("encoder.layers.1.ffn"), text);
    }
}
