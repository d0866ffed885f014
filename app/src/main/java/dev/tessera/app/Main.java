package dev.tessera.app;

import dev.tessera.app.cli.EvalCommand;
import dev.tessera.app.cli.GenCommand;
import dev.tessera.app.cli.GenerateCommand;
import dev.tessera.app.cli.PredictCommand;
import dev.tessera.app.cli.InfoCommand;
import dev.tessera.app.cli.LabelCommand;
import dev.tessera.app.cli.SweepCommand;
import dev.tessera.app.cli.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tessera} command line. */
@Command(name = "tessera", mixinStandardHelpOptions = true, version = "tessera 0.1.0",
        description = "Tessera: a pure-Java tensor library with autodiff, attention, MoE and exact m-height data.",
        subcommands = {InfoCommand.class, GenCommand.class, LabelCommand.class, TrainCommand.class, EvalCommand.class, PredictCommand.class, SweepCommand.class, GenerateCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line and returns its exit code (used by tests and embedders). Bad input
     * ({@link IllegalArgumentException}, whose message names the argument) prints one line on stderr
     * and exits with 2; any other failure keeps its stack trace and exits with 1.
     */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (!(e instanceof IllegalArgumentException)) throw e;
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            return 2;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
