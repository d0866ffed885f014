package dev.tessera.app.regression;

import static dev.tessera.app.regression.TrainingRuns.plan;
import static dev.tessera.app.regression.TrainingRuns.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.app.Main;
import dev.tessera.tensor.Backends;
import dev.tessera.tensor.Device;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train regression --device auto|cpu|cuda}: resolution, a CPU run, and a clear failure where CUDA cannot be used. */
class RegressionDeviceTest {
    private static final String[] SMALL = {"--type", "mlp", "--latent-dims", "16", "--seq-len", "4", "--train-size", "128", "--val-size", "32",
            "--batch", "32", "--epochs", "1"};

    @TempDir
    Path dir;

    private static String[] with(String... extra) {
        String[] a = new String[SMALL.length + extra.length];
        System.arraycopy(SMALL, 0, a, 0, SMALL.length);
        System.arraycopy(extra, 0, a, SMALL.length, extra.length);
        return a;
    }

    @Test
    void cpuByDefaultAndOnRequest() {
        assertEquals(Device.cpu(), plan(dir.resolve("a"), SMALL).device().device());
        assertEquals(Device.cpu(), plan(dir.resolve("b"), with("--device", "cpu")).device().device());
        Device auto = plan(dir.resolve("c"), with("--device", "auto")).device().device();
        assertEquals(Backends.cudaAvailable() ? Device.Kind.CUDA : Device.Kind.CPU, auto.kind());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        train(dir.resolve("run"), new PrintStream(log, true, StandardCharsets.UTF_8), with("--device", "cpu"));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains(", on cpu"), log.toString(StandardCharsets.UTF_8));
        var e = assertThrows(IllegalArgumentException.class, () -> plan(dir.resolve("d"), with("--device", "gpu")));
        assertEquals("--device: expected auto, cpu, cuda or cuda:N, got 'gpu'", e.getMessage());
    }

    @Test
    void cudaWithoutAUsableDeviceFailsInOneLine() {
        Assumptions.assumeFalse(Backends.cudaAvailable(), "a usable CUDA device is present");
        for (String dev : List.of("cuda", "cuda:1")) {
            Path out = dir.resolve("run-" + dev.replace(':', '-'));
            List<String> args = new java.util.ArrayList<>(List.of("train", "regression"));
            args.addAll(List.of(with("--device", dev, "--out", out.toString())));
            PrintStream o = System.out, err = System.err;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            int code;
            try {
                System.setOut(new PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
                code = Main.run(args.toArray(String[]::new));
            } finally {
                System.setOut(o);
                System.setErr(err);
            }
            String text = captured.toString(StandardCharsets.UTF_8);
            assertEquals(2, code, text);
            String expected = "--device " + dev + ": device " + (dev.equals("cuda") ? "cuda:0" : dev) + " is not usable: ";
            assertTrue(text.contains(expected), text);
            assertEquals(1, text.strip().lines().count(), "one line, no stack trace:\n" + text);
            assertTrue(Files.notExists(out), "a failed run must not create its run folder");
        }
    }
}
