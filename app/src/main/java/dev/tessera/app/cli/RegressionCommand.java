package dev.tessera.app.cli;

import dev.tessera.app.regression.ModelConfig;
import dev.tessera.app.regression.ModelType;
import dev.tessera.app.regression.RegressionTrainer;
import dev.tessera.app.regression.SyntheticTask;
import dev.tessera.app.regression.TaskConfig;
import dev.tessera.app.regression.TrainConfig;
import dev.tessera.moe.MoeFfn;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.train.Progress;
import dev.tessera.nn.train.Checkpoints;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Optional;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tessera train regression}: the regression toolkit on built-in synthetic tasks (linear, MLP or
 * transformer; MHA/MQA/GQA; optional sparse MoE FFN; regression, autoregressive or encoder-decoder tasks).
 * {@link #plan()} turns the flags into validated configurations (every flag is checked, with an error that
 * names it, as an {@link IllegalArgumentException}); {@link #call()} runs them with {@link RegressionTrainer}.
 */
@Command(name = "regression", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Regression toolkit on synthetic tasks: sum of a sequence (default), continuing a noisy sine or an arithmetic",
                "sequence (--autoregressive), reversing or sorting a sequence (--encoder-decoder). Validates every epoch; writes",
                "metrics.csv, TensorBoard events, loss.png, predictions.png and a checkpoint into --out."})
public final class RegressionCommand implements Callable<Integer> {
    @Option(names = "--type", defaultValue = "transformer", description = "linear | mlp | transformer (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--task", description = "sum (default); with --autoregressive: sine (default) | arith; with --encoder-decoder: reverse (default) | sort.")
    String task;

    @Option(names = "--autoregressive", description = "Continue a sequence: the model predicts the next value from a window of --seq-len values.")
    boolean autoregressive;

    @Option(names = "--encoder-decoder", description = "Sequence to sequence with an encoder-decoder transformer (needs --type transformer).")
    boolean encoderDecoder;

    @Option(names = "--seq-len", description = "Input length T (default: 16 for sum, sine, arith; 8 for reverse, sort).")
    Integer seqLen;

    @Option(names = "--noise", description = "Observation noise (std) of sine and arith (default: 0.05 for sine, 0 for arith).")
    Double noise;

    @Option(names = "--horizon", description = "Values the final roll-out continues, feeding predictions back (--autoregressive; default: --seq-len).")
    Integer horizon;

    @Option(names = "--train-size", defaultValue = "4096", description = "Training examples (default: ${DEFAULT-VALUE}).")
    int trainSize;

    @Option(names = "--val-size", defaultValue = "512", description = "Validation examples (default: ${DEFAULT-VALUE}).")
    int valSize;

    @Option(names = "--latent-dims", description = "Hidden sizes: of the MLP (default 128,64,32), or of the transformer's output head (default: none).")
    String latentDims;

    @Option(names = "--activation", description = "relu | tanh | gelu (default: relu for mlp, gelu for transformer).")
    String activation;

    @Option(names = "--d-model", description = "Transformer width (default: 64).")
    Integer dModel;

    @Option(names = "--layers", description = "Transformer layers per stack (default: 2).")
    Integer layers;

    @Option(names = "--ffn-hidden", description = "Transformer FFN width, and each expert's width with --moe (default: 4 x --d-model).")
    Integer ffnHidden;

    @Option(names = "--heads", description = "Attention (query) heads (default: 4).")
    Integer heads;

    @Option(names = "--attention", description = "mha | mqa | gqa: kv heads = heads, 1, or --groups (default: mha).")
    String attention;

    @Option(names = "--groups", description = "Key/value heads of gqa; must divide --heads (default: 2).")
    Integer groups;

    @Option(names = "--dropout", description = "Dropout of the MLP or of the transformer (default: 0).")
    Double dropout;

    @Option(names = "--moe", description = "Replace each transformer FFN by a sparse mixture of experts (Switch balance loss and z-loss added to the loss).")
    boolean moe;

