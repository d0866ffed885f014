package dev.tessera.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every program in {@code examples/} the way its header tells a user to: the JDK's source-file
 * launcher against the project's classes, in a child JVM with the flags the README documents. Each
 * run must exit 0 and print what the program promises (checked loosely: numbers that show the
 * program did its job, not exact values).
 */
class ExamplesTest {
    private static final Path DIR = Path.of(System.getProperty("user.dir"));
    private static final int MAX_LINES = 60;

    @TempDir
    Path tmp;

    /** Output of {@code java [flags] -cp <test classpath> examples/NAME.java args}; fails on a non-zero exit. */
    private static String run(String name, String... args) throws IOException, InterruptedException {
        Path file = DIR.resolve(name + ".java");
        assertTrue(Files.isRegularFile(file), "no example " + file);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g",
                "-cp", System.getProperty("java.class.path"), file.toString()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("tessera-example-" + name, ".log");
        try {
            Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            p.getOutputStream().close();   // no input
            boolean done = p.waitFor(5, TimeUnit.MINUTES);
            if (!done) p.destroyForcibly().waitFor();
            String text = Files.readString(log, StandardCharsets.UTF_8);
            if (!done) fail(name + " did not finish in 5 minutes:\n" + text);
            assertEquals(0, p.exitValue(), name + " exited with " + p.exitValue() + ":\n" + text);
            return text;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static List<Double> numbers(String text, String regex) {
        List<Double> r = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) r.add(Double.parseDouble(m.group(1)));
        assertTrue(!r.isEmpty(), "no match for /" + regex + "/ in:\n" + text);
        return r;
    }

    @Test
    void everyExampleIsShortAndSaysHowToRunIt() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        assertEquals(List.of("CustomModule", "Inference", "MoeLayer", "TensorBasics", "TrainMHeight"),
                files.stream().map(f -> f.getFileName().toString().replace(".java", "")).toList(),
                "examples changed: update this test, the README and the launcher's list");
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f);
            String name = f.getFileName().toString().replace(".java", "");
            assertTrue(lines.size() < MAX_LINES, name + " has " + lines.size() + " lines, the limit is " + MAX_LINES);
            assertTrue(lines.stream().limit(4).anyMatch(l -> l.contains("Run: ./tessera example " + name)),
                    name + ": the header must say how to run it (// Run: ./tessera example " + name + ")");
        }
    }

    @Test
    void tensorBasics() throws Exception {
        String out = run("TensorBasics");
        assertTrue(out.contains("gram = Tensor(F32[2,2], [14.0, 32.0, 32.0, 77.0])"), out);
        assertTrue(out.contains("safetensors round trip equal: true"), out);
    }

    @Test
    void customModuleLearnsTheToyRegression() throws Exception {
        String out = run("CustomModule");
        assertTrue(out.contains("[gate.weight, up.weight, down.weight, down.bias]"), out);
        double first = numbers(out, "train MSE ([0-9.]+) ->").getFirst();
        double last = numbers(out, "-> ([0-9.]+);").getFirst();
        double test = numbers(out, "test MSE ([0-9.]+)").getFirst();
        assertTrue(last < first / 5 && test < first / 5, "did not learn: " + out);
    }

    @Test
    void moeLayerTrainsAndBalances() throws Exception {
        String out = run("MoeLayer");
        List<Double> violation = numbers(out, "max violation ([0-9.]+)");
        List<Double> task = numbers(out, "task ([0-9.]+)");
        assertTrue(task.getLast() < task.getFirst() / 5, "task loss did not fall: " + out);
        assertTrue(violation.get(violation.size() - 2) < violation.getFirst(), "balance did not improve: " + out);
        assertTrue(numbers(out, "held-out MSE ([0-9.]+)").getFirst() < task.getFirst() / 5, out);
    }

    @Test
    void trainMHeightThenInferenceFromItsCheckpoint() throws Exception {
        Path ckpt = tmp.resolve("mheight");
        String out = run("TrainMHeight", ckpt.toString());
        double model = numbers(out, "log2-MSE: model ([0-9.]+), baseline").getFirst();
        double baseline = numbers(out, "log2-MSE: model [0-9.]+, baseline ([0-9.]+)").getFirst();
        assertTrue(model < baseline, "the model does not beat the per-group constant: " + out);
        try (Stream<Path> s = Files.list(ckpt)) {
            Path dir = s.filter(Files::isDirectory).findFirst().orElseThrow(() -> new AssertionError("no checkpoint in " + ckpt + ":\n" + out));
            assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(dir.resolve("meta.json")), dir.toString());
        }

        String inf = run("Inference", ckpt.toString());
        assertTrue(inf.contains("requires grad: false"), inf);
        List<Double> predicted = numbers(inf, "predicted h = +([0-9.]+)");
        assertEquals(8, predicted.size(), inf);
        for (double h : predicted) assertTrue(h >= 1 && Double.isFinite(h), "m-heights are >= 1: " + inf);
    }
}
