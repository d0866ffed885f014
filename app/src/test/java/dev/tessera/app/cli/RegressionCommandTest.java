package dev.tessera.app.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.app.Main;
import dev.tessera.app.regression.CausalForecaster;
import dev.tessera.app.regression.EncoderRegressor;
import dev.tessera.app.regression.ModelBuilder;
import dev.tessera.app.regression.Seq2SeqTransformer;
import dev.tessera.app.regression.SyntheticTask;
import dev.tessera.app.regression.TaskModel;
import dev.tessera.app.regression.TrainConfig;
import dev.tessera.app.regression.WindowModel;
import dev.tessera.autograd.Variable;
import dev.tessera.moe.SparseMoE;
import dev.tessera.nn.attention.MultiHeadAttention;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.layers.Mlp;
import dev.tessera.nn.optim.Adam;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.optim.RmsProp;
import dev.tessera.nn.optim.Sgd;
import dev.tessera.nn.transformer.DecoderLayer;
import dev.tessera.nn.transformer.EncoderLayer;
import dev.tessera.nn.transformer.FeedForward;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RegressionCommandTest {
    static RegressionCommand.Plan plan(String... args) {
        RegressionCommand cmd = new RegressionCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.plan();
    }

    static TaskModel model(String... args) {
        return ModelBuilder.build(plan(args).model(), new Rng(1));
    }

    private static String error(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> plan(args)).getMessage();
    }

    /** Every attention layer of a transformer model. */
    private static List<MultiHeadAttention> attentions(TaskModel m) {
        List<MultiHeadAttention> out = new ArrayList<>();
        m.namedModules().values().forEach(mod -> {
            if (mod instanceof MultiHeadAttention a) out.add(a);
        });
        return out;
    }

    @Test
    void defaultsAreASumTaskOnATransformer() {
        var p = plan();
        assertEquals(SyntheticTask.SUM, p.task().task());
        assertEquals(16, p.task().seqLen());
        assertEquals(4096, p.task().trainSize());
        assertEquals(TrainConfig.OptimizerKind.ADAM, p.train().optimizer());
        assertEquals(1e-3, p.train().lr());
        assertTrue(p.out().startsWith(Path.of("runs")) && p.out().getFileName().toString().startsWith("regression-"));
        EncoderRegressor m = assertInstanceOf(EncoderRegressor.class, ModelBuilder.build(p.model(), new Rng(1)));
        assertEquals(2, m.encoder().layers().size());
        assertEquals(Activation.GELU, p.model().activation());
        assertTrue(m.moeLayers().isEmpty());
        assertNull(m.auxLoss());
    }

    @Test
    void attentionFlagsSetTheKvHeadsOfEveryLayer() {
        // {attention, heads, groups (or null), expected kv heads}
        for (String[] c : new String[][] {{"mha", "4", null, "4"}, {"mqa", "4", null, "1"}, {"gqa", "4", null, "2"}, {"gqa", "8", "4", "4"},
                {"gqa", "4", "1", "1"}}) {
            List<String> args = new ArrayList<>(List.of("--attention", c[0], "--heads", c[1]));
            if (c[2] != null) args.addAll(List.of("--groups", c[2]));
            List<MultiHeadAttention> atts = attentions(model(args.toArray(String[]::new)));
            assertEquals(2, atts.size());
            for (MultiHeadAttention a : atts) {
                assertEquals(Integer.parseInt(c[1]), a.heads(), String.join(" ", args));
                assertEquals(Integer.parseInt(c[3]), a.kvHeads(), String.join(" ", args));
                // kv projections hold kvHeads * headDim rows: the heads are shared, not repeated
                assertArrayEquals(new int[] {a.kvHeads() * a.headDim(), 64}, a.k().weight().value().shape());
            }
        }
        // the same for the causal decoder and for both attentions of the encoder-decoder
        for (MultiHeadAttention a : attentions(model("--autoregressive", "--attention", "mqa"))) assertEquals(1, a.kvHeads());
        TaskModel s2s = model("--encoder-decoder", "--attention", "gqa", "--heads", "8", "--groups", "2", "--layers", "1");
        assertEquals(3, attentions(s2s).size());   // encoder self, decoder self, decoder cross
        for (MultiHeadAttention a : attentions(s2s)) {
            assertEquals(8, a.heads());
            assertEquals(2, a.kvHeads());
        }
    }

    @Test
    void moeFlagsReplaceEveryFfnBySparseMoE() {
        TaskModel m = model("--moe", "--experts", "4", "--top-k", "1", "--capacity-factor", "2", "--alpha", "0.05", "--layers", "3");
        assertEquals(3, m.moeLayers().size());
        for (EncoderLayer l : ((EncoderRegressor) m).encoder().layers()) {
            SparseMoE moe = assertInstanceOf(SparseMoE.class, l.ffn());
            assertEquals(4, moe.options().experts());
            assertEquals(1, moe.options().topK());
            assertEquals(2.0, moe.options().capacityFactor());
            assertEquals(0.05, moe.options().alpha());
            assertEquals(256, moe.experts().hidden());
        }
        SparseMoE def = model("--moe").moeLayers().values().iterator().next();
        assertEquals(8, def.options().experts());
        assertEquals(2, def.options().topK());
        assertEquals(1.25, def.options().capacityFactor());
        assertEquals(0.01, def.options().alpha());
        Seq2SeqTransformer s2s = (Seq2SeqTransformer) model("--encoder-decoder", "--moe", "--experts", "2", "--layers", "2");
        assertEquals(4, s2s.moeLayers().size());
        for (DecoderLayer l : s2s.transformer().decoder().layers()) assertInstanceOf(SparseMoE.class, l.children().get("ffn"));
        CausalForecaster ar = (CausalForecaster) model("--autoregressive");
        for (DecoderLayer l : ar.decoder().layers()) assertInstanceOf(FeedForward.class, l.children().get("ffn"));
    }

    @Test
    void linearAndMlpModels() {
        WindowModel lin = (WindowModel) model("--type", "linear", "--seq-len", "5");
        Linear l = assertInstanceOf(Linear.class, lin.net());
        assertEquals(5, l.inFeatures());
        assertEquals(1, l.outFeatures());
        assertEquals(6, lin.numParameters());
        Mlp mlp = assertInstanceOf(Mlp.class, ((WindowModel) model("--type", "mlp")).net());
        assertArrayEquals(new int[] {16, 128, 64, 32, 1}, mlp.dims());
        WindowModel ar = (WindowModel) model("--type", "mlp", "--autoregressive", "--task", "arith", "--latent-dims", "8,4");
        assertEquals(SyntheticTask.Kind.AUTOREGRESSIVE, ar.config().kind());
        assertArrayEquals(new int[] {16, 8, 4, 1}, ((Mlp) ar.net()).dims());
        assertArrayEquals(new int[] {3, 1}, ar.predict(Tensor.zeros(DType.F32, 3, 16)).shape());
    }

    @Test
    void activationFlagIsTheMlpsActivation() {
        for (Activation act : new Activation[] {Activation.RELU, Activation.TANH, Activation.GELU}) {
            WindowModel m = (WindowModel) model("--type", "mlp", "--seq-len", "4", "--latent-dims", "6,5", "--activation", act.name().toLowerCase());
            Mlp mlp = (Mlp) m.net();
            Tensor x = Tensor.randn(new Rng(2), DType.F32, 7, 4);
            Tensor h = x;
            for (int i = 0; i < 3; i++) {
                Linear li = mlp.layers().get(i);
                h = h.matmul(li.weight().value().mT()).add(li.bias().value());
                if (i < 2) h = act.apply(h);
            }
            assertArrayEquals(h.reshape(7).toFloatArray(), m.predict(x).toFloatArray(), 1e-5f, act.name());
        }
    }

    @Test
    void activationFlagIsTheTransformerFfnActivation() {
        for (String act : new String[] {"relu", "tanh", "gelu"}) {
            EncoderRegressor m = (EncoderRegressor) model("--activation", act, "--layers", "1", "--d-model", "8", "--heads", "2");
            FeedForward ffn = assertInstanceOf(FeedForward.class, m.encoder().layers().get(0).ffn());
            Tensor x = Tensor.randn(new Rng(3), DType.F32, 2, 3, 8);
            Tensor up = x.matmul(ffn.up().weight().value().mT()).add(ffn.up().bias().value());
            Tensor expected = Activation.valueOf(act.toUpperCase()).apply(up).matmul(ffn.down().weight().value().mT()).add(ffn.down().bias().value());
            assertArrayEquals(expected.toFloatArray(), ffn.forward(Variable.constant(x)).value().toFloatArray(), 1e-5f, act);
        }
    }

    @Test
    void optimizerFlags() {
        var params = model("--type", "linear").parameters();
        assertInstanceOf(Adam.class, plan("--type", "linear").train().createOptimizer(params));
        assertInstanceOf(AdamW.class, plan("--optimizer", "adamw").train().createOptimizer(params));
        var sgd = plan("--optimizer", "sgd").train();
        assertInstanceOf(Sgd.class, sgd.createOptimizer(params));
        assertEquals(1e-2, sgd.lr());
        assertEquals(0.9, sgd.momentum());
        var rms = plan("--optimizer", "rmsprop", "--lr", "3e-4", "--momentum", "0.5").train();
        assertInstanceOf(RmsProp.class, rms.createOptimizer(params));
        assertEquals(3e-4, rms.lr());
        assertEquals(0.5, rms.momentum());
    }

    @Test
    void modeFlagsChooseTheTaskAndItsDefaults() {
        var ar = plan("--autoregressive");
        assertEquals(SyntheticTask.SINE, ar.task().task());
        assertEquals(0.05, ar.task().noise());
        assertEquals(16, ar.task().horizon());
        assertEquals(0.0, plan("--autoregressive", "--task", "arith").task().noise());
        var s2s = plan("--encoder-decoder", "--task", "sort");
        assertEquals(SyntheticTask.SORT, s2s.task().task());
        assertEquals(8, s2s.task().seqLen());
        assertEquals(SyntheticTask.REVERSE, plan("--encoder-decoder").task().task());
    }

    @Test
    void badFlagsGiveClearErrors() {
        assertEquals("--type: unknown model type 'cnn', expected one of [linear, mlp, transformer]", error("--type", "cnn"));
        assertEquals("--autoregressive and --encoder-decoder exclude each other; choose one", error("--autoregressive", "--encoder-decoder"));
        assertEquals("--task sine is an autoregressive task: add --autoregressive", error("--task", "sine"));
        assertEquals("--task reverse is a sequence-to-sequence task: add --encoder-decoder", error("--task", "reverse"));
        assertEquals("--task sum is a regression task (no --autoregressive, no --encoder-decoder)", error("--autoregressive", "--task", "sum"));
        assertEquals("--task: unknown task 'cube', expected one of [sum, sine, arith, reverse, sort]", error("--task", "cube"));
        assertEquals("--encoder-decoder needs --type transformer, got --type mlp", error("--encoder-decoder", "--type", "mlp"));
        assertEquals("--groups 3 must divide --heads 4", error("--attention", "gqa", "--groups", "3"));
        assertEquals("--groups must be in [1, --heads 4], got 8", error("--attention", "gqa", "--groups", "8"));
        assertEquals("--groups applies only to --attention gqa (got mha)", error("--groups", "2"));
        assertEquals("--groups applies only to --attention gqa (got mqa)", error("--attention", "mqa", "--groups", "1"));
        assertEquals("--attention: expected mha, mqa or gqa, got 'xqa'", error("--attention", "xqa"));
        assertEquals("--d-model 30 must be divisible by --heads 4", error("--d-model", "30"));
        assertEquals("--heads applies only to --type transformer (got --type mlp)", error("--type", "mlp", "--heads", "4"));
        assertEquals("--experts requires --moe", error("--experts", "4"));
        assertEquals("--alpha requires --moe", error("--alpha", "0.1"));
        assertEquals("--moe needs --type transformer, got --type linear", error("--moe", "--type", "linear"));
        assertEquals("--top-k must be in [1, --experts 4], got 5", error("--moe", "--experts", "4", "--top-k", "5"));
        assertEquals("--alpha must be finite and >= 0, got -0.1", error("--moe", "--alpha", "-0.1"));
        assertEquals("--activation relu: the MoE experts use GELU; with --moe use --activation gelu or leave it out",
                error("--moe", "--activation", "relu"));
        assertEquals("--latent-dims: a linear model has no hidden layers; use --type mlp or drop --latent-dims",
                error("--type", "linear", "--latent-dims", "4"));
        assertEquals("--latent-dims: expected positive integers separated by commas (e.g. 128,64,32), got '4,x'",
                error("--type", "mlp", "--latent-dims", "4,x"));
        assertEquals("--latent-dims: expected positive integers separated by commas (e.g. 128,64,32), got '4,0'",
                error("--type", "mlp", "--latent-dims", "4,0"));
        assertEquals("--activation: expected relu, tanh or gelu, got 'swish'", error("--activation", "swish"));
        assertEquals("--activation: a linear model has no activation; use --type mlp or drop --activation", error("--type", "linear", "--activation", "relu"));
        assertEquals("--optimizer: unknown optimizer 'lbfgs', expected one of [adam, adamw, sgd, rmsprop]", error("--optimizer", "lbfgs"));
        assertEquals("--lr must be finite and > 0, got 0.0", error("--lr", "0"));
        assertEquals("--momentum applies only to --optimizer sgd or rmsprop (got adam)", error("--momentum", "0.9"));
        assertEquals("--momentum must be in [0, 1), got 1.5", error("--optimizer", "sgd", "--momentum", "1.5"));
        assertEquals("--schedule: unknown schedule 'linear', expected one of [constant, cosine, warmup-cosine]", error("--schedule", "linear"));
        assertEquals("--noise applies only to the autoregressive tasks sine and arith, not to --task sum", error("--noise", "0.1"));
        assertEquals("--noise must be finite and >= 0, got -0.1", error("--autoregressive", "--noise", "-0.1"));
        assertEquals("--horizon applies only with --autoregressive", error("--horizon", "4"));
        assertEquals("--train-size must be >= --batch (64), got 10", error("--train-size", "10"));
        assertEquals("--seq-len must be >= 2 for --task sine, got 1", error("--autoregressive", "--seq-len", "1"));
        assertEquals("--epochs must be >= 1, got 0", error("--epochs", "0"));
        assertEquals("--dropout must be in [0, 1), got 1.0", error("--dropout", "1"));
        assertEquals("--clip must be finite and >= 0, got -1.0", error("--clip", "-1"));
    }

    @Test
    void badFlagOnTheCommandLineFailsWithTheReason() {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("train", "regression", "--attention", "gqa", "--heads", "8", "--groups", "3");
        } finally {
            System.setErr(err);
        }
        assertTrue(code != 0);
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("--groups 3 must divide --heads 8"), buf.toString(StandardCharsets.UTF_8));
    }
}
