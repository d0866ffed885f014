package dev.tessera.nn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void plainLinesShowLossRateAndEtaEveryInterval() {
        var buf = new ByteArrayOutputStream();
        var out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        long[] now = {0};
        try (var p = new Progress("train", 100, 20, Progress.Mode.LINES, out, 1000, () -> now[0])) {
            now[0] = 500_000_000L;
            p.step(25, 0.5); // before the interval: no line
            now[0] = 2_000_000_000L;
            p.step(30, 0.25); // 10 steps in 2 s since the resume at 20: 5 steps/s, 70 left: 14 s
            now[0] = 2_500_000_000L;
            p.step(31, 0.2); // interval not over since the last line
            now[0] = 3_000_000_000L;
            p.step(100, 0.125); // the last step always prints
        }
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("train: step 30/100 (30.0%) loss 0.2500, 5.00 steps/s, elapsed 0:00:02, ETA 0:00:14", lines.get(0));
        assertTrue(lines.get(1).startsWith("train: step 100/100 (100.0%) loss 0.1250"), lines.get(1));
        assertTrue(lines.get(1).endsWith("ETA 0:00:00"), lines.get(1));
    }

    @Test
    void barShowsTaskStepsAndLoss() {
        var buf = new ByteArrayOutputStream();
        try (var p = new Progress("fit", 200, 0, Progress.Mode.BAR, new PrintStream(buf, true, StandardCharsets.UTF_8), 0,
                System::nanoTime)) {
            p.step(50, 0.5);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("fit") && out.contains("50/200") && out.contains("loss 0.5000"), out);
    }

    @Test
    void quietPrintsNothing() {
        var buf = new ByteArrayOutputStream();
        try (var p = new Progress("x", 10, 0, Progress.Mode.QUIET, new PrintStream(buf), 0, System::nanoTime)) {
            for (int i = 1; i <= 10; i++) p.step(i, i);
        }
        assertEquals(0, buf.size());
    }

    @Test
    void hms() {
        assertEquals("1:01:01", Progress.hms(3661));
        assertEquals("0:00:00", Progress.hms(0.4));
    }
}
