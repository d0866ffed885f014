package dev.tessera.app.regression;

import dev.tessera.app.cli.RegressionCommand;
import dev.tessera.nn.train.Checkpoints;
import dev.tessera.nn.train.Progress;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Runs the regression recipe from command-line flags inside a test, quietly. */
final class TrainingRuns {
    private TrainingRuns() {}

    /** The plan of {@code args} with {@code --out out}. */
    static RegressionCommand.Plan plan(Path out, String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--out");
        a.add(out.toString());
        RegressionCommand cmd = new RegressionCommand();
        new CommandLine(cmd).parseArgs(a.toArray(String[]::new));
        return cmd.plan();
    }

    /** Trains with {@code args}, logging to {@code log}. */
    static RegressionTrainer.Result train(Path out, PrintStream log, String... args) {
        RegressionCommand.Plan p = plan(out, args);
        RegressionTrainer trainer = new RegressionTrainer(p.task(), p.model(), p.train(), p.out(), log, Progress.Mode.QUIET);
        if (p.resumeFrom() != null) trainer.resumeFrom(Checkpoints.load(p.resumeFrom()));
        RegressionTrainer.Result r = trainer.run();
        System.out.printf("%s: initial val %.5f, final val %.5f, train %.5f, %d steps, %.1f s %s%n", String.join(" ", args), r.initialValLoss(),
                r.valLoss(), r.trainLoss(), r.steps(), r.seconds(), r.metrics());
        return r;
    }

    /** Trains with {@code args} without a log. */
    static RegressionTrainer.Result train(Path out, String... args) {
        return train(out, new PrintStream(OutputStream.nullOutputStream()), args);
    }
}
