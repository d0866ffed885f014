package dev.tessera.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.app.Main;
import dev.tessera.app.lm.LmCheckpoint;
import dev.tessera.nn.train.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LmCommandsTest {
    @TempDir
    Path dir;

    /** Runs the CLI and returns {exit code, stdout, stderr}. */
    private static Object[] run(String... args) {
        PrintStream out = System.out, err = System.err;
        var o = new ByteArrayOutputStream();
        var e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Object[] {code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private String[] train(Path run, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("train", "lm", "--corpus", "bundled", "--batch", "2", "--seq-len", "32",
                "--log-every", "1", "--sample-every", "0", "--checkpoint-every", "2", "--out", run.toString(), "--cache", dir.resolve("cache").toString(),
                "--device", "cpu"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test
    void trainResumeAndGenerateOnATinyCheckpoint() throws Exception {
        Path run = dir.resolve("run");
        Object[] r = run(train(run, "--steps", "3"));
        assertEquals(0, r[0], (String) r[2]);
        String log = Files.readString(run.resolve("train.log"));
        assertTrue(log.contains("corpus bundled"), log);
        assertTrue(log.contains("step 3/3 loss"), log);
        assertEquals(5, log.lines().filter(l -> l.contains("sample step 3:")).count(), "five fixed prompts sampled at the end");
        assertTrue(log.lines().allMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ .*")), "every log line is timestamped");
        assertEquals(List.of(2L, 3L), new Checkpoints(run, 0).list().stream().map(Checkpoints::stepOf).toList());
        String csv = Files.readString(run.resolve("metrics.csv"));
        for (String tag : new String[] {"train/loss", "train/lr", "train/grad_norm", "train/tokens_per_s", "moe/layer0/max_violation", "moe/layer1/load/7"}) {
            assertTrue(csv.contains("," + tag + ","), tag);
        }
        try (var tb = Files.list(run.resolve("tb"))) {
            assertTrue(tb.anyMatch(p -> p.getFileName().toString().startsWith("events.out.tfevents")));
        }

        // the same --out again without --resume is refused; with --resume latest it continues to the new --steps
        assertNotEquals(0, run(train(run, "--steps", "3"))[0]);
        r = run(train(run, "--steps", "4", "--resume", "latest"));
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).contains("resumed from"), (String) r[1]);
        assertEquals(4, Checkpoints.stepOf(Checkpoints.latest(run).orElseThrow()));

        r = run("generate", "--checkpoint", run.toString(), "--prompt", "The history of", "--max-tokens", "12", "--temperature", "0");
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).startsWith("The history of"), (String) r[1]);
        // past the 128 positions: a sliding window takes over
        r = run("generate", "--checkpoint", run.toString(), "--prompt", "A", "--max-tokens", "140", "--seed", "3");
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[2]).contains("sliding window"), (String) r[2]);

        r = run("generate", "--checkpoint", run.toString(), "--test-checkpoint", "--max-tokens", "8");
        assertEquals(0, r[0], (String) r[2]);
        assertEquals(5, ((String) r[1]).lines().filter(l -> l.matches("\\[[1-5]] .*\\|.*")).count(), (String) r[1]);
        assertNotEquals(0, run("generate", "--checkpoint", run.toString())[0], "needs --prompt or --test-checkpoint");
    }

    @Test
    void bytePairTokenizerIsSavedWithTheCheckpoint() throws Exception {
        Path run = dir.resolve("bpe");
        Object[] r = run(train(run, "--steps", "1", "--tokenizer", "bpe", "--vocab", "300"));
        assertEquals(0, r[0], (String) r[2]);
        var lm = LmCheckpoint.load(run);
        assertEquals(300, lm.tokenizer().vocabSize());
        assertEquals(300, lm.model().config().vocab());
        assertEquals("bpe", lm.checkpoint().map("tokenizer").get("kind"));
        r = run("generate", "--checkpoint", run.toString(), "--prompt", "The economy", "--max-tokens", "5");
        assertEquals(0, r[0], (String) r[2]);
    }

    @Test
    void reducedPrecisionOnTheCpuIsRefusedWithAClearMessage() {
        Object[] r = run(train(dir.resolve("x"), "--steps", "1", "--precision", "bf16"));
        assertNotEquals(0, r[0]);
        assertTrue(((String) r[2]).contains("bf16 mixed precision needs the CUDA backend"), (String) r[2]);
        assertNotEquals(0, run(train(dir.resolve("y"), "--steps", "1", "--precision", "fp8"))[0]);
        r = run(train(dir.resolve("z"), "--steps", "1", "--precision", "tf32"));
        assertNotEquals(0, r[0]);
        assertTrue(((String) r[2]).contains("tf32 needs the CUDA backend"), (String) r[2]);
        assertEquals(null, System.getProperty(TrainLmCommand.PRECISION_PROPERTY), "the CUDA backend setting is left alone");
    }
}
