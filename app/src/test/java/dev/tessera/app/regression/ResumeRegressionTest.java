package dev.tessera.app.regression;

import static dev.tessera.app.regression.TrainingRuns.plan;
import static dev.tessera.app.regression.TrainingRuns.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.nn.train.Checkpoint;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume}: a run of 2 epochs resumed to 4 is bit for bit the run trained for 4 epochs straight (constant
 * schedule: the batch order depends only on seed and epoch, and model, MoE balancing biases, optimizer state and step
 * come from the checkpoint), with dropout too (the dropout generators' states come from the checkpoint).
 */
class ResumeRegressionTest {
    private static final String[] RUN = {"--moe", "--experts", "4", "--top-k", "2", "--aux-free", "--aux-free-rate", "0.01", "--seq-len", "8",
            "--d-model", "16", "--heads", "2", "--layers", "1", "--ffn-hidden", "32", "--train-size", "512", "--val-size", "128", "--batch", "32",
            "--lr", "0.005", "--schedule", "constant", "--log-every", "4"};

    @TempDir
    Path dir;

    private static String[] args(String... extra) {
        return concat(RUN, extra);
    }

    private static String[] concat(String[] base, String... extra) {
        String[] a = new String[base.length + extra.length];
        System.arraycopy(base, 0, a, 0, base.length);
        System.arraycopy(extra, 0, a, base.length, extra.length);
        return a;
    }

    @Test
    void resumedRunEqualsStraightRun() throws Exception {
        var straight = train(dir.resolve("straight"), args("--epochs", "4"));
        Path run = dir.resolve("resumed");
        var first = train(run, args("--epochs", "2"));
        assertEquals(32, first.steps());
        var resumed = train(run, args("--epochs", "4", "--resume", "latest"));

        assertEquals(64, resumed.steps());
        assertEquals(straight.valLoss(), resumed.valLoss(), 0.0);
        assertEquals(straight.trainLoss(), resumed.trainLoss(), 0.0);
        assertEquals(straight.bestValLoss(), resumed.bestValLoss(), 0.0);
        assertEquals(straight.initialValLoss(), resumed.initialValLoss(), 0.0);
        assertEquals(straight.metrics(), resumed.metrics());
        Checkpoint a = Checkpoints.load(straight.checkpoint()), b = Checkpoints.load(resumed.checkpoint());
        assertEquals(64, b.step());
        assertBitEqual(a.model(), b.model());
        assertBitEqual(a.optimizer(), b.optimizer());
        assertTrue(a.model().keySet().stream().anyMatch(k -> k.endsWith("balancer.bias")), "the balancer bias is part of the model state");
        // only the newest checkpoint is kept; the metrics were appended: 4 epoch rows and the untrained validation once
        assertEquals(List.of(resumed.checkpoint()), new Checkpoints(run, 1).list());
        List<String> csv = Files.readAllLines(run.resolve("metrics.csv"));
        assertEquals(4, csv.stream().filter(l -> l.contains(",epoch/train_loss,")).count());
        assertEquals(1, csv.stream().filter(l -> l.startsWith("0,val/loss,")).count());
        assertEquals(64 / 4, csv.stream().filter(l -> l.contains(",train/loss,")).count());
    }

    /** A dense transformer with attention, residual, FFN and head dropout (the head MLP draws from a generator of its own). */
    private static final String[] DROPOUT_RUN = {"--seq-len", "8", "--d-model", "16", "--heads", "2", "--layers", "1", "--ffn-hidden", "32",
            "--latent-dims", "8", "--dropout", "0.2", "--train-size", "256", "--val-size", "64", "--batch", "32", "--lr", "0.005", "--schedule",
            "constant", "--log-every", "4"};

    private static String[] dropoutArgs(String... extra) {
        return concat(DROPOUT_RUN, extra);
    }

    @Test
    void resumedRunWithDropoutEqualsStraightRun() throws Exception {
        var straight = train(dir.resolve("straight"), dropoutArgs("--epochs", "2"));
        Path run = dir.resolve("resumed"), old = dir.resolve("old");
        var first = train(run, dropoutArgs("--epochs", "1"));
        // the same first epoch as a checkpoint of an older version, which did not save the dropout generators
        copyTree(run, old);
        Path oldMeta = Checkpoints.latest(old).orElseThrow().resolve(Checkpoints.META_FILE);
        ObjectMapper json = new ObjectMapper();
        ObjectNode meta = (ObjectNode) json.readTree(oldMeta.toFile());
        ObjectNode extra = (ObjectNode) meta.get("extra");
        assertTrue(extra.has("dropoutRng"), "the checkpoint saves the dropout generators");
        assertEquals(2, extra.get("dropoutRng").size(), "one shared generator in the layers, one in the head MLP");
        extra.remove("dropoutRng");
        json.writeValue(oldMeta.toFile(), meta);

        var log = new ByteArrayOutputStream();
        var resumed = train(run, new PrintStream(log, true, StandardCharsets.UTF_8), dropoutArgs("--epochs", "2", "--resume", "latest"));
        assertEquals(16, resumed.steps());
        assertEquals(straight.valLoss(), resumed.valLoss(), 0.0);
        assertEquals(straight.trainLoss(), resumed.trainLoss(), 0.0);
        assertEquals(straight.bestValLoss(), resumed.bestValLoss(), 0.0);
        assertBitEqual(Checkpoints.load(straight.checkpoint()).model(), Checkpoints.load(resumed.checkpoint()).model());
        assertBitEqual(Checkpoints.load(straight.checkpoint()).optimizer(), Checkpoints.load(resumed.checkpoint()).optimizer());
        assertEquals(lossRows(dir.resolve("straight")), lossRows(run), "per-step training losses");
        assertFalse(log.toString(StandardCharsets.UTF_8).contains("warning"), log.toString(StandardCharsets.UTF_8));

        // the old checkpoint still resumes, warning once that the masks restart, and the run then differs from the straight one
        var oldLog = new ByteArrayOutputStream();
        var fromOld = train(old, new PrintStream(oldLog, true, StandardCharsets.UTF_8), dropoutArgs("--epochs", "2", "--resume", "latest"));
        List<String> warnings = oldLog.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("warning")).toList();
        assertEquals(1, warnings.size(), oldLog.toString(StandardCharsets.UTF_8));
        assertTrue(warnings.getFirst().contains(first.checkpoint().getFileName().toString()) && warnings.getFirst().contains("dropout masks restart"),
                warnings.getFirst());
        assertEquals(16, fromOld.steps());
        assertNotEquals(straight.trainLoss(), fromOld.trainLoss());
    }

    /** The {@code train/loss} rows of a run's metrics.csv. */
    private static List<String> lossRows(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.csv")).stream().filter(l -> l.contains(",train/loss,")).toList();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : paths.toList()) Files.copy(p, to.resolve(from.relativize(p).toString()));
        }
    }

    @Test
    void resumeChecksTheRun() {
        Path run = dir.resolve("r");
        var first = train(run, args("--epochs", "1"));
        // a fresh run into a used folder points at --resume
        var e = assertThrows(IllegalArgumentException.class, () -> train(run, args("--epochs", "2")));
        assertTrue(e.getMessage().contains("--resume latest"), e.getMessage());
        // other flags than --epochs must match
        e = assertThrows(IllegalArgumentException.class, () -> train(run, args("--epochs", "2", "--resume", "latest", "--dropout", "0.1")));
        assertTrue(e.getMessage().contains("model.dropout 0.0 vs 0.1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> train(run, args("--epochs", "2", "--resume", "latest", "--weight-decay", "0.01")));
        assertTrue(e.getMessage().contains("train.weightDecay 0.0 vs 0.01"), e.getMessage());
        // nothing left to train
        e = assertThrows(IllegalArgumentException.class, () -> train(run, args("--epochs", "1", "--resume", "latest")));
        assertEquals("--epochs 1: checkpoint " + first.checkpoint() + " has already trained 1 epochs; pass a larger --epochs to continue", e.getMessage());
        // no checkpoint there
        Path empty = dir.resolve("empty");
        e = assertThrows(IllegalArgumentException.class, () -> plan(empty, args("--resume", "latest")));
        assertEquals("--resume latest: no checkpoint in " + empty, e.getMessage());
        // a checkpoint folder names its run
        var p = plan(run, args("--epochs", "3", "--resume", first.checkpoint().toString()));
        assertEquals(first.checkpoint(), p.resumeFrom());
        assertEquals(run.toAbsolutePath(), p.out());
    }

    private static void assertBitEqual(Map<String, Tensor> a, Map<String, Tensor> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toDoubleArray(), b.get(k).toDoubleArray(), 0.0, k);
    }
}