    @Option(names = "--experts", description = "Experts per MoE layer (--moe; default: 8).")
    Integer experts;

    @Option(names = "--top-k", description = "Experts per token (--moe; default: 2).")
    Integer topK;

    @Option(names = "--capacity-factor", description = "Expert capacity factor, <= 0 for dropless (--moe; default: 1.25).")
    Double capacityFactor;

    @Option(names = "--alpha", description = "Weight of the Switch load-balancing loss (--moe; default: 0.01).")
    Double alpha;

    @Option(names = "--z-loss", paramLabel = "COEF", description = "Weight of the router z-loss (mean squared log-sum-exp of the router logits; --moe; default: 0, off).")
    Double zLoss;

    @Option(names = "--aux-free", description = "Auxiliary-loss-free balancing: a per-expert selection bias moved after each optimizer step toward uniform "
            + "load (--moe; combine with --alpha 0 to balance without a loss).")
    boolean auxFree;

    @Option(names = "--aux-free-rate", paramLabel = "GAMMA", description = "Update rate of the --aux-free bias (default: 0.001).")
    Double auxFreeRate;

    @Option(names = "--optimizer", defaultValue = "adam", description = "adam | adamw | sgd | rmsprop (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", description = "Peak learning rate (default: 1e-3, 1e-2 for sgd).")
    Double lr;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--momentum", description = "Momentum of sgd (default 0.9) and rmsprop (default 0).")
    Double momentum;

