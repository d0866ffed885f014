package dev.tessera.app.regression;

import static dev.tessera.app.regression.TrainingRuns.plan;
import static dev.tessera.app.regression.TrainingRuns.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.moe.SparseMoE;
import dev.tessera.tensor.Rng;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --z-loss} and {@code --aux-free [--aux-free-rate]}: the flags reach every MoE layer, and the bias balancer runs and is reported. */
class MoeBalancingRegressionTest {
    private static final String[] SMALL = {"--moe", "--experts", "4", "--top-k", "2", "--seq-len", "8", "--d-model", "16", "--heads", "2", "--layers",
            "2", "--ffn-hidden", "32", "--train-size", "1024", "--val-size", "256", "--batch", "32", "--epochs", "3", "--lr", "0.005", "--log-every", "8"};

    @TempDir
    Path dir;

    private static String[] with(String... extra) {
        String[] a = new String[SMALL.length + extra.length];
        System.arraycopy(SMALL, 0, a, 0, SMALL.length);
        System.arraycopy(extra, 0, a, SMALL.length, extra.length);
        return a;
    }

    @Test
    void flagsReachEveryLayer() {
        var p = plan(dir.resolve("p"), with("--z-loss", "0.002", "--aux-free", "--aux-free-rate", "0.02"));
        assertEquals(0.002, p.model().moe().zLossCoef());
        assertEquals(0.02, p.model().moe().biasGamma());
        var layers = ModelBuilder.build(p.model(), new Rng(0)).moeLayers();
        assertEquals(2, layers.size());
        for (SparseMoE m : layers.values()) {
            assertEquals(0.002, m.options().zLossCoef());
            assertEquals(0.02, m.options().biasGamma());
            assertNotNull(m.balancer());
            assertEquals(0.02, m.balancer().gamma());
        }
        // --aux-free alone takes the default rate; without it there is no balancer and no z-loss
        assertEquals(1e-3, plan(dir.resolve("q"), with("--aux-free")).model().moe().biasGamma());
        var plain = ModelBuilder.build(plan(dir.resolve("r"), SMALL).model(), new Rng(0)).moeLayers().values();
        for (SparseMoE m : plain) {
            assertNull(m.balancer());
            assertEquals(0.0, m.options().zLossCoef());
        }
        // the configuration survives the checkpoint's map
        assertEquals(p.model(), ModelConfig.fromMap(p.model().toMap()));
    }

    @Test
    void badFlagsNameTheFlag() {
        assertMessage("--z-loss requires --moe", "--z-loss", "0.001");
        assertMessage("--aux-free requires --moe", "--aux-free");
        assertMessage("--aux-free-rate requires --aux-free", with("--aux-free-rate", "0.01"));
        assertMessage("--z-loss must be finite and >= 0, got -1.0", with("--z-loss", "-1"));
        assertMessage("--aux-free-rate must be finite and > 0, got 0.0", with("--aux-free", "--aux-free-rate", "0"));
    }

    private void assertMessage(String expected, String... args) {
        var e = assertThrows(IllegalArgumentException.class, () -> plan(dir.resolve("bad"), args));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void auxFreeRunMovesTheBiasAndReportsIt() throws Exception {
        Path out = dir.resolve("auxfree");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        var r = train(out, new PrintStream(log, true, StandardCharsets.UTF_8), with("--alpha", "0", "--z-loss", "0.001", "--aux-free",
                "--aux-free-rate", "0.01"));
        var base = train(dir.resolve("base"), with("--alpha", "0"));
        assertTrue(r.valLoss() < 0.5 * r.initialValLoss(), "val " + r.valLoss() + " from " + r.initialValLoss());
        // toward uniform load: without a balance loss the router collapses (last-epoch max violation 0.93, 19 % of the
        // choices dropped); the bias keeps it near uniform (0.15, 0.3 %)
        double v = r.metrics().get("moe/max_violation"), v0 = base.metrics().get("moe/max_violation");
        double d = r.metrics().get("moe/dropped_fraction"), d0 = base.metrics().get("moe/dropped_fraction");
        assertTrue(v < 0.5 * v0, "max violation with aux-free " + v + ", without " + v0);
        assertTrue(d < 0.25 * d0, "dropped with aux-free " + d + ", without " + d0);

        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        // with alpha 0 the logged auxiliary loss is the z-loss alone: positive
        double aux = csv.stream().filter(l -> l.contains(",train/aux_loss,")).mapToDouble(l -> Double.parseDouble(l.split(",")[2])).min().orElseThrow();
        assertTrue(aux > 0, "z-loss " + aux);
        for (String layer : List.of("encoder.layers.0.ffn", "encoder.layers.1.ffn")) {
            for (int e = 0; e < 4; e++) {
                String tag = ",moe/" + layer + "/bias/" + e + ",";
                assertEquals(96 / 8, csv.stream().filter(l -> l.contains(tag)).count(), tag);
            }
        }
        // the saved bias: moved (every step moves each over- or under-loaded expert by exactly the rate) and restored with the model
        TaskModel loaded = ModelBuilder.load(r.checkpoint());
        for (SparseMoE m : loaded.moeLayers().values()) {
            double[] b = m.balancer().bias();
            double norm = 0;
            for (double bi : b) {
                norm += Math.abs(bi);
                double steps = Math.abs(bi) / 0.01;
                assertEquals(Math.rint(steps), steps, 1e-6, "bias " + bi + " is not a whole number of rate steps");
            }
            assertTrue(norm > 0, "bias never moved");
        }
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("alpha 0.00, z-loss 0.00100, aux-free bias rate 0.0100)"), text);
        assertTrue(text.contains("aux-free bias"), text);
    }
}
