package dev.tessera.app.cli;

import dev.tessera.app.regression.RegressionTrainer;
import dev.tessera.app.sweep.SweepGrid;
import dev.tessera.app.sweep.SweepTable;
import dev.tessera.nn.train.Progress;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/**
 * {@code tessera sweep regression --grid lr=1e-3,3e-4 --grid attention=mha,gqa [fixed regression flags...]}:
 * runs the recipe once per point of the cartesian grid (every other flag passed through unchanged), prints the
 * runs ranked by validation loss and writes the table as {@code sweep.csv} in the sweep folder (rewritten
 * atomically after every run, so an interrupted sweep keeps the finished rows). Every point is parsed and
 * validated before the first run starts (a bad grid or flag is an {@link IllegalArgumentException} naming it). Run i
 * writes into {@code <out>/run-<i>-<key=value>...}.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Run a recipe over a grid of flag values and rank the runs by validation loss.",
                "Example: tessera sweep regression --grid lr=1e-3,3e-4 --grid attention=mha,gqa --epochs 5",
                "Flags that are not the sweep's own are passed to every run; a boolean flag takes values true,false."})
public final class SweepCommand implements Callable<Integer> {
    /** The file the ranked table is written to, inside the sweep folder. */
    public static final String CSV_FILE = "sweep.csv";

    @Parameters(index = "0", paramLabel = "RECIPE", description = "The recipe to sweep: regression.")
    String recipe;

    @Option(names = "--grid", paramLabel = "KEY=V1,V2,...", required = true,
            description = "One axis of the grid: a flag of the recipe (without dashes) and its values. Repeat for more axes.")
    List<String> grid = new ArrayList<>();

    @Option(names = "--out", description = "Sweep folder (default: runs/sweep-<recipe>-<time>).")
    Path out;

    @Unmatched
    List<String> fixed = new ArrayList<>();

    /** One validated run of the sweep. */
    record Run(int index, Map<String, String> point, RegressionCommand.Plan plan) {}

    @Override
    public Integer call() {
        List<Run> runs = plan();
        SweepGrid g = grid();
        Path dir = folder();
        PrintStream log = System.out;
        log.printf("sweep %s: %d runs over %s; fixed flags %s; folder %s%n", recipe, runs.size(), g.keys(), fixed, dir);
        SweepTable table = run(runs, g.keys(), dir, log, Progress.Mode.AUTO);
        log.println("== sweep results (ranked by validation loss)");
        log.print(table.format());
        log.println("table: " + dir.resolve(CSV_FILE));
        return table.ranked().stream().allMatch(r -> r.status().equals("ok")) ? 0 : 1;
    }

    /** Runs every plan in order, rewriting the CSV after each; a run that diverges is recorded and the sweep goes on. */
    static SweepTable run(List<Run> runs, List<String> keys, Path dir, PrintStream log, Progress.Mode progress) {
        SweepTable table = new SweepTable(keys);
        for (Run r : runs) {
            log.printf("== sweep run %d/%d: %s%n", r.index(), runs.size(), r.point());
            long t0 = System.nanoTime();
            String runDir = dir.relativize(r.plan().out()).toString();
            try {
                RegressionTrainer.Result res = RegressionCommand.run(r.plan(), log, progress);
                table.add(new SweepTable.Row(r.index(), r.point(), res.parameters(), res.trainLoss(), res.valLoss(), res.bestValLoss(), res.seconds(),
                        "ok", runDir));
            } catch (IllegalStateException e) {
                log.println("run " + r.index() + " failed: " + e.getMessage());
                table.add(new SweepTable.Row(r.index(), r.point(), 0, Double.NaN, Double.NaN, Double.NaN, (System.nanoTime() - t0) / 1e9,
                        "failed: " + e.getMessage(), runDir));
            }
            table.writeCsv(dir.resolve(CSV_FILE));
        }
        return table;
    }

    /** Parses the grid and validates every point's flags; nothing runs. */
    List<Run> plan() {
        if (!"regression".equals(recipe)) fail("RECIPE: only 'regression' can be swept, got '" + recipe + "'");
        SweepGrid g = grid();
        CommandSpec recipeSpec = new CommandLine(new RegressionCommand()).getCommandSpec();
        for (String f : fixed) {
            if (f.equals("--out") || f.startsWith("--out=")) fail("--out belongs to the sweep (its folder); the runs go into sub-folders of it");
            if (f.equals("--resume") || f.startsWith("--resume=")) fail("--resume: a sweep starts fresh runs; resume one of its runs with tessera train regression");
        }
        for (SweepGrid.Axis a : g.axes()) {
            String flag = "--" + a.key();
            if (a.key().equals("out")) fail("--grid out: the sweep chooses each run's folder; --out sets the sweep folder");
            if (a.key().equals("resume")) fail("--grid resume: a sweep starts fresh runs; resume one of its runs with tessera train regression");
            if (a.key().equals("help") || a.key().equals("version")) fail("--grid " + a.key() + ": not a training flag");
            OptionSpec opt = recipeSpec.findOption(flag);
            if (opt == null) {
                fail("--grid " + a.key() + ": the regression recipe has no flag " + flag + " (see tessera train regression --help)");
            }
            for (String f : fixed) {
                if (f.equals(flag) || f.startsWith(flag + "=")) fail("--grid " + a.key() + ": " + flag + " is also given as a fixed flag");
            }
            if (opt.arity().max() == 0) {
                for (String v : a.values()) {
                    if (!v.equals("true") && !v.equals("false")) fail("--grid " + a.key() + ": " + flag + " is a switch; its values are true and false, got '" + v + "'");
                }
            }
        }
        Path dir = folder();
        if (Files.exists(dir.resolve(CSV_FILE))) fail("--out " + dir + " already holds a sweep (" + CSV_FILE + "); choose another folder");
        List<Run> runs = new ArrayList<>();
        List<Map<String, String>> points = g.points();
        int width = Integer.toString(points.size()).length();
        for (int i = 0; i < points.size(); i++) {
            Map<String, String> p = points.get(i);
            List<String> args = new ArrayList<>(fixed);
            StringBuilder name = new StringBuilder(String.format("run-%0" + Math.max(2, width) + "d", i + 1));
            for (var e : p.entrySet()) {
                String flag = "--" + e.getKey();
                OptionSpec opt = recipeSpec.findOption(flag);
                if (opt.arity().max() == 0) {
                    if (e.getValue().equals("true")) args.add(flag);
                } else {
                    args.add(flag);
                    args.add(e.getValue());
                }
                name.append('-').append(e.getKey()).append('=').append(e.getValue());
            }
            Path runDir = dir.resolve(name.toString().replaceAll("[^A-Za-z0-9._=+-]", "_"));
            args.add("--out");
            args.add(runDir.toString());
            RegressionCommand cmd = new RegressionCommand();
            try {
                new CommandLine(cmd).parseArgs(args.toArray(String[]::new));
                runs.add(new Run(i + 1, p, cmd.plan()));
            } catch (ParameterException | IllegalArgumentException e) {
                fail("run " + (i + 1) + " " + p + ": " + e.getMessage());
            }
        }
        return runs;
    }

    private SweepGrid grid() {
        try {
            return SweepGrid.parse(grid);
        } catch (IllegalArgumentException e) {
            throw fail(e.getMessage());
        }
    }

    private Path folder() {
        if (out == null) out = Path.of("runs", "sweep-" + recipe + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        return out;
    }

    /** Throws the error for a bad argument; the message names it. */
    private static RuntimeException fail(String message) {
        throw new IllegalArgumentException(message);
    }
}
