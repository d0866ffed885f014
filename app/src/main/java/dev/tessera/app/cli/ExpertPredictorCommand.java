package dev.tessera.app.cli;

import dev.tessera.app.expert.ExpertPredictorRecipe;
import dev.tessera.app.expert.MoeLanguageModel;
import dev.tessera.app.expert.SelfCollectedTraces;
import dev.tessera.moe.predict.PredictorTrainer;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera train expert-predictor}: predict a sparse MoE router's experts from routing traces. */
@Command(name = "expert-predictor", mixinStandardHelpOptions = true,
        description = {"Train an expert predictor (MLP d -> 256 -> E, LayerNorm, ReLU, dropout) per MoE layer on routing traces and report",
                "top-1/top-5 accuracy and coverage@10/15/20 beside the frequency predictor and the random baseline.",
                "Without --traces it first trains a small sparse-MoE language model on a built-in synthetic language and records",
                "its routing on fresh sequences (inference)."})
public final class ExpertPredictorCommand implements Callable<Integer> {
    /** Epochs of the self-contained run when --epochs is not given: enough for the slow default lr to clear the baselines. */
    static final int SELF_EPOCHS = 2;

    @Option(names = "--traces", description = "Trace folder written by TraceRecorder (trace_info.json + shards).")
    Path traces;

    @Option(names = "--epochs", description = "Epochs per layer (default: 10 with --traces, " + SELF_EPOCHS + " on self-collected traces).")
    Integer epochs;

    @Option(names = "--lr", defaultValue = "5e-5", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--batch", defaultValue = "8", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--hidden", defaultValue = "256", description = "Predictor hidden width (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--dropout", defaultValue = "0.1", description = "Predictor dropout (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--val-fraction", defaultValue = "0.1", description = "Held-out fraction of the tokens (default: ${DEFAULT-VALUE}).")
    double valFraction;

    @Option(names = "--target", defaultValue = "uniform",
            description = "Target distribution over the k chosen experts: uniform (1/k each) or gates (gate weights) (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--lookahead", defaultValue = "0",
            description = "Predict layer l from the input of layer l-L (prefetching ahead; default: ${DEFAULT-VALUE} = its own input).")
    int lookahead;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the split, initialisation and data order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--evals-per-epoch", defaultValue = "8", description = "Validation passes per epoch (default: ${DEFAULT-VALUE}).")
    int evalsPerEpoch;

    @Option(names = "--out", description = "Output folder (default: runs/expert-predictor-<timestamp>).")
    Path out;

    @Option(names = "--lm-steps", defaultValue = "300", description = "Self-collection: language-model training steps (default: ${DEFAULT-VALUE}).")
    int lmSteps;

    @Option(names = "--trace-tokens", defaultValue = "65536", description = "Self-collection: tokens traced per layer (default: ${DEFAULT-VALUE}).")
    long traceTokens;

    @Option(names = "--experts", defaultValue = "32", description = "Self-collection: experts per MoE layer (default: ${DEFAULT-VALUE}).")
    int experts;

    @Option(names = "--top-k", defaultValue = "2", description = "Self-collection: experts per token (default: ${DEFAULT-VALUE}).")
    int topK;

    @Override
    public Integer call() {
        PredictorTrainer.Target t = switch (target) {
            case "uniform" -> PredictorTrainer.Target.UNIFORM;
            case "gates" -> PredictorTrainer.Target.GATES;
            default -> throw new IllegalArgumentException("--target: expected uniform or gates, got " + target);
        };
        int ep = epochs != null ? epochs : traces != null ? 10 : SELF_EPOCHS;
        var d = PredictorTrainer.Options.DEFAULT;
        var po = new PredictorTrainer.Options(hidden, dropout, lr, weightDecay, batch, ep, valFraction, seed, t, evalsPerEpoch, d.evalBatch(),
                d.top(), d.coverage());
        var base = MoeLanguageModel.Config.SMALL;
        var model = new MoeLanguageModel.Config(base.vocab(), base.dModel(), base.heads(), base.layers(), base.expertHidden(), experts, topK,
                base.capacityFactor(), base.alpha(), base.maxContext());
        var collect = SelfCollectedTraces.Options.DEFAULT.withModel(model).withSteps(lmSteps).withTraceTokens(traceTokens);
        Path dir = out != null ? out : Path.of("runs", "expert-predictor-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        System.out.printf("train expert-predictor: %s, %d epochs, batch %d, AdamW lr %.2g wd %.2g, hidden %d, dropout %.2f, target %s, lookahead %d -> %s%n",
                traces != null ? "traces " + traces : "self-collected traces", ep, batch, lr, weightDecay, hidden, dropout, target, lookahead, dir);
        ExpertPredictorRecipe.run(new ExpertPredictorRecipe.Options(traces, dir, po, lookahead, collect), System.out);
        return 0;
    }
}
