package dev.tessera.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.optim.Ema;
import dev.tessera.nn.optim.GradClip;
import dev.tessera.nn.schedule.OneCycle;
import dev.tessera.nn.train.Checkpoint;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model, optimizer, EMA and dropout-generator state written through {@link Checkpoints}
 * (safetensors + JSON) and read back resume a run exactly: N steps, save, load into fresh
 * objects, N more steps equals 2N uninterrupted steps bit for bit.
 */
class CheckpointResumeTest {
    static final int N = 6;

    /** Everything a run owns. */
    record Run(Mlp model, AdamW opt, Ema ema, Rng data) {
        static Run fresh(long seed) {
            Rng rng = new Rng(seed);
            Mlp model = new Mlp(new int[] {6, 16, 1}, Activation.SILU, 0.2, rng);
            return new Run(model, new AdamW(model.parameters(), 1e-2, 0.05), new Ema(model, 0.9, true), rng.split(7));
        }

        float step(OneCycle schedule) {
            Tensor x = Tensor.randn(data, DType.F32, 32, 6);
            Tensor y = x.narrow(1, 0, 1).mul(x.narrow(1, 1, 1));
            opt.zeroGrad();
            Variable loss = Losses.mse(model.forward(Variable.constant(x)), y);
            loss.backward();
            GradClip.clipGradNorm(model.parameters(), 0.5);
            opt.step(schedule);
            ema.update();
            return (float) loss.value().item();
        }
    }

    @Test
    void resumeThroughCheckpointFilesIsExact(@TempDir Path dir) {
        OneCycle schedule = new OneCycle(1e-2, 2 * N);
        Run straight = Run.fresh(5);
        float[] expected = new float[2 * N];
        for (int i = 0; i < 2 * N; i++) expected[i] = straight.step(schedule);

        Run first = Run.fresh(5);
        float[] got = new float[2 * N];
        for (int i = 0; i < N; i++) got[i] = first.step(schedule);
        Map<String, Tensor> optAndEma = new java.util.LinkedHashMap<>(first.opt.stateDict());
        first.ema.stateDict().forEach((k, v) -> optAndEma.put("ema." + k, v));
        new Checkpoints(dir, 2).save(first.opt.stepCount(), first.model.stateDict(), optAndEma,
                Map.of("data_rng", first.data.state(), "dropout_rng", first.model.dropout().rng().state()));

        Checkpoint ck = Checkpoints.load(new Checkpoints(dir, 2).latest().orElseThrow());
        Run second = Run.fresh(99);   // different initial weights: everything must come from the checkpoint
        second.model.loadStateDict(ck.model());
        Map<String, Tensor> opt = new java.util.LinkedHashMap<>(), ema = new java.util.LinkedHashMap<>();
        ck.optimizer().forEach((k, v) -> (k.startsWith("ema.") ? ema : opt).put(k.startsWith("ema.") ? k.substring(4) : k, v));
        second.opt.loadStateDict(opt);
        second.ema.loadStateDict(ema);
        second.model.dropout().setRng(Rng.fromState(ck.longArray("dropout_rng")));
        Run resumed = new Run(second.model, second.opt, second.ema, Rng.fromState(ck.longArray("data_rng")));
        assertEquals(N, ck.step());
        for (int i = N; i < 2 * N; i++) got[i] = resumed.step(schedule);

        assertArrayEquals(expected, got);
        for (var e : straight.model.stateDict().entrySet()) {
            assertArrayEquals(e.getValue().toFloatArray(), resumed.model.stateDict().get(e.getKey()).toFloatArray(), e.getKey());
            assertArrayEquals(straight.ema.averaged(e.getKey()).toFloatArray(), resumed.ema.averaged(e.getKey()).toFloatArray());
        }
    }
}
