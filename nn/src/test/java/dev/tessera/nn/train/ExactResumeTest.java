package dev.tessera.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.data.Batch;
import dev.tessera.nn.data.DataLoader;
import dev.tessera.nn.data.LoaderState;
import dev.tessera.nn.data.TensorDataset;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact resume: N steps, checkpoint (model, optimizer moments and step, schedule position, dropout
 * RNG, data loader position, early stopping), load into fresh objects, N more steps; must equal 2N
 * uninterrupted steps bit for bit.
 *
 * <p>The model is a small MLP with dropout built from autograd Variables and trained by a
 * hand-written AdamW with a warmup-cosine schedule, so the test depends on nothing but the tensor,
 * autograd and this package's utilities.
 */
class ExactResumeTest {
    static final int N = 11;           // 7 batches per epoch: the checkpoint falls mid-epoch 1
    static final int SAMPLES = 64, IN = 5, HIDDEN = 12, BATCH = 10;

    @TempDir
    Path dir;

    /** Everything a training run holds. */
    static final class Run implements AutoCloseable {
        final Map<String, Variable> params = new LinkedHashMap<>();
        final Map<String, Tensor> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        long step;                      // optimizer steps done (= schedule position)
        Rng dropoutRng;
        final DataLoader<Batch> loader;
        final EarlyStopping early = new EarlyStopping(EarlyStopping.Mode.MIN, 100, 0);
        final List<Float> losses = new ArrayList<>();

        Run(long initSeed) {
            Rng init = new Rng(initSeed);
            params.put("fc1.weight", Variable.leaf(Tensor.normal(init, DType.F32, 0, 0.5, IN, HIDDEN)));
            params.put("fc1.bias", Variable.leaf(Tensor.normal(init, DType.F32, 0, 0.1, HIDDEN)));
            params.put("fc2.weight", Variable.leaf(Tensor.normal(init, DType.F32, 0, 0.5, HIDDEN, 1)));
            params.put("fc2.bias", Variable.leaf(Tensor.zeros(DType.F32, 1)));
            for (var e : params.entrySet()) {
                m.put(e.getKey(), e.getValue().value().zerosLike());
                v.put(e.getKey(), e.getValue().value().zerosLike());
            }
            dropoutRng = new Rng(initSeed * 31 + 7);
            Rng data = new Rng(2024);
            Tensor x = Tensor.normal(data, DType.F32, 0, 1, SAMPLES, IN);
            Tensor y = x.matmul(Tensor.normal(data, DType.F32, 0, 1, IN, 1)).sin();
            loader = DataLoader.builder(new TensorDataset(x, y)).batchSize(BATCH).seed(99).prefetch(2).build();
        }

        static double lr(long step) {
            double peak = 1e-2, warmup = 4, total = 2 * N;
            if (step < warmup) return peak * (step + 1) / warmup;
            return peak * 0.5 * (1 + Math.cos(Math.PI * (step - warmup) / (total - warmup)));
        }

        void trainStep() {
            Batch b = loader.next();
            Variable x = Variable.constant(b.get(0)), y = Variable.constant(b.get(1));
            Variable h = x.matmul(params.get("fc1.weight")).add(params.get("fc1.bias")).tanh().dropout(0.2, dropoutRng);
            Variable out = h.matmul(params.get("fc2.weight")).add(params.get("fc2.bias"));
            Variable loss = out.sub(y).square().mean();
            for (Variable p : params.values()) p.zeroGrad();
            loss.backward();
            losses.add((float) loss.value().item());
            step++;
            double lr = lr(step - 1), b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;
            double c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
            for (var e : params.entrySet()) {
                Variable p = e.getValue();
                Tensor g = p.grad();
                Tensor mt = m.get(e.getKey()).scaleInPlace(b1).addInPlace(g, 1 - b1);
                Tensor vt = v.get(e.getKey()).scaleInPlace(b2).addInPlace(g.square(), 1 - b2);
                Tensor update = mt.div(c1).div(vt.div(c2).sqrt().add(eps)).mul(lr);
                p.setValue(p.value().mul(1 - lr * wd).sub(update));
            }
            early.update(step, loss.value().item());
        }