    @Option(names = "--schedule", defaultValue = "warmup-cosine", description = "constant | cosine | warmup-cosine (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--clip", defaultValue = "1.0", description = "Gradient-norm clipping, 0 = off (default: ${DEFAULT-VALUE}).")
    double clip;

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of data, weights and batch order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--log-every", defaultValue = "10", description = "Steps between metric records (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Option(names = "--out", description = "Run folder (default: runs/regression-<time>).")
    Path out;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu | cuda | cuda:N | auto (CUDA when usable) (default: ${DEFAULT-VALUE}: these "
            + "models are small, so a step is latency-bound, where the CPU does well).")
    String device = "cpu";

    @Option(names = "--resume", paramLabel = "latest|DIR", description = {"Continue a run from its checkpoint (model, optimizer, schedule, epoch, dropout generators): latest = "
            + "the newest checkpoint of --out (without --out: of the newest runs/regression-* folder); DIR = a run folder or a ckpt-* folder in it.",
            "Repeat the original flags; only --epochs may change (upwards)."})
    String resume;

    /**
     * The validated configurations of one run.
     *
     * @param resumeFrom the checkpoint folder to continue from ({@code --resume}), or null for a fresh run
     * @param device     where the model trains ({@code --device})
     */
    public record Plan(TaskConfig task, ModelConfig model, TrainConfig train, Path out, Path resumeFrom, DeviceOption device) {}

    @Override
    public Integer call() {
        Plan p = plan();
        try {
            run(p, System.out, Progress.Mode.AUTO);
            return 0;
        } catch (IllegalStateException e) {
            System.err.println("train regression: " + e.getMessage());
            return 1;
        }
    }

    /** Runs a plan. */
    static RegressionTrainer.Result run(Plan p, PrintStream log, Progress.Mode progress) {
        var trainer = new RegressionTrainer(p.task(), p.model(), p.train(), p.out(), log, progress).onDevice(p.device().device());
        if (p.resumeFrom() != null) trainer.resumeFrom(Checkpoints.load(p.resumeFrom()));
        return trainer.run();
    }

    /** Checks every flag and combination and returns the configurations they describe. */
    public Plan plan() {
        // ---- task
        if (autoregressive && encoderDecoder) fail("--autoregressive and --encoder-decoder exclude each other; choose one");
        ModelType mt = parse("--type", type, () -> ModelType.parse(type));
        SyntheticTask.Kind kind = autoregressive ? SyntheticTask.Kind.AUTOREGRESSIVE : encoderDecoder ? SyntheticTask.Kind.SEQ2SEQ
                : SyntheticTask.Kind.REGRESSION;
        SyntheticTask t = task == null ? switch (kind) {
            case REGRESSION -> SyntheticTask.SUM;
            case AUTOREGRESSIVE -> SyntheticTask.SINE;
            case SEQ2SEQ -> SyntheticTask.REVERSE;
        } : parse("--task", task, () -> SyntheticTask.parse(task));
        if (t.kind() != kind) {
            String need = switch (t.kind()) {
                case REGRESSION -> "a regression task (no --autoregressive, no --encoder-decoder)";
                case AUTOREGRESSIVE -> "an autoregressive task: add --autoregressive";
                case SEQ2SEQ -> "a sequence-to-sequence task: add --encoder-decoder";
            };
            fail("--task " + t.cliName() + " is " + need);
        }
        if (encoderDecoder && mt != ModelType.TRANSFORMER) fail("--encoder-decoder needs --type transformer, got --type " + mt.cliName());
        int len = seqLen != null ? seqLen : t.defaultSeqLen();
        int minLen = kind == SyntheticTask.Kind.REGRESSION ? 1 : 2;
        if (len < minLen) fail("--seq-len must be >= " + minLen + " for --task " + t.cliName() + ", got " + len);
        if (noise != null && !t.hasNoise()) fail("--noise applies only to the autoregressive tasks sine and arith, not to --task " + t.cliName());
        double nz = noise != null ? noise : t.defaultNoise();
        if (!(nz >= 0) || Double.isInfinite(nz)) fail("--noise must be finite and >= 0, got " + nz);
        if (horizon != null && !autoregressive) fail("--horizon applies only with --autoregressive");
        int hz = horizon != null ? horizon : autoregressive ? len : 1;
        if (hz < 1) fail("--horizon must be >= 1, got " + hz);
        if (batch < 1) fail("--batch must be >= 1, got " + batch);
        if (trainSize < batch) fail("--train-size must be >= --batch (" + batch + "), got " + trainSize);
        if (valSize < 1) fail("--val-size must be >= 1, got " + valSize);
        TaskConfig taskCfg = new TaskConfig(t, len, nz, trainSize, valSize, hz);

        // ---- model
        boolean transformer = mt == ModelType.TRANSFORMER;
        requireTransformer(transformer, mt, "--d-model", dModel);
        requireTransformer(transformer, mt, "--layers", layers);
        requireTransformer(transformer, mt, "--ffn-hidden", ffnHidden);
        requireTransformer(transformer, mt, "--heads", heads);
        requireTransformer(transformer, mt, "--attention", attention);
        requireTransformer(transformer, mt, "--groups", groups);
        if (moe && !transformer) fail("--moe needs --type transformer, got --type " + mt.cliName());
        for (var f : new Object[][] {{"--experts", experts}, {"--top-k", topK}, {"--capacity-factor", capacityFactor}, {"--alpha", alpha},
                {"--z-loss", zLoss}, {"--aux-free", auxFree ? true : null}}) {
            if (f[1] != null && !moe) fail(f[0] + " requires --moe");
        }
        if (auxFreeRate != null && !auxFree) fail("--aux-free-rate requires --aux-free");
        if (mt == ModelType.LINEAR) {
            if (latentDims != null) fail("--latent-dims: a linear model has no hidden layers; use --type mlp or drop --latent-dims");
            if (activation != null) fail("--activation: a linear model has no activation; use --type mlp or drop --activation");
            if (dropout != null) fail("--dropout: a linear model has no dropout; use --type mlp or drop --dropout");
        }
        List<Integer> dims = latentDims != null ? parseDims(latentDims) : mt == ModelType.MLP ? List.of(128, 64, 32) : List.of();
        Activation act = activation == null ? (transformer ? Activation.GELU : Activation.RELU) : switch (activation.toLowerCase(Locale.ROOT)) {
            case "relu" -> Activation.RELU;
            case "tanh" -> Activation.TANH;
            case "gelu" -> Activation.GELU;
            default -> throw fail("--activation: expected relu, tanh or gelu, got '" + activation + "'");
        };
        if (moe && act != Activation.GELU) {
            fail("--activation " + activation + ": the MoE experts use GELU; with --moe use --activation gelu or leave it out");
        }
        double drop = dropout != null ? dropout : 0.0;
        if (!(drop >= 0 && drop < 1)) fail("--dropout must be in [0, 1), got " + drop);
        int d = dModel != null ? dModel : 64, nl = layers != null ? layers : 2, h = heads != null ? heads : 4;
        if (d < 1) fail("--d-model must be >= 1, got " + d);
        if (nl < 1) fail("--layers must be >= 1, got " + nl);
        if (h < 1) fail("--heads must be >= 1, got " + h);
        if (transformer && d % h != 0) fail("--d-model " + d + " must be divisible by --heads " + h);
        int ffn = ffnHidden != null ? ffnHidden : 4 * d;
        if (ffn < 1) fail("--ffn-hidden must be >= 1, got " + ffn);
        String att = attention == null ? "mha" : attention.toLowerCase(Locale.ROOT);
        if (groups != null && !att.equals("gqa")) fail("--groups applies only to --attention gqa (got " + att + ")");
        int kv = switch (att) {
            case "mha" -> h;
            case "mqa" -> 1;
            case "gqa" -> {
                int g = groups != null ? groups : 2;
                if (g < 1 || g > h) fail("--groups must be in [1, --heads " + h + "], got " + g);
                if (h % g != 0) fail("--groups " + g + " must divide --heads " + h);
                yield g;
            }
            default -> throw fail("--attention: expected mha, mqa or gqa, got '" + attention + "'");
        };
        MoeFfn.Config moeCfg = null;
        if (moe) {
            MoeFfn.Config def = MoeFfn.Config.DEFAULT;
            int e = experts != null ? experts : def.experts(), k = topK != null ? topK : def.topK();
            double cf = capacityFactor != null ? capacityFactor : def.capacityFactor(), a = alpha != null ? alpha : def.alpha();
            if (e < 1) fail("--experts must be >= 1, got " + e);
            if (k < 1 || k > e) fail("--top-k must be in [1, --experts " + e + "], got " + k);
            if (!Double.isFinite(cf)) fail("--capacity-factor must be finite (<= 0 means dropless), got " + cf);
            if (!(a >= 0) || Double.isInfinite(a)) fail("--alpha must be finite and >= 0, got " + a);
            double z = zLoss != null ? zLoss : 0.0, gamma = auxFree ? (auxFreeRate != null ? auxFreeRate : MoeFfn.Config.DEFAULT_BIAS_GAMMA) : 0.0;
            if (!(z >= 0) || Double.isInfinite(z)) fail("--z-loss must be finite and >= 0, got " + z);
            if (auxFree && (!(gamma > 0) || Double.isInfinite(gamma))) fail("--aux-free-rate must be finite and > 0, got " + gamma);
            moeCfg = new MoeFfn.Config(e, k, cf, a, z, gamma);
        }
        ModelConfig modelCfg = new ModelConfig(mt, kind, len, dims, act, d, nl, ffn, h, kv, drop, moeCfg);

        // ---- training
        TrainConfig.OptimizerKind ok = parse("--optimizer", optimizer, () -> TrainConfig.OptimizerKind.parse(optimizer));
        double rate = lr != null ? lr : ok.defaultLr();
        if (!(rate > 0) || Double.isInfinite(rate)) fail("--lr must be finite and > 0, got " + rate);
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) fail("--weight-decay must be finite and >= 0, got " + weightDecay);
        boolean usesMomentum = ok == TrainConfig.OptimizerKind.SGD || ok == TrainConfig.OptimizerKind.RMSPROP;
        if (momentum != null && !usesMomentum) fail("--momentum applies only to --optimizer sgd or rmsprop (got " + ok.cliName() + ")");
        double mom = momentum != null ? momentum : ok == TrainConfig.OptimizerKind.SGD ? 0.9 : 0.0;
        if (!(mom >= 0 && mom < 1)) fail("--momentum must be in [0, 1), got " + mom);
        TrainConfig.ScheduleKind sk = parse("--schedule", schedule, () -> TrainConfig.ScheduleKind.parse(schedule));
        if (!(clip >= 0) || Double.isInfinite(clip)) fail("--clip must be finite and >= 0, got " + clip);
        if (epochs < 1) fail("--epochs must be >= 1, got " + epochs);
        if (logEvery < 1) fail("--log-every must be >= 1, got " + logEvery);
        TrainConfig trainCfg = new TrainConfig(ok, rate, weightDecay, mom, sk, epochs, batch, clip, seed, logEvery);

        DeviceOption dev = DeviceOption.resolve(device);
        if (resume == null) {
            Path dir = out != null ? out : Path.of("runs", "regression-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            return new Plan(taskCfg, modelCfg, trainCfg, dir, null, dev);
        }
        Path ckpt = resumeCheckpoint();
        return new Plan(taskCfg, modelCfg, trainCfg, ckpt.toAbsolutePath().getParent(), ckpt, dev);
    }

    /** The checkpoint folder {@code --resume} names (with {@code --out}). */
    private Path resumeCheckpoint() {
        Path runDir;
        if (resume.equals("latest")) {
            runDir = out != null ? out : newestRun();
        } else {
            Path p = Path.of(resume);
            if (Files.isRegularFile(p.resolve(Checkpoints.META_FILE))) {
                if (out != null && !sameFile(out, p.toAbsolutePath().getParent())) {
                    fail("--resume " + resume + " is a checkpoint of " + p.toAbsolutePath().getParent() + ", but --out names " + out + "; drop --out");
                }
                return p;
            }
            if (!Files.isDirectory(p)) fail("--resume: expected latest, a run folder or a ckpt-* folder, got '" + resume + "' (no such folder)");
            if (out != null && !sameFile(out, p)) fail("--resume " + resume + " and --out " + out + " name different run folders; give one");
            runDir = p;
        }
        Path dir = runDir;
        return Checkpoints.latest(dir).orElseThrow(() -> fail("--resume " + resume + ": no checkpoint in " + dir));
    }

    /** The newest {@code runs/regression-*} folder holding a checkpoint. */
    private Path newestRun() {
        Path runs = Path.of("runs");
        if (Files.isDirectory(runs)) {
            try (var s = Files.list(runs)) {
                Optional<Path> newest = s.filter(p -> p.getFileName().toString().startsWith("regression-") && Checkpoints.latest(p).isPresent())
                        .max(Comparator.comparing(p -> p.getFileName().toString()));
                if (newest.isPresent()) return newest.get();
            } catch (IOException e) {
                throw new UncheckedIOException("--resume latest: cannot list " + runs + ": " + e.getMessage(), e);
            }
        }
        throw fail("--resume latest: no --out given and no runs/regression-* folder with a checkpoint");
    }

    private static boolean sameFile(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    private static void requireTransformer(boolean transformer, ModelType mt, String flag, Object value) {
        if (value != null && !transformer) fail(flag + " applies only to --type transformer (got --type " + mt.cliName() + ")");
    }

    private static List<Integer> parseDims(String s) {
        List<Integer> dims = new ArrayList<>();
        for (String part : s.split(",", -1)) {
            try {
                int v = Integer.parseInt(part.trim());
                if (v < 1) throw new NumberFormatException();
                dims.add(v);
            } catch (NumberFormatException e) {
                throw fail("--latent-dims: expected positive integers separated by commas (e.g. 128,64,32), got '" + s + "'");
            }
        }
        return dims;
    }

    private static <T> T parse(String flag, String value, java.util.function.Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw fail(flag + ": " + e.getMessage());
        }
    }

    /** Throws the error for a bad flag; the message names the flag, what it expects and what it got. */
    private static RuntimeException fail(String message) {
        throw new IllegalArgumentException(message);
    }
}
