package dev.tessera.app.cli;

import dev.tessera.app.lm.BpeTokenizer;
import dev.tessera.app.lm.ByteTokenizer;
import dev.tessera.app.lm.Corpus;
import dev.tessera.app.lm.CorpusLoader;
import dev.tessera.app.lm.LmCheckpoint;
import dev.tessera.app.lm.LmConfig;
import dev.tessera.app.lm.LmModel;
import dev.tessera.app.lm.LmTrainOptions;
import dev.tessera.app.lm.LmTrainer;
import dev.tessera.app.lm.RunLog;
import dev.tessera.app.lm.TokenData;
import dev.tessera.app.lm.Tokenizer;
import dev.tessera.nn.train.Checkpoint;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.nn.train.CsvMetrics;
import dev.tessera.nn.train.MetricsSink;
import dev.tessera.nn.train.MultiSink;
import dev.tessera.nn.train.TensorBoardWriter;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera train lm}: the MoE language model recipe. */
@Command(name = "lm", mixinStandardHelpOptions = true,
        description = {"Decoder-only language model: causal linear attention (elu+1) with grouped-query heads and a sparse",
                "top-2-of-8 mixture of experts with auxiliary-loss-free balancing, trained with AdamW, warm-up + cosine,",
                "clipping and gradient accumulation on a public-domain corpus (downloaded once and cached; bundled",
                "excerpt offline). Checkpoints, metrics.csv, TensorBoard events and train.log (with samples of five fixed",
                "prompts) go to --out; --resume latest continues the newest checkpoint exactly."})