        void save(Checkpoints ckpts) {
            Map<String, Tensor> model = new LinkedHashMap<>();
            params.forEach((k, p) -> model.put(k, p.value()));
            Map<String, Tensor> opt = new LinkedHashMap<>();
            m.forEach((k, t) -> opt.put(k + ".exp_avg", t));
            v.forEach((k, t) -> opt.put(k + ".exp_avg_sq", t));
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("optimizer_step", step);
            extra.put("schedule", Map.of("step", step));
            extra.put("rng", Map.of("dropout", dropoutRng.state()));
            extra.put("data", loader.state().toMap());
            extra.put("early_stopping", early.state());
            ckpts.save(step, model, opt, extra);
        }

        void load(Checkpoint c) {
            params.forEach((k, p) -> p.setValue(c.model().get(k)));
            m.replaceAll((k, t) -> c.optimizer().get(k + ".exp_avg"));
            v.replaceAll((k, t) -> c.optimizer().get(k + ".exp_avg_sq"));
            step = c.longValue("optimizer_step");
            assertEquals(step, Checkpoint.asLong("schedule.step", c.map("schedule").get("step")));
            dropoutRng = Rng.fromState(Checkpoint.asLongArray("rng.dropout", c.map("rng").get("dropout")));
            loader.resume(LoaderState.fromMap(c.map("data")));
            early.restore(c.map("early_stopping"));
        }

        Map<String, int[]> bits() {
            Map<String, int[]> out = new LinkedHashMap<>();
            params.forEach((k, p) -> out.put(k, floatBits(p.value())));
            m.forEach((k, t) -> out.put(k + ".m", floatBits(t)));
            v.forEach((k, t) -> out.put(k + ".v", floatBits(t)));
            return out;
        }

        @Override
        public void close() {
            loader.close();
        }
    }

    static int[] floatBits(Tensor t) {
        float[] f = t.toFloatArray();
        int[] bits = new int[f.length];
        for (int i = 0; i < f.length; i++) bits[i] = Float.floatToRawIntBits(f[i]);
        return bits;
    }

    @Test
    void nStepsSaveLoadNStepsEqualsTwoNStepsBitForBit() {
        Map<String, int[]> reference;
        List<Float> referenceLosses;
        try (Run straight = new Run(1)) {
            for (int i = 0; i < 2 * N; i++) straight.trainStep();
            reference = straight.bits();
            referenceLosses = straight.losses;
        }

        var ckpts = new Checkpoints(dir, 2);
        try (Run first = new Run(1)) {
            for (int i = 0; i < N; i++) first.trainStep();
            first.save(ckpts);
            // a step after the checkpoint that the resumed run must not see
            first.trainStep();
        }
        Map<String, int[]> resumedBits;
        List<Float> resumedLosses;
        try (Run resumed = new Run(12345)) { // different init: everything must come from the checkpoint
            resumed.load(ckpts.loadLatest().orElseThrow());
            assertEquals(N, resumed.step);
            for (int i = 0; i < N; i++) resumed.trainStep();
            resumedBits = resumed.bits();
            resumedLosses = resumed.losses;
            assertEquals(new LoaderState(3, 1), resumed.loader.state());
            assertEquals(2 * N, resumed.step);
        }

        assertEquals(referenceLosses.subList(N, 2 * N), resumedLosses, "losses of steps N+1..2N");
        assertEquals(reference.keySet(), resumedBits.keySet());
        for (String k : reference.keySet()) assertArrayEquals(reference.get(k), resumedBits.get(k), k);
        assertFalse(referenceLosses.get(0).equals(referenceLosses.get(2 * N - 1)), "training should change the loss");
    }

    @Test
    void resumingWithoutTheRngStateWouldDiverge() {
        // Guards the test above against passing vacuously: dropping one piece of state changes the result.
        Map<String, int[]> reference;
        try (Run straight = new Run(1)) {
            for (int i = 0; i < 2 * N; i++) straight.trainStep();
            reference = straight.bits();
        }
        var ckpts = new Checkpoints(dir, 1);
        try (Run first = new Run(1)) {
            for (int i = 0; i < N; i++) first.trainStep();
            first.save(ckpts);
        }
        try (Run resumed = new Run(1)) {
            resumed.load(ckpts.loadLatest().orElseThrow());
            resumed.dropoutRng = new Rng(1 * 31 + 7); // the RNG from the start instead of the saved one
            for (int i = 0; i < N; i++) resumed.trainStep();
            assertFalse(java.util.Arrays.equals(reference.get("fc1.weight"), resumed.bits().get("fc1.weight")));
        }
    }
}
