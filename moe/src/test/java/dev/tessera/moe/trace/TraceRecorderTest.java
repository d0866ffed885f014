package dev.tessera.moe.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Variable;
import dev.tessera.moe.Dispatch;
import dev.tessera.moe.DropPolicy;
import dev.tessera.moe.RouterKind;
import dev.tessera.moe.Routing;
import dev.tessera.moe.SparseMoE;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.layers.Linear;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceRecorderTest {

    /** Two sparse MoE layers with residuals around a linear mix: x -> h = x + moe1(x) -> lin(h) + moe2(lin(h)). */
    static final class TwoMoe extends Module {
        final SparseMoE first, second;
        final Linear mix;

        TwoMoe(int d, SparseMoE.Options o, DType dtype, long seed) {
            Rng rng = new Rng(seed);
            first = child("first", new SparseMoE(d, 2 * d, o, dtype, rng));
            mix = child("mix", new Linear(d, d, true, dtype, rng));
            second = child("second", new SparseMoE(d, 2 * d, o, dtype, rng));
        }

        Variable forward(Variable x) {
            Variable h = x.add(first.forward(x));
            Variable g = mix.forward(h);
            return g.add(second.forward(g));
        }
    }

    private static final SparseMoE.Options OPTS = new SparseMoE.Options(6, 2, 1.0, 0.01, 0.001, 0.0);

    private static Tensor input(long seed, int b, int t, int d, DType dtype) {
        return Tensor.randn(new Rng(seed), dtype, b, t, d);
    }

    @Test
    void recordingLeavesOutputsAndGradientsBitIdentical(@TempDir Path dir) {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            TwoMoe model = new TwoMoe(8, OPTS, dtype, 3);
            Tensor x = input(11, 2, 5, 8, dtype);
            double[][] plain = run(model, x);
            List<String> names;
            try (var rec = TraceRecorder.attach(model, dir.resolve(dtype.name()), TraceRecorder.Options.DEFAULT.withRowsPerShard(4))) {
                double[][] recorded = run(model, x);
                for (int i = 0; i < plain.length; i++) assertArrayEquals(plain[i], recorded[i], 0.0, "output/gradient " + i + " changed");
                names = rec.layerNames();
                assertEquals(10, rec.tokens(0));
                assertEquals(10, rec.tokens(1));
            }
            assertEquals(List.of("first", "second"), names);
            assertNull(model.first.routingListener());
            double[][] after = run(model, x);
            for (int i = 0; i < plain.length; i++) assertArrayEquals(plain[i], after[i], 0.0);
        }
    }

    /** Output then every parameter gradient of one forward/backward. */
    private static double[][] run(TwoMoe model, Tensor x) {
        model.zeroGrad();
        Variable y = model.forward(Variable.constant(x));
        y.square().sum().add(model.first.auxLoss()).add(model.second.auxLoss()).backward();
        List<double[]> out = new ArrayList<>();
        out.add(y.value().toDoubleArray());
        for (Parameter p : model.parameters()) out.add(p.grad().toDoubleArray());
        return out.toArray(double[][]::new);
    }

    @Test
    void shardsRoundTripTheRoutingAndRollOverWithBoundedMemory(@TempDir Path dir) throws IOException {
        var o = new SparseMoE.Options(5, 2, 0.6, 0.0, 0.0, 0.0, DropPolicy.POSITION, RouterKind.TOKEN_CHOICE);   // capacity drops some
        TwoMoe model = new TwoMoe(4, o, DType.F32, 7);
        int perShard = 7, forwards = 4, tokens = 3 * 3;   // 36 rows per layer: shards of 7, 7, 7, 7, 7, 1
        List<float[]> xs = new ArrayList<>();
        List<int[]> choices = new ArrayList<>();
        List<boolean[]> kepts = new ArrayList<>();
        List<float[]> gatesAll = new ArrayList<>();
        try (var rec = TraceRecorder.attach(model, dir, TraceRecorder.Options.DEFAULT.withRowsPerShard(perShard)
                .withNotes(Map.of("model", "TwoMoe")))) {
            for (int f = 0; f < forwards; f++) {
                Tensor x = input(100 + f, 3, 3, 4, DType.F32);
                model.forward(Variable.constant(x));
                for (int l = 0; l < 2; l++) assertTrue(rec.bufferedRows(l) < perShard, "buffer holds at most one shard");
                // reference for layer 0: its input is x itself
                float[] xf = x.toFloatArray();
                xs.add(xf);
                double[] probs = Variable.constant(x.reshape(-1, 4)).matmul(model.first.router().weight().var().mT()).softmax(-1).value()
                        .toDoubleArray();
                int[] c = Routing.topK(probs, tokens, 5, 2);
                choices.add(c);
                Dispatch plan = Dispatch.plan(c, tokens, 5, 2, Dispatch.capacity(0.6, 2, tokens, 5));
                boolean[] kept = new boolean[tokens * 2];
                for (int a : plan.keptChoice()) kept[a] = true;
                kepts.add(kept);
                float[] g = new float[tokens * 2];
                for (int t = 0; t < tokens; t++) {
                    double a = probs[t * 5 + c[2 * t]], b = probs[t * 5 + c[2 * t + 1]];
                    g[2 * t] = (float) (a / (a + b));
                    g[2 * t + 1] = (float) (b / (a + b));
                }
                gatesAll.add(g);
            }
            assertEquals(5, rec.shardsWritten(0));
            assertEquals(1, rec.bufferedRows(0));
        }
        try (Stream<Path> files = Files.walk(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
        TraceReader r = TraceReader.open(dir);
        assertEquals("TwoMoe", r.info().notes().get("model"));
        assertEquals(2, r.numLayers());
        TraceInfo.LayerInfo li = r.layer(0);
        assertEquals("first", li.name());
        assertEquals(4, li.dModel());
        assertEquals(5, li.experts());
        assertEquals(2, li.topK());
        assertEquals(36, li.tokens());
        assertEquals(List.of(7, 7, 7, 7, 7, 1), li.shards().stream().map(TraceInfo.ShardInfo::rows).toList());
        float[] x = new float[36 * 4], gates = new float[72];
        int[] experts = new int[72];
        boolean[] kept = new boolean[72];
        int row = 0;
        for (TraceShard s : r.shards(0)) {
            assertEquals(row, s.firstRow());
            System.arraycopy(s.x(), 0, x, row * 4, s.rows() * 4);
            System.arraycopy(s.experts(), 0, experts, row * 2, s.rows() * 2);
            System.arraycopy(s.gates(), 0, gates, row * 2, s.rows() * 2);
            System.arraycopy(s.kept(), 0, kept, row * 2, s.rows() * 2);
            row += s.rows();
        }
        assertEquals(36, row);
        for (int f = 0; f < forwards; f++) {
            assertArrayEquals(xs.get(f), java.util.Arrays.copyOfRange(x, f * 36, f * 36 + 36));
            assertArrayEquals(choices.get(f), java.util.Arrays.copyOfRange(experts, f * 18, f * 18 + 18));
            assertArrayEquals(kepts.get(f), java.util.Arrays.copyOfRange(kept, f * 18, f * 18 + 18));
            assertArrayEquals(gatesAll.get(f), java.util.Arrays.copyOfRange(gates, f * 18, f * 18 + 18), 1e-6f);
        }
        boolean anyDropped = false;
        for (boolean k : kept) anyDropped |= !k;
        assertTrue(anyDropped, "capacity factor 0.6 drops assignments");
        assertEquals(36, r.layer(1).tokens());
    }

    @Test
    void detachStopsRecordingAndTokenLimitHolds(@TempDir Path dir) {
        TwoMoe model = new TwoMoe(4, OPTS, DType.F32, 5);
        var rec = TraceRecorder.attach(model, dir, TraceRecorder.Options.DEFAULT.withRowsPerShard(16).withMaxTokensPerLayer(20));
        assertTrue(model.first.routingListener() != null);
        model.forward(Variable.constant(input(1, 2, 6, 4, DType.F32)));   // 12 tokens
        model.forward(Variable.constant(input(2, 2, 6, 4, DType.F32)));   // 8 more fit the limit of 20
        assertEquals(20, rec.tokens(0));
        model.forward(Variable.constant(input(3, 1, 6, 4, DType.F32)));
        assertEquals(20, rec.tokens(0));
        rec.detach();
        assertFalse(rec.isAttached());
        assertNull(model.first.routingListener());
        assertNull(model.second.routingListener());
        TraceInfo info = rec.finish();
        assertEquals(20, info.layer(0).tokens());
        assertEquals(List.of(16, 4), info.layer(0).shards().stream().map(TraceInfo.ShardInfo::rows).toList());
        assertEquals(20, TraceReader.open(dir).layer(1).tokens());
    }

    @Test
    void clearErrors(@TempDir Path dir) {
        var ec = new SparseMoE.Options(4, 2, 1.0, 0.0, 0.0, 0.0, DropPolicy.POSITION, RouterKind.EXPERT_CHOICE);
        var ex = assertThrows(IllegalArgumentException.class, () -> TraceRecorder.attach(new TwoMoe(4, ec, DType.F32, 1), dir.resolve("a"),
                TraceRecorder.Options.DEFAULT));
        assertTrue(ex.getMessage().contains("expert-choice"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> TraceRecorder.attach(new Linear(2, 2, new Rng(0)), dir.resolve("b"),
                TraceRecorder.Options.DEFAULT));
        assertTrue(ex.getMessage().contains("no SparseMoE"), ex.getMessage());
        TwoMoe model = new TwoMoe(4, OPTS, DType.F32, 1);
        TraceRecorder.attach(model, dir.resolve("c"), TraceRecorder.Options.DEFAULT).close();
        ex = assertThrows(IllegalArgumentException.class, () -> TraceRecorder.attach(model, dir.resolve("c"), TraceRecorder.Options.DEFAULT));
        assertTrue(ex.getMessage().contains("already holds a trace"), ex.getMessage());
        var rec = TraceRecorder.attach(model, dir.resolve("d"), TraceRecorder.Options.DEFAULT);
        ex = assertThrows(IllegalArgumentException.class, () -> TraceRecorder.attach(model, dir.resolve("e"), TraceRecorder.Options.DEFAULT));
        assertTrue(ex.getMessage().contains("already has a routing listener"), ex.getMessage());
        rec.close();
        assertThrows(IllegalArgumentException.class, () -> TraceRecorder.Options.DEFAULT.withRowsPerShard(0));
        ex = assertThrows(IllegalArgumentException.class, () -> TraceReader.open(dir.resolve("missing")));
        assertTrue(ex.getMessage().contains(TraceInfo.FILE), ex.getMessage());
    }
}