public final class TrainLmCommand implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "default", description = "default (small, minutes on a CPU) | reference (width 384, 12 layers, 512 positions, 10,000 steps).")
    String preset = "default";

    @Option(names = "--steps", description = "Optimizer steps in all (default: by preset; on resume, extends or shortens the run).")
    Long steps;

    @Option(names = "--corpus", paramLabel = "PATH", description = "factbook (default, downloaded) | brown (downloaded) | bundled | a text FILE or DIR.")
    String corpus;

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: runs/lm-<timestamp>).")
    Path out;

    @Option(names = "--resume", paramLabel = "latest|DIR", description = "latest: continue from the newest checkpoint of --out (without --out: of the "
            + "runs/lm-* folder saved last), starting fresh when there is none yet; DIR: a run folder or one checkpoint folder.")
    String resume;

    @Option(names = "--tokenizer", defaultValue = "byte", description = "byte (default) | bpe (byte-pair, trained on the corpus, saved with the checkpoint).")
    String tokenizer = "byte";

    @Option(names = "--vocab", defaultValue = "512", description = "Byte-pair vocabulary size incl. the 256 bytes (default: ${DEFAULT-VALUE}).")
    int vocab = 512;

    @Option(names = "--batch", description = "Sequences per micro-batch (default: by preset).")
    Integer batch;

    @Option(names = "--accumulation", description = "Micro-batches per optimizer step (default: by preset).")
    Integer accumulation;

    @Option(names = "--seq-len", description = "Tokens per training sequence (default: the model's positions).")
    Integer seqLen;

    @Option(names = "--lr", description = "Peak learning rate (default: by preset); the final rate is a tenth of it.")
    Double lr;

    @Option(names = "--warmup", description = "Warm-up steps (default: by preset).")
    Long warmup;

    @Option(names = "--checkpoint-every", description = "Steps between checkpoints (default: by preset).")
    Long checkpointEvery;

    @Option(names = "--sample-every", description = "Steps between samples of the five fixed prompts (default: by preset).")
    Long sampleEvery;

    @Option(names = "--log-every", description = "Steps between metric lines (default: ${DEFAULT-VALUE}).", defaultValue = "100")
    long logEvery = 100;

    @Option(names = "--seed", description = "Data order and sampling seed (default: ${DEFAULT-VALUE}).", defaultValue = "1234")
    long seed = 1234;

    @Option(names = "--cache", paramLabel = "DIR", description = "Download cache (default: $TESSERA_CACHE or ~/.cache/tessera).")
    Path cache;

    @Option(names = "--precision", defaultValue = "f32", description = "f32 (default) | tf32 | bf16: tf32 and bf16 (mixed precision, float32 master "
            + "weights) need a CUDA device.")
    String precision = "f32";

    @Option(names = "--device", defaultValue = "cpu", description = "cpu | cuda | cuda:N | auto (CUDA when usable) (default: ${DEFAULT-VALUE}: the default "
            + "preset is sized for the CPU; the reference preset wants a GPU).")
    String device = "cpu";

    @Override
    public Integer call() throws IOException {
        DeviceOption dev = resolveDevice(device, precision);
        boolean ref = switch (preset) {
            case "default" -> false;
            case "reference" -> true;
            default -> throw new IllegalArgumentException("--preset: expected default or reference, got " + preset);
        };
        if (!tokenizer.equals("byte") && !tokenizer.equals("bpe")) throw new IllegalArgumentException("--tokenizer: expected byte or bpe, got " + tokenizer);
        Path runDir = runDir();
        Optional<Path> latest = explicitCheckpoint().or(() -> Checkpoints.latest(runDir));
        if (resume == null && latest.isPresent()) {
            throw new IllegalArgumentException("--out " + runDir + " already holds checkpoints up to step " + Checkpoints.stepOf(latest.get())
                    + ": pass --resume latest to continue it, or choose another --out");
        }
        long t0 = System.nanoTime();
        try (RunLog log = new RunLog(System.out, runDir.resolve("train.log"));
             MetricsSink metrics = new MultiSink(CsvMetrics.longFormat(runDir.resolve("metrics.csv")), new TensorBoardWriter(runDir.resolve("tb")))) {
            Checkpoint ck = latest.map(Checkpoints::load).orElse(null);
            if (resume != null && ck == null) log.printf("resume: no checkpoint in %s yet, starting a fresh run", runDir);
            Map<String, Object> corpusInfo = ck == null ? null : ck.map("corpus");
            String spec = corpus != null ? corpus : corpusInfo != null ? (String) corpusInfo.get("spec") : null;
            Corpus text = CorpusLoader.withCache(cache != null ? cache : CorpusLoader.defaultCacheDir(), log.asPrintStream()).load(spec);
            if (corpusInfo != null && !text.sha256().equals(corpusInfo.get("sha256"))) {
                throw new IllegalArgumentException("--resume: the corpus '" + text.name() + "' differs from the one checkpoint " + ck.path()
                        + " was trained on (" + corpusInfo.get("name") + ", sha256 " + corpusInfo.get("sha256") + ")");
            }
            log.printf("corpus %s: %,d bytes; %s", text.name(), text.bytes(), text.origin());

            Tokenizer tok;
            LmConfig config;
            LmTrainOptions opt;
            if (ck != null) {
                var loaded = LmCheckpoint.load(ck.path());
                tok = loaded.tokenizer();
                config = loaded.model().config();
                opt = loaded.options();
                if (steps != null && steps != opt.steps()) {
                    log.printf("resume: --steps %d replaces the checkpoint's %d (the cosine schedule stretches accordingly)", steps, opt.steps());
                    opt = opt.withSteps(steps);
                }
            } else {
                long tt = System.nanoTime();
                tok = tokenizer.equals("bpe") ? BpeTokenizer.train(text.text(), vocab) : ByteTokenizer.INSTANCE;
                if (tokenizer.equals("bpe")) log.printf("tokenizer: byte-pair, %d tokens, trained in %.1f s", tok.vocabSize(), (System.nanoTime() - tt) / 1e9);
                config = (ref ? LmConfig.reference(tok.vocabSize()) : LmConfig.small(tok.vocabSize()));
                opt = options(ref ? LmTrainOptions.reference() : LmTrainOptions.small(), config);
            }
            int[] ids = tok.encode(text.text());
            TokenData data = new TokenData(ids, tok.vocabSize(), 0.05);
            LmModel model = new LmModel(config, DType.F32);
            model.to(dev.device());
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("preset", ck != null ? ck.extra().getOrDefault("preset", preset) : preset);
            Map<String, Object> ci = new LinkedHashMap<>();
            ci.put("spec", text.name().equals("bundled") || text.name().equals("factbook") || text.name().equals("brown") ? text.name() : spec);
            ci.put("name", text.name());
            ci.put("origin", text.origin());
            ci.put("bytes", text.bytes());
            ci.put("sha256", text.sha256());
            info.put("corpus", ci);
            LmTrainer trainer = new LmTrainer(model, tok, data, opt, runDir, info, log, metrics);
            if (ck != null) {
                trainer.restore(ck);
                log.printf("resumed from %s (step %d of %d)", ck.path(), ck.step(), opt.steps());
            }
            log.printf("train lm (preset %s): %,d parameters; %s; tokenizer %s; %,d training / %,d held-out tokens; unigram entropy %.3f bits/token",
                    info.get("preset"), model.numParameters(), describe(config), tok, data.trainTokens(), data.valTokens(), trainer.unigramEntropyBits());
            log.printf("steps %d, warm-up %d, AdamW lr %.3g -> %.3g, weight decay %.3g, batch %d x %d accumulated x %d tokens, clip %.2g; %s, precision %s",
                    opt.steps(), opt.warmup(), opt.lr(), opt.minLr(), opt.weightDecay(), opt.batch(), opt.accumulation(), opt.seqLen(), opt.clip(),
                    dev.note(), dev.device().kind() == Device.Kind.CUDA ? precision : "f32");
            LmTrainer.Result r = trainer.train();
            if (r.losses().length > 0) {
                double lastLoss = r.losses()[r.losses().length - 1];
                log.printf("done: step %d, last loss %.4f nats = %.3f bits/token (unigram entropy %.3f), held-out %.3f bits/token, %.1f s",
                        r.endStep(), lastLoss, lastLoss / Math.log(2), trainer.unigramEntropyBits(), r.lastValLoss() / Math.log(2),
                        (System.nanoTime() - t0) / 1e9);
            }
            log.printf("checkpoint: %s", r.lastCheckpoint());
            log.printf("try: ./tessera generate --checkpoint %s --prompt \"The history of\"", runDir);
        }
        return 0;
    }

    /**
     * The device, with the CUDA backend's precision set first when it is not float32 (the backend reads
     * it when it starts). tf32 and bf16 on the CPU are refused: the CPU computes in float32.
     */
    static DeviceOption resolveDevice(String device, String precision) {
        String p = precision.trim().toLowerCase(java.util.Locale.ROOT);
        if (!p.equals("f32") && !p.equals("tf32") && !p.equals("bf16")) {
            throw new IllegalArgumentException("--precision: expected f32, tf32 or bf16, got " + precision);
        }
        if (p.equals("f32")) return DeviceOption.resolve(device);
        String cpuMessage = "--precision " + p + ": " + (p.equals("bf16") ? "bf16 mixed precision" : "tf32") + " needs the CUDA backend and a GPU; "
                + "the CPU computes in float32: use --precision f32 (or --device cuda on a machine with a GPU)";
        if (device.trim().equalsIgnoreCase("cpu")) throw new IllegalArgumentException(cpuMessage);
        String before = System.getProperty(PRECISION_PROPERTY);
        System.setProperty(PRECISION_PROPERTY, p);
        DeviceOption dev = DeviceOption.resolve(device);
        if (dev.device().kind() != Device.Kind.CUDA) {
            if (before == null) System.clearProperty(PRECISION_PROPERTY);
            else System.setProperty(PRECISION_PROPERTY, before);
            throw new IllegalArgumentException(cpuMessage + " (" + dev.note() + ")");
        }
        return dev;
    }

    /** The CUDA backend's precision setting (f32, tf32 or bf16). */
    static final String PRECISION_PROPERTY = "tessera.cuda.precision";

    private LmTrainOptions options(LmTrainOptions base, LmConfig config) {
        long s = steps != null ? steps : base.steps();
        long w = warmup != null ? warmup : Math.min(base.warmup(), Math.max(0, s / 10));
        double l = lr != null ? lr : base.lr();
        return new LmTrainOptions(s, w, l, l / 10, base.weightDecay(), batch != null ? batch : base.batch(),
                accumulation != null ? accumulation : base.accumulation(), seqLen != null ? seqLen : config.positions(), base.clip(),
                checkpointEvery != null ? checkpointEvery : base.checkpointEvery(), base.keepCheckpoints(),
                sampleEvery != null ? sampleEvery : base.sampleEvery(), logEvery, base.sampleTokens(), seed, base.valWindows());
    }

    /** The checkpoint named by {@code --resume DIR} when DIR is a checkpoint rather than a run folder. */
    private Optional<Path> explicitCheckpoint() {
        if (resume == null || resume.equals("latest")) return Optional.empty();
        Path p = Path.of(resume);
        return Files.isRegularFile(p.resolve(Checkpoints.META_FILE)) ? Optional.of(p) : Optional.empty();
    }

    private Path runDir() throws IOException {
        if (resume != null && !resume.equals("latest")) {
            if (out != null) throw new IllegalArgumentException("--resume DIR and --out both name the run folder: give one");
            Path p = Path.of(resume);
            if (Files.isRegularFile(p.resolve(Checkpoints.META_FILE))) p = p.toAbsolutePath().getParent();
            if (!Files.isDirectory(p)) throw new IllegalArgumentException("--resume: " + resume + " is not a run folder");
            return p;
        }
        if (out != null) return out;
        if (resume != null) {
            // --resume latest without --out: the newest runs/lm-* folder that holds a checkpoint
            Path runs = Path.of("runs");
            if (Files.isDirectory(runs)) {
                try (Stream<Path> s = Files.list(runs)) {
                    Optional<Path> newest = s.filter(p -> p.getFileName().toString().startsWith("lm-") && Checkpoints.latest(p).isPresent())
                            .max(Comparator.comparingLong(TrainLmCommand::lastSaved));
                    if (newest.isPresent()) return newest.get();
                }
            }
        }
        return Path.of("runs", "lm-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    /** When the newest checkpoint of a run folder was written (its sidecar's modification time). */
    private static long lastSaved(Path runDir) {
        try {
            return Files.getLastModifiedTime(Checkpoints.latest(runDir).orElseThrow().resolve(Checkpoints.META_FILE)).toMillis();
        } catch (IOException e) {
            return Long.MIN_VALUE;
        }
    }

    private static String describe(LmConfig c) {
        return String.format(java.util.Locale.ROOT, "width %d, %d layers, %d heads / %d kv heads, linear attention, %d experts top-%d of width %d "
                + "(capacity %.2f, loss-free bias %.1g), %d positions", c.dModel(), c.layers(), c.heads(), c.kvHeads(), c.experts(), c.topK(),
                c.intermediate(), c.capacityFactor(), c.biasGamma(), c.positions());
    }
}
