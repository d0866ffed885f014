package dev.tessera.app.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepTableTest {
    @TempDir
    Path dir;

    private static SweepTable table() {
        SweepTable t = new SweepTable(List.of("lr", "attention"));
        t.add(new SweepTable.Row(1, Map.of("lr", "1e-3", "attention", "mha"), 1234, 0.5, 0.25, 0.2, 12.34, "ok", "run-01"));
        t.add(new SweepTable.Row(2, Map.of("lr", "1e-3", "attention", "gqa"), 1000, Double.NaN, Double.NaN, Double.NaN, 1.0, "failed: diverged, nan",
                "run-02"));
        t.add(new SweepTable.Row(3, Map.of("lr", "3e-4", "attention", "mha"), 1234, 0.1, 0.125, 0.125, 10.0, "ok", "run-03"));
        return t;
    }

    @Test
    void rankedByValidationLossWithFailuresLast() {
        assertEquals(List.of(3, 1, 2), table().ranked().stream().map(SweepTable.Row::run).toList());
    }

    @Test
    void textTableIsAligned() {
        String expected = """
                rank  lr    attention  params  train loss  val loss  time (s)  status
                ----  ----  ---------  ------  ----------  --------  --------  ---------------------
                   1  3e-4  mha         1,234     0.10000   0.12500      10.0  ok
                   2  1e-3  mha         1,234     0.50000   0.25000      12.3  ok
                   3  1e-3  gqa         1,000           -         -       1.0  failed: diverged, nan
                """;
        assertEquals(expected, table().format());
    }

    @Test
    void csvIsWrittenAtomicallyWithFullPrecisionAndQuoting() throws Exception {
        Path csv = dir.resolve("sub/sweep.csv");
        table().writeCsv(csv);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("rank,run,lr,attention,params,train_loss,val_loss,best_val_loss,time_s,status,run_dir", lines.get(0));
        assertEquals("1,3,3e-4,mha,1234,0.1,0.125,0.125,10.000,ok,run-03", lines.get(1));
        assertEquals("2,1,1e-3,mha,1234,0.5,0.25,0.2,12.340,ok,run-01", lines.get(2));
        assertEquals("3,2,1e-3,gqa,1000,NaN,NaN,NaN,1.000,\"failed: diverged, nan\",run-02", lines.get(3));
        assertEquals(4, lines.size());
        try (var files = Files.list(csv.getParent())) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }
}
