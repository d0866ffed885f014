package dev.tessera.app.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
    @TempDir Path dir;

    private static int distinctColours(BufferedImage img) {
        var seen = new java.util.HashSet<Integer>();
        for (int y = 0; y < img.getHeight(); y += 3) for (int x = 0; x < img.getWidth(); x += 3) seen.add(img.getRGB(x, y));
        return seen.size();
    }

    @Test
    void writesReadablePngsForEveryChartKind() throws Exception {
        Map<String, Plots.Series> curves = new LinkedHashMap<>();
        curves.put("train", Plots.Series.of(new double[] {4, 2, 1, 0.5, 0.25}));
        curves.put("val", Plots.Series.of(new double[] {5, 3, 2, 1.5, 1.4}));
        Path lines = dir.resolve("sub/loss.png");
        Plots.lines(lines, "Loss", "step", "loss", curves, true);
        Path scatter = dir.resolve("pred.png");
        Plots.scatter(scatter, "Predicted vs true", "true", "pred", new double[] {1, 2, 3}, new double[] {1.1, 1.8, 3.3}, true);
        Path hist = dir.resolve("hist.png");
        Plots.histogram(hist, "Gate weights", "weight", Map.of("expert 0", new double[] {0.1, 0.2, 0.2, 0.9}), 5);
        for (Path p : new Path[] {lines, scatter, hist}) {
            BufferedImage img = ImageIO.read(p.toFile());
            assertEquals(900, img.getWidth(), p.toString());
            assertEquals(600, img.getHeight(), p.toString());
            assertTrue(distinctColours(img) > 3, "chart " + p + " has content");
        }
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().contains(".tmp")), "no temporary file is left");
        }
    }

    @Test
    void rejectsMismatchedSeries() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Plots.Series(new double[2], new double[3]));
        assertTrue(e.getMessage().contains("2") && e.getMessage().contains("3"), e.getMessage());
    }
}
