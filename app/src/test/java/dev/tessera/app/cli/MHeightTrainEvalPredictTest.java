package dev.tessera.app.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.app.Main;
import dev.tessera.app.mheight.Evaluation;
import dev.tessera.app.mheight.MHeightModel;
import dev.tessera.app.mheight.Predictor;
import dev.tessera.app.mheight.Rows;
import dev.tessera.app.mheight.Trainer;
import dev.tessera.lp.data.DatasetInfo;
import dev.tessera.lp.pickle.CoursePickles;
import dev.tessera.tensor.Backends;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessera train mheight} on the course's pickles and on a generated shard dataset, then
 * {@code tessera eval} and {@code tessera predict} on its checkpoint, end to end through {@link Main}
 * on tiny data (a few optimizer steps of the default-preset model), plus the error messages for
 * missing or mismatched inputs.
 */
class MHeightTrainEvalPredictTest {
    @TempDir
    static Path dir;
    /** The course sample (401 rows, NumPy 1 module names) and the NumPy 2 sample (60 rows), as PREFIX-n_k_m_P / PREFIX-mHeights. */
    static String course, course2;
    static Path run;
    static Run trained;

    record Run(int code, String out, String err) {
    }

    /** Runs the command line capturing stdout and stderr. */
    static synchronized Run cli(String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    static String copyPair(String resourcePrefix, String name) throws Exception {
        for (String suffix : List.of("-n_k_m_P", "-mHeights")) {
            try (InputStream in = MHeightTrainEvalPredictTest.class.getResourceAsStream("/mheight/" + resourcePrefix + suffix)) {
                Files.copy(in, dir.resolve(name + suffix));
            }
        }
        return dir.resolve(name).toString();
    }

    @BeforeAll
    static void trainOnCoursePickles() throws Exception {
        course = copyPair("sample-n9", "course");
        course2 = copyPair("sample-n9-numpy2", "course2");
        run = dir.resolve("run");
        trained = cli("train", "mheight", "--train-pickle", course, "--steps", "4", "--batch", "16", "--eval-rows", "0", "--tta", "2",
                "--device", "auto", "--out", run.toString());
        assertEquals(0, trained.code(), trained.out() + trained.err());
    }

    @Test
    void trainOnCoursePicklesWritesCheckpointChartsAndMetrics() throws Exception {
        String out = trained.out();
        assertTrue(out.contains("data " + course + "-n_k_m_P: 401 rows"), out);
        if (!Backends.cudaAvailable()) assertTrue(out.contains("device cpu (auto; CUDA not used: "), out);
        for (String phase : List.of("phase main", "phase booster", "phase cooldown", "== validation")) assertTrue(out.contains(phase), out);
        String last = out.strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("done in ") && last.contains("checkpoint " + run) && last.contains("charts in " + run)
                && last.contains("loss.png") && last.contains("pred-vs-true-val.png") && last.contains("metrics.csv"), last);
        for (String png : List.of("loss.png", "pred-vs-true-val.png")) {
            byte[] head = Arrays.copyOf(Files.readAllBytes(run.resolve(png)), 4);
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head, png);
        }
        try (Stream<Path> s = Files.list(run)) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().startsWith("ckpt-")), "no checkpoint folder in " + run);
        }
        List<String> csv = Files.readAllLines(run.resolve("metrics.csv"));
        assertEquals("step,tag,value", csv.getFirst());
        for (String tag : List.of(",main/train_loss,", ",main/val_loss,", ",booster/train_loss,", ",cooldown/val_loss,", ",main/lr,")) {
            assertTrue(csv.stream().anyMatch(l -> l.contains(tag)), tag + " missing from metrics.csv");
        }
        // 4 main + 1 booster + 1 cooldown steps, numbered across phases
        assertTrue(csv.stream().anyMatch(l -> l.startsWith("5,cooldown/train_loss,")), String.join("\n", csv));
    }

    @Test
    void evalPrintsTheGroupTableOfTheCheckpoint() throws Exception {
        MHeightModel model = Trainer.load(run);
        Rows rows = Rows.fromSamples(CoursePickles.readSamples(Path.of(course2 + "-n_k_m_P")), CoursePickles.readFloats(Path.of(course2 + "-mHeights")));
        for (int tta : new int[] {1, 16}) {
            Run r = cli("eval", "--checkpoint", run.toString(), "--input", course2, "--tta", Integer.toString(tta));
            assertEquals(0, r.code(), r.out() + r.err());
            Matcher m = Pattern.compile("macro log2-MSE ([0-9.]+) \\(baseline ([0-9.]+)").matcher(r.out());
            assertTrue(m.find(), r.out());
            double expected = Evaluation.macroMse(rows, Predictor.predict(model, rows, tta, 1024));
            assertEquals(expected, Double.parseDouble(m.group(1)), 1e-4, r.out());
            assertEquals(Evaluation.macroMse(rows, constantPerGroup(rows)), Double.parseDouble(m.group(2)), 1e-4, r.out());
            long groupLines = r.out().lines().filter(l -> l.matches("\\s+9\\s+[456]\\s+[2-5]\\s+\\d+\\s.*")).count();
            assertEquals(9, groupLines, r.out());   // n = 9, k = 4..6, m = 2..n-k
        }
    }

    private static double[] constantPerGroup(Rows rows) {
        var means = Evaluation.groupMeans(rows);
        double[] p = new double[rows.size()];
        for (int i = 0; i < p.length; i++) p[i] = means.get(rows.group(i));
        return p;
    }

    @Test
    void predictWritesPickledHeightsAtLeastOneInInputOrderFromPickleOrJson() throws Exception {
        MHeightModel model = Trainer.load(run);
        var samples2 = CoursePickles.readSamples(Path.of(course2 + "-n_k_m_P"));
        Path out16 = dir.resolve("pred16.pkl");
        Run r = cli("predict", "--checkpoint", run.toString(), "--input", course2 + "-n_k_m_P", "--output", out16.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        double[] h16 = CoursePickles.readFloats(out16);
        double[] log2 = Predictor.predict(model, Rows.fromSamples(samples2, null), 16, 1024);
        assertEquals(samples2.size(), h16.length);
        for (int i = 0; i < h16.length; i++) {
            assertTrue(h16[i] >= 1.0, "row " + i + ": " + h16[i]);
            assertEquals(Math.max(1.0, Math.pow(2, log2[i])), h16[i], 1e-9 * h16[i], "row " + i);
        }

        // the 401 rows as the JSON array of `tessera label`, reversed: the heights come back reversed
        var samples = CoursePickles.readSamples(Path.of(course + "-n_k_m_P"));
        Path out1 = dir.resolve("pred1.pkl");
        assertEquals(0, cli("predict", "--checkpoint", run.toString(), "--input", course + "-n_k_m_P", "--output", out1.toString(), "--tta", "1").code());
        double[] h1 = CoursePickles.readFloats(out1);
        ObjectMapper om = new ObjectMapper();
        ArrayNode arr = om.createArrayNode();
        for (int i = samples.size() - 1; i >= 0; i--) {
            var s = samples.get(i);
            ObjectNode o = arr.addObject().put("n", s.n()).put("k", s.k()).put("m", s.m());
            ArrayNode p = o.putArray("P");
            for (double[] row : s.p()) {
                ArrayNode pr = p.addArray();
                for (double v : row) pr.add(v);
            }
        }
        Path json = dir.resolve("rows.json");
        om.writeValue(json.toFile(), arr);
        Path outJson = dir.resolve("pred-json.pkl");
        r = cli("predict", "--checkpoint", run.toString(), "--input", json.toString(), "--output", outJson.toString(), "--tta", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        double[] hj = CoursePickles.readFloats(outJson);
        assertEquals(h1.length, hj.length);
        for (int i = 0; i < h1.length; i++) assertEquals(h1[i], hj[h1.length - 1 - i], 1e-5 * h1[i], "row " + i);
    }

    @Test
    void trainOnAShardDatasetWrittenByGen() throws Exception {
        Path ds = dir.resolve("ds");
        assertEquals(0, cli("gen", "mheight", "--rows", "240", "--seed", "3", "--threads", "1", "--rows-per-shard", "120", "--out", ds.toString()).code());
        Run r = cli("train", "mheight", "--data", ds.toString(), "--steps", "2", "--batch", "8", "--eval-rows", "0", "--tta", "1", "--device", "cpu",
                "--out", dir.resolve("run-ds").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("data " + ds + ": 240 rows (intscale, seed 3)"), r.out());
        assertTrue(r.out().contains("device cpu"), r.out());
        assertTrue(Files.isRegularFile(dir.resolve("run-ds").resolve("loss.png")));

        // a shard listed in dataset_info.json but gone
        Path broken = dir.resolve("ds-broken");
        Files.createDirectories(broken);
        try (Stream<Path> s = Files.list(ds)) {
            for (Path f : s.toList()) Files.copy(f, broken.resolve(f.getFileName()));
        }
        String shard = DatasetInfo.read(broken).shards().get(1).file();
        Files.delete(broken.resolve(shard));
        r = cli("train", "mheight", "--data", broken.toString(), "--steps", "1", "--out", dir.resolve("run-x").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--data " + broken + ": shard " + shard + " listed in dataset_info.json is missing"), r.err());
    }

    @Test
    void badInputsFailWithOneLineNamingTheArgument() throws Exception {
        Path runX = dir.resolve("run-x");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path onlyInput = dir.resolve("only");
        Files.copy(Path.of(course + "-n_k_m_P"), Path.of(onlyInput + "-n_k_m_P"));
        Path short_ = dir.resolve("short");
        Files.copy(Path.of(course + "-n_k_m_P"), Path.of(short_ + "-n_k_m_P"));
        CoursePickles.writeFloats(Path.of(short_ + "-mHeights"), new double[] {2.0, 3.0});
        Path below = dir.resolve("below");
        Files.copy(Path.of(course2 + "-n_k_m_P"), Path.of(below + "-n_k_m_P"));
        double[] h = CoursePickles.readFloats(Path.of(course2 + "-mHeights"));
        h[7] = 0.5;
        CoursePickles.writeFloats(Path.of(below + "-mHeights"), h);

        String[][] cases = {
                {"--data " + dir.resolve("nope") + ": no such folder", "train", "mheight", "--data", dir.resolve("nope").toString(), "--out", runX.toString()},
                {"--data " + empty + ": dataset_info.json not found", "train", "mheight", "--data", empty.toString(), "--out", runX.toString()},
                {"--train-pickle " + onlyInput + ": missing " + onlyInput + "-mHeights", "train", "mheight", "--train-pickle", onlyInput.toString(),
                        "--out", runX.toString()},
                {"--train-pickle " + short_ + ": short-n_k_m_P has 401 rows but short-mHeights has 2 labels", "train", "mheight", "--train-pickle",
                        short_.toString(), "--out", runX.toString()},
                {"--train-pickle " + below + ": below-mHeights item 7 is 0.5, but an m-height is >= 1", "train", "mheight", "--train-pickle",
                        below.toString(), "--out", runX.toString()},
                {"--data and --train-pickle are alternative training sources", "train", "mheight", "--data", empty.toString(), "--train-pickle", course,
                        "--out", runX.toString()},
                {"--rows sets the size of generated data", "train", "mheight", "--train-pickle", course, "--rows", "10", "--out", runX.toString()},
                {"--device: expected auto, cpu, cuda or cuda:N, got 'gpu'", "train", "mheight", "--train-pickle", course, "--device", "gpu",
                        "--out", runX.toString()},
                {"--input " + onlyInput + ": missing " + onlyInput + "-mHeights", "eval", "--checkpoint", run.toString(), "--input", onlyInput.toString()},
                {"eval: short-n_k_m_P has 401 rows but short-mHeights has 2 labels", "eval", "--checkpoint", run.toString(), "--input", short_.toString()},
                {"--checkpoint " + empty + ": no checkpoint in this folder", "eval", "--checkpoint", empty.toString(), "--input", course},
                {"--input " + dir.resolve("nope.pkl") + ": no such file", "predict", "--checkpoint", run.toString(), "--input",
                        dir.resolve("nope.pkl").toString(), "--output", dir.resolve("x.pkl").toString()},
        };
        for (String[] c : cases) {
            Run r = cli(Arrays.copyOfRange(c, 1, c.length));
            assertEquals(2, r.code(), String.join(" ", c) + "\n" + r.out() + r.err());
            assertTrue(r.err().contains(c[0]), "expected '" + c[0] + "' in:\n" + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace:\n" + r.err());
        }
        assertTrue(Files.notExists(runX), "a failed run must not create its run folder");
    }

    @Test
    void cudaWithoutADriverFailsNamingWhatIsMissing() {
        Assumptions.assumeFalse(Backends.cudaAvailable(), "a usable CUDA device is present");
        for (String dev : List.of("cuda", "cuda:1")) {
            Run r = cli("train", "mheight", "--train-pickle", course, "--steps", "1", "--device", dev, "--out", dir.resolve("run-cuda").toString());
            assertEquals(2, r.code(), r.err());
            String expected = "--device " + dev + ": device " + (dev.equals("cuda") ? "cuda:0" : dev) + " is not usable: ";
            assertTrue(r.err().contains(expected), r.err());
            if (InfoCommand.findCudaDriver() == null) assertTrue(r.err().contains("libcuda.so.1"), "the missing driver library is named:\n" + r.err());
        }
    }
}
