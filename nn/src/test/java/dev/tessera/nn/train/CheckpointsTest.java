package dev.tessera.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.nn.data.LoaderState;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
    @TempDir
    Path dir;

    static Map<String, Tensor> model(float scale) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("layer.weight", Tensor.of(new float[] {1 * scale, -2 * scale, 3.5f * scale, Float.MIN_VALUE}, 2, 2));
        m.put("layer.bias", Tensor.of(new float[] {0.25f * scale, -0f}, 2));
        m.put("counts", Tensor.of(new int[] {7, -9, Integer.MAX_VALUE}, 3));
        m.put("scale", Tensor.scalar(DType.F64, Math.PI * scale));
        return m;
    }

    static void assertSameTensors(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()), "names in saved order");
        for (var e : expected.entrySet()) {
            Tensor a = actual.get(e.getKey());
            assertEquals(e.getValue().dtype(), a.dtype(), e.getKey());
            assertArrayEquals(e.getValue().shape(), a.shape(), e.getKey());
            double[] x = e.getValue().toDoubleArray(), y = a.toDoubleArray();
            for (int i = 0; i < x.length; i++)
                assertEquals(Double.doubleToRawLongBits(x[i]), Double.doubleToRawLongBits(y[i]), e.getKey() + "[" + i + "]");
        }
    }

    @Test
    void saveThenLoadRoundTripsTensorsAndExtra() throws IOException {
        var ckpts = new Checkpoints(dir.resolve("run"), 0);
        Rng rng = new Rng(0xDEADBEEFCAFEL);
        rng.nextInt();
        Map<String, Tensor> opt = Map.of("layer.weight.exp_avg", Tensor.full(DType.F32, 0.5, 2, 2));
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("rng", rng.state());
        extra.put("data", new LoaderState(3, 17).toMap());
        extra.put("lr", 3e-4);
        extra.put("config", Map.of("hidden", 64, "name", "mlp"));
        Path p = ckpts.save(500, model(1), opt, extra);
        assertEquals("ckpt-000000500", p.getFileName().toString());
        assertTrue(Files.isRegularFile(p.resolve(Checkpoints.MODEL_FILE)));
        assertTrue(Files.isRegularFile(p.resolve(Checkpoints.OPTIMIZER_FILE)));

        Checkpoint c = Checkpoints.load(p);
        assertEquals(500, c.step());
        assertSameTensors(model(1), c.model());
        assertSameTensors(opt, c.optimizer());
        // the RNG resumes its exact sequence, also for a seed beyond 2^53
        Rng back = Rng.fromState(c.longArray("rng"));
        assertEquals(rng.nextLong(), back.nextLong());
        assertEquals(new LoaderState(3, 17), LoaderState.fromMap(c.map("data")));
        assertEquals(3e-4, c.doubleValue("lr"));
        assertEquals(64L, c.map("config").get("hidden"));
        assertThrows(IllegalArgumentException.class, () -> c.get("missing"));

        // the sidecar is plain JSON with the documented fields
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = new ObjectMapper().readValue(p.resolve(Checkpoints.META_FILE).toFile(), Map.class);
        assertEquals(Checkpoints.FORMAT, meta.get("format"));
        assertEquals(500, ((Number) meta.get("step")).intValue());
        assertEquals(List.of("layer.weight", "layer.bias", "counts", "scale"), meta.get("model"));
        assertEquals(List.of("layer.weight.exp_avg"), meta.get("optimizer"));
    }

    @Test
    void keepLastPrunesTheOldestAndLatestFindsTheNewest() {
        Path run = dir.resolve("run");
        assertTrue(Checkpoints.latest(run).isEmpty(), "no directory yet");
        var ckpts = new Checkpoints(run, 2);
        for (long step : new long[] {100, 200, 1000, 300}) ckpts.save(step, model(step), Map.of(), Map.of("step", step));
        // 1000 sorts after 300 numerically (not as the file names' text would if unpadded)
        assertEquals(List.of(run.resolve("ckpt-000000300"), run.resolve("ckpt-000001000")), ckpts.list());
        assertEquals(run.resolve("ckpt-000001000"), ckpts.latest().orElseThrow());
        Checkpoint latest = ckpts.loadLatest().orElseThrow();
        assertEquals(1000, latest.step());
        assertSameTensors(model(1000), latest.model());
        assertEquals(1000L, latest.longValue("step"));
        assertEquals(2, entries(run).size(), "pruned checkpoints leave nothing behind: " + entries(run));
    }

    @Test
    void savingAnExistingStepReplacesIt() {
        var ckpts = new Checkpoints(dir, 0);
        ckpts.save(7, model(1), Map.of(), Map.of());
        ckpts.save(7, model(2), Map.of(), Map.of());
        assertEquals(1, ckpts.list().size());
        assertSameTensors(model(2), ckpts.loadLatest().orElseThrow().model());
        assertEquals(1, entries(dir).size(), entries(dir).toString());
    }

    /** An extra value Jackson cannot serialize: the failure comes after both tensor files are written. */
    static final class Unserializable {
        @SuppressWarnings("unused")
        public Object getValue() {
            throw new IllegalStateException("simulated failure while writing meta.json");
        }
    }

    @Test
    void aFailureMidWriteLeavesNoPartialCheckpointAndKeepsEarlierOnes() {
        var ckpts = new Checkpoints(dir, 2);
        ckpts.save(10, model(1), Map.of(), Map.of());
        ckpts.save(20, model(2), Map.of(), Map.of());
        var ex = assertThrows(UncheckedIOException.class,
                () -> ckpts.save(30, model(3), Map.of("m", Tensor.ones(DType.F32, 4)), Map.of("bad", new Unserializable())));
        assertTrue(ex.getMessage().contains("step 30"), ex.getMessage());
        assertEquals(List.of(dir.resolve("ckpt-000000010"), dir.resolve("ckpt-000000020")), ckpts.list(),
                "the failed save must not prune either");
        assertEquals(2, entries(dir).size(), "no temporary directory left: " + entries(dir));
        assertSameTensors(model(1), Checkpoints.load(dir.resolve("ckpt-000000010")).model());
        assertSameTensors(model(2), ckpts.loadLatest().orElseThrow().model());
    }

    @Test
    void aCrashedWriterLeftoverIsInvisibleAndRemovedByTheNextSave() throws IOException {
        var ckpts = new Checkpoints(dir, 0);
        ckpts.save(10, model(1), Map.of(), Map.of());
        // what a killed process leaves: a hidden temp directory with some files, and a directory
        // with a checkpoint name but no sidecar
        Path tmp = Files.createDirectories(dir.resolve(".tmp-ckpt-20-123"));
        Files.write(tmp.resolve(Checkpoints.MODEL_FILE), new byte[] {1, 2, 3});
        Path noMeta = Files.createDirectories(dir.resolve("ckpt-000000030"));
        Files.write(noMeta.resolve(Checkpoints.MODEL_FILE), new byte[] {1, 2, 3});
        assertEquals(dir.resolve("ckpt-000000010"), ckpts.latest().orElseThrow());
        assertEquals(1, ckpts.list().size());
        ckpts.save(11, model(1), Map.of(), Map.of());
        assertFalse(Files.exists(tmp));
        assertEquals(11, ckpts.loadLatest().orElseThrow().step());
    }

    @Test
    void loadRejectsAForeignSidecar() throws IOException {
        Path p = Files.createDirectories(dir.resolve("ckpt-000000001"));
        Files.writeString(p.resolve(Checkpoints.META_FILE), "{\"format\": \"other\", \"version\": 1, \"step\": 1}");
        var ex = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(p));
        assertTrue(ex.getMessage().contains("format 'other'"), ex.getMessage());
    }

    static List<Path> entries(Path d) {
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
