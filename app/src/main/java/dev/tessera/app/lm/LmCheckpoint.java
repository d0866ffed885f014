package dev.tessera.app.lm;

import dev.tessera.nn.train.Checkpoint;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Reads language-model checkpoints written by {@link LmTrainer}: model, tokenizer and settings. */
public final class LmCheckpoint {
    private LmCheckpoint() {}

    /**
     * A loaded checkpoint.
     *
     * @param model      the model, in eval mode
     * @param tokenizer  its tokenizer
     * @param options    the training options it was trained with
     * @param checkpoint the raw checkpoint (step, optimizer state, sidecar)
     */
    public record Loaded(LmModel model, Tokenizer tokenizer, LmTrainOptions options, Checkpoint checkpoint) {}

    /** {@code dir} itself when it is a checkpoint, else the newest checkpoint in it. */
    public static Path resolve(Path dir) {
        if (Files.isRegularFile(dir.resolve(Checkpoints.META_FILE))) return dir;
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--checkpoint: " + dir + " is not a directory");
        return Checkpoints.latest(dir).orElseThrow(() -> new IllegalArgumentException("--checkpoint: no checkpoint (ckpt-<step>/) in " + dir));
    }

    /** Loads the checkpoint {@code dir} or the newest one in the run directory {@code dir}, on the CPU. */
    public static Loaded load(Path dir) {
        return load(dir, Device.cpu());
    }

    /** Loads the checkpoint {@code dir} or the newest one in the run directory {@code dir}, the model on {@code device}. */
    @SuppressWarnings("unchecked")
    public static Loaded load(Path dir, Device device) {
        Checkpoint ck = Checkpoints.load(resolve(dir));
        if (!"lm".equals(ck.extra().get("recipe"))) {
            throw new IllegalArgumentException("--checkpoint: " + ck.path() + " was written by recipe '" + ck.extra().get("recipe") + "', not lm");
        }
        LmConfig config = LmConfig.fromMap(ck.map("config"));
        Tokenizer tok = Tokenizer.fromMap(ck.map("tokenizer"));
        if (tok.vocabSize() != config.vocab()) {
            throw new IllegalArgumentException("checkpoint " + ck.path() + ": tokenizer has " + tok.vocabSize() + " tokens, model " + config.vocab());
        }
        DType dtype = ck.model().get("head.weight") != null ? ck.model().get("head.weight").dtype() : DType.F32;
        LmModel model = new LmModel(config, dtype);
        model.to(device);
        model.loadStateDict(ck.model());
        model.eval();
        return new Loaded(model, tok, LmTrainOptions.fromMap((Map<String, Object>) ck.get("train")), ck);
    }
}
