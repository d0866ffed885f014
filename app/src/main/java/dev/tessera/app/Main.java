package dev.tessera.app;

import dev.tessera.app.cli.EvalCommand;
import dev.tessera.app.cli.GenCommand;
import dev.tessera.app.cli.PredictCommand;
import dev.tessera.app.cli.InfoCommand;
import dev.tessera.app.cli.LabelCommand;
import dev.tessera.app.cli.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tessera} command line. */
@Command(name = "tessera", mixinStandardHelpOptions = true, version = "tessera 0.1.0",
        description = "Tessera: a pure-Java tensor library with autodiff, attention, MoE and exact m-height data.",
        subcommands = {InfoCommand.class, GenCommand.class, LabelCommand.class, TrainCommand.class, EvalCommand.class, PredictCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (used by tests and embedders). */
    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
