package dev.tessera.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.app.Main;
import dev.tessera.app.regression.ModelType;
import dev.tessera.app.regression.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SweepCommandTest {
    @TempDir
    Path dir;

    private List<SweepCommand.Run> plan(String... args) {
        SweepCommand cmd = new SweepCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.plan();
    }

    private String error(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> plan(args)).getMessage();
    }

    @Test
    void gridPointsBecomeRunsWithTheFixedFlags() {
        Path out = dir.resolve("s");
        var runs = plan("regression", "--grid", "lr=1e-3,3e-4", "--type", "transformer", "--grid", "attention=mha,gqa", "--epochs", "2", "--moe",
                "--out", out.toString());
        assertEquals(4, runs.size());
        assertEquals(Map.of("lr", "3e-4", "attention", "mha"), runs.get(2).point());
        var p = runs.get(3).plan();
        assertEquals(3e-4, p.train().lr());
        assertEquals(2, p.model().kvHeads());
        assertEquals(ModelType.TRANSFORMER, p.model().type());
        assertEquals(2, p.train().epochs());
        assertTrue(p.model().moe() != null, "fixed switch --moe passed through");
        assertEquals(out.resolve("run-04-lr=3e-4-attention=gqa"), p.out());
        assertEquals(4, runs.get(0).plan().model().kvHeads());
    }

    @Test
    void switchesTakeTrueAndFalse() {
        var runs = plan("regression", "--grid", "moe=false,true", "--grid", "optimizer=adam,sgd", "--out", dir.resolve("b").toString());
        assertEquals(null, runs.get(0).plan().model().moe());
        assertTrue(runs.get(2).plan().model().moe() != null);
        assertEquals(TrainConfig.OptimizerKind.SGD, runs.get(3).plan().train().optimizer());
    }

    @Test
    void badGridsAreRejectedBeforeAnythingRuns() {
        String out = dir.resolve("bad").toString();
        assertEquals("--grid lrate: the regression recipe has no flag --lrate (see tessera train regression --help)",
                error("regression", "--grid", "lrate=1,2", "--out", out));
        assertEquals("--grid lr: --lr is also given as a fixed flag", error("regression", "--grid", "lr=1e-3", "--lr", "1e-2", "--out", out));
        assertEquals("--grid moe: --moe is a switch; its values are true and false, got 'yes'", error("regression", "--grid", "moe=yes", "--out", out));
        assertEquals("--grid out: the sweep chooses each run's folder; --out sets the sweep folder", error("regression", "--grid", "out=a,b"));
        assertEquals("RECIPE: only 'regression' can be swept, got 'mheight'", error("mheight", "--grid", "lr=1"));
        assertEquals("--resume: a sweep starts fresh runs; resume one of its runs with tessera train regression",
                error("regression", "--grid", "lr=1e-3", "--resume", "latest", "--out", out));
        assertEquals("--grid resume: a sweep starts fresh runs; resume one of its runs with tessera train regression",
                error("regression", "--grid", "resume=a,b", "--out", out));
        assertEquals("--grid lr=: empty value", error("regression", "--grid", "lr="));
        // a value that is bad for the recipe is reported with its run before any run starts
        assertEquals("run 2 {heads=6}: --groups 4 must divide --heads 6",
                error("regression", "--grid", "heads=4,6", "--attention", "gqa", "--groups", "4", "--d-model", "48", "--out", out));
        assertTrue(error("regression", "--grid", "epochs=1,x", "--out", out).startsWith("run 2 {epochs=x}: Invalid value for option '--epochs'"));
        assertTrue(Files.notExists(Path.of(out)), "nothing was written");
    }

    @Test
    void sweepRunsTheGridAndWritesTheRankedTable() throws Exception {
        Path out = dir.resolve("sweep");
        PrintStream stdout = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("sweep", "regression", "--grid", "lr=1e-4,0.05", "--type", "linear", "--seq-len", "4", "--train-size", "256",
                    "--val-size", "64", "--batch", "32", "--epochs", "2", "--out", out.toString());
        } finally {
            System.setOut(stdout);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        List<String> csv = Files.readAllLines(out.resolve(SweepCommand.CSV_FILE));
        assertEquals("rank,run,lr,params,train_loss,val_loss,best_val_loss,time_s,status,run_dir", csv.get(0));
        assertEquals(3, csv.size());
        // the larger rate fits the sum far better in 16 steps, so run 2 ranks first
        assertTrue(csv.get(1).startsWith("1,2,0.05,5,"), csv.get(1));
        assertTrue(csv.get(2).startsWith("2,1,1e-4,5,"), csv.get(2));
        assertTrue(csv.get(1).endsWith(",ok,run-02-lr=0.05"), csv.get(1));
        double best = Double.parseDouble(csv.get(1).split(",")[5]), worst = Double.parseDouble(csv.get(2).split(",")[5]);
        assertTrue(best < worst, best + " vs " + worst);
        assertTrue(Files.exists(out.resolve("run-01-lr=1e-4/metrics.csv")));
        assertTrue(Files.exists(out.resolve("run-02-lr=0.05/predictions.png")));
        assertTrue(text.contains("== sweep results (ranked by validation loss)"), text);
        int header = text.indexOf("rank  lr");
        assertTrue(header >= 0, text);
        String[] rows = text.substring(header).split("\n");
        assertTrue(rows[2].matches("\\s+1\\s+0\\.05\\s+5\\s+.*ok"), rows[2]);
        assertTrue(rows[3].matches("\\s+2\\s+1e-4\\s+5\\s+.*ok"), rows[3]);

        // the folder now holds a sweep: a second sweep into it is refused
        assertTrue(Main.run("sweep", "regression", "--grid", "lr=1e-3", "--type", "linear", "--out", out.toString()) != 0);
    }
}
