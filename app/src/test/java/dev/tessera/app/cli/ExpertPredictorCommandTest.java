package dev.tessera.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.app.Main;
import dev.tessera.moe.trace.TraceReader;
import dev.tessera.tensor.io.TensorFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpertPredictorCommandTest {
    @TempDir
    Path dir;

    @Test
    void selfContainedTinyRunThenTheSameTracesWithLookahead() throws Exception {
        Path out = dir.resolve("run");
        assertEquals(0, Main.run("train", "expert-predictor", "--lm-steps", "2", "--trace-tokens", "1024", "--experts", "8", "--epochs", "1",
                "--batch", "32", "--lr", "1e-3", "--evals-per-epoch", "2", "--out", out.toString()));
        for (String f : List.of("report.txt", "results.csv", "metrics.csv", "training-curve.png", "validation-accuracy.png",
                "predictors/layer00.safetensors", "predictors/layer01.safetensors", "traces/trace_info.json")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        var traces = TraceReader.open(out.resolve("traces"));
        assertEquals(2, traces.numLayers());
        assertEquals(1024, traces.layer(1).tokens());
        assertEquals(8, traces.layer(0).experts());
        String report = Files.readString(out.resolve("report.txt"));
        assertTrue(report.contains("overall (2 layers"), report);
        assertTrue(report.contains("coverage@10*") && report.contains("clipped to E = 8"), "N = 10, 15, 20 are clipped to E = 8:\n" + report);
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals("layer,name,source_layer,metric,size,effective_size,predictor,frequency,random,tokens", csv.get(0));
        assertEquals(1 + 3 * 5, csv.size());
        assertTrue(csv.get(1).startsWith("0,decoder.layers.0.ffn,0,top_acc,1,1,"), csv.get(1));
        assertTrue(csv.get(15).startsWith("overall,,,coverage,20,8,1.0,1.0,1.0,"), csv.get(15));
        Map<String, String> meta = TensorFiles.read(out.resolve("predictors/layer01.safetensors")).metadata();
        assertEquals("64", meta.get("input_dim"));
        assertEquals("256", meta.get("hidden"));
        assertEquals("8", meta.get("experts"));
        assertEquals("decoder.layers.1.ffn", meta.get("target_name"));

        // the recorded traces again, predicting layer 1 from layer 0's input
        Path out2 = dir.resolve("lookahead");
        assertEquals(0, Main.run("train", "expert-predictor", "--traces", out.resolve("traces").toString(), "--lookahead", "1", "--epochs", "1",
                "--batch", "32", "--out", out2.toString()));
        List<String> csv2 = Files.readAllLines(out2.resolve("results.csv"));
        assertTrue(csv2.get(1).startsWith("1,decoder.layers.1.ffn,0,top_acc,1,"), csv2.get(1));
        assertTrue(Files.notExists(out2.resolve("lm")), "no model is trained when traces are given");

        // bad arguments fail with a non-zero exit code
        assertNotEquals(0, Main.run("train", "expert-predictor", "--traces", out.resolve("traces").toString(), "--lookahead", "2",
                "--out", dir.resolve("bad1").toString()));
        assertNotEquals(0, Main.run("train", "expert-predictor", "--traces", out.resolve("traces").toString(), "--target", "bogus",
                "--out", dir.resolve("bad2").toString()));
        assertNotEquals(0, Main.run("train", "expert-predictor", "--traces", dir.resolve("missing").toString(), "--out",
                dir.resolve("bad3").toString()));
    }
}
