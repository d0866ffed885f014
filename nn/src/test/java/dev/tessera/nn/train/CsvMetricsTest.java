package dev.tessera.nn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvMetricsTest {
    @TempDir
    Path dir;

    @Test
    void longFormatWritesOneRowPerScalarAndAppendsOnReopen() throws IOException {
        Path p = dir.resolve("sub/metrics.csv");
        try (var csv = CsvMetrics.longFormat(p)) {
            csv.scalar("train/loss", 1, 0.5);
            csv.scalar("lr", 1, 1e-4);
            csv.scalar("a,b", 2, -3);
        }
        try (var csv = CsvMetrics.longFormat(p)) {
            csv.scalar("train/loss", 3, 0.125);
        }
        assertEquals(List.of("step,tag,value", "1,train/loss,0.5", "1,lr,1.0E-4", "2,\"a,b\",-3.0", "3,train/loss,0.125"),
                Files.readAllLines(p));
    }

    @Test
    void wideFormatWritesOneRowPerStepWithEmptyCellsForMissingValues() throws IOException {
        Path p = dir.resolve("wide.csv");
        try (var csv = CsvMetrics.wideFormat(p, List.of("loss", "val_loss", "lr"))) {
            csv.scalar("loss", 10, 2.0);
            csv.scalar("lr", 10, 0.01);
            csv.scalar("loss", 20, 1.5);
            csv.scalar("val_loss", 20, 1.75);
            csv.flush();
            assertEquals(List.of("step,loss,val_loss,lr", "10,2.0,,0.01", "20,1.5,1.75,"), Files.readAllLines(p));
            csv.scalar("lr", 30, 0.001);
            assertThrows(IllegalArgumentException.class, () -> csv.scalar("unknown", 30, 1));
        }
        assertEquals(List.of("step,loss,val_loss,lr", "10,2.0,,0.01", "20,1.5,1.75,", "30,,,0.001"), Files.readAllLines(p));
        assertThrows(IllegalArgumentException.class, () -> CsvMetrics.wideFormat(p, List.of("loss")), "header mismatch");
    }

    @Test
    void valuesRoundTripExactly() throws IOException {
        Path p = dir.resolve("exact.csv");
        double v = 0.1 + 0.2;
        try (var csv = CsvMetrics.longFormat(p)) {
            csv.scalar("x", 0, v);
        }
        assertEquals(v, Double.parseDouble(Files.readAllLines(p).get(1).split(",")[2]));
    }

    @Test
    void multiSinkFansOut() throws IOException {
        Path a = dir.resolve("a.csv"), b = dir.resolve("b.csv");
        try (var m = new MultiSink(CsvMetrics.longFormat(a), CsvMetrics.longFormat(b))) {
            m.scalar("loss", 5, 0.25);
        }
        assertEquals(Files.readAllLines(a), Files.readAllLines(b));
        assertEquals("5,loss,0.25", Files.readAllLines(a).get(1));
    }
}
