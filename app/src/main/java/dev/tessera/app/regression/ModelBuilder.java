package dev.tessera.app.regression;

import dev.tessera.nn.train.Checkpoint;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.tensor.Rng;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds the model a {@link ModelConfig} describes:
 * <table>
 *   <caption>model by type and task kind</caption>
 *   <tr><th></th><th>regression</th><th>autoregressive</th><th>sequence to sequence</th></tr>
 *   <tr><td>linear, mlp</td><td>{@link WindowModel}</td><td>{@link WindowModel} (AR(T))</td><td>not offered</td></tr>
 *   <tr><td>transformer</td><td>{@link EncoderRegressor}</td><td>{@link CausalForecaster}</td><td>{@link Seq2SeqTransformer}</td></tr>
 * </table>
 *
 * <pre>{@code
 * TaskModel m = ModelBuilder.build(config, new Rng(1));
 * }</pre>
 */
public final class ModelBuilder {
    private ModelBuilder() {}

    /** A freshly initialised model; {@code rng} draws the initial weights (and drives dropout). */
    public static TaskModel build(ModelConfig config, Rng rng) {
        return switch (config.type()) {
            case LINEAR, MLP -> new WindowModel(config, rng);
            case TRANSFORMER -> switch (config.kind()) {
                case REGRESSION -> new EncoderRegressor(config, rng);
                case AUTOREGRESSIVE -> new CausalForecaster(config, rng);
                case SEQ2SEQ -> new Seq2SeqTransformer(config, rng);
            };
        };
    }

    /**
     * The model saved in a regression checkpoint (a {@code ckpt-*} folder, or a run folder whose latest
     * checkpoint is used), in evaluation mode.
     */
    @SuppressWarnings("unchecked")
    public static TaskModel load(Path checkpointOrRun) {
        Path dir = checkpointOrRun;
        if (!Files.exists(dir.resolve(Checkpoints.META_FILE))) {
            dir = Checkpoints.latest(checkpointOrRun)
                    .orElseThrow(() -> new IllegalArgumentException("ModelBuilder.load: no checkpoint under " + checkpointOrRun));
        }
        Checkpoint ck = Checkpoints.load(dir);
        if (!"regression".equals(ck.extra().get("recipe"))) {
            throw new IllegalArgumentException("ModelBuilder.load: " + dir + " is not a regression checkpoint (recipe " + ck.extra().get("recipe") + ")");
        }
        TaskModel model = build(ModelConfig.fromMap((Map<String, Object>) ck.get("model")), new Rng(0));
        model.loadStateDict(ck.model());
        model.eval();
        return model;
    }
}
