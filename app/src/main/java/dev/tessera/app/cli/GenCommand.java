package dev.tessera.app.cli;

import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.data.DatasetGenerator;
import dev.tessera.lp.data.DatasetInfo;
import dev.tessera.lp.data.GenSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera gen}: generate training data. */
@Command(name = "gen", mixinStandardHelpOptions = true, description = "Generate labelled training data.",
        subcommands = {GenCommand.MHeightGen.class})
public final class GenCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Parses a comma-separated list of integers such as {@code 9,10}. */
    static int[] ints(String option, String s) {
        try {
            return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": expected comma-separated integers, got '" + s + "'");
        }
    }

    /** {@code tessera gen mheight}: exact m-height labels in safetensors shards. */
    @Command(name = "mheight", mixinStandardHelpOptions = true,
            description = {"Sample P like the course data and label every m = 2.. until the first infinite m-height",
                    "(exact, LP-free vertex enumeration). Writes shard-NNNNN.safetensors and dataset_info.json;",
                    "a re-run with the same arguments completes only the missing shards."})
    public static final class MHeightGen implements Callable<Integer> {
        @Option(names = "--rows", required = true, description = "Number of labelled rows.")
        long rows;

        @Option(names = "--n", defaultValue = "9", description = "Code lengths, comma-separated (default: ${DEFAULT-VALUE}).")
        String n;

        @Option(names = "--k", defaultValue = "4,5,6", description = "Code dimensions, comma-separated (default: ${DEFAULT-VALUE}).")
        String k;

        @Option(names = "--sampler", defaultValue = "intscale", description = "intscale | int100 | real100 (default: ${DEFAULT-VALUE}).")
        String sampler;

        @Option(names = "--seed", defaultValue = "636", description = "Master seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--threads", description = "Worker threads (default: all cores).")
        Integer threads;

        @Option(names = "--rows-per-shard", defaultValue = "65536", description = "Rows per shard file (default: ${DEFAULT-VALUE}).")
        int rowsPerShard;

        @Option(names = "--val-fraction", defaultValue = "0.05",
                description = "Fraction of matrices (with all their rows) put in the validation split (default: ${DEFAULT-VALUE}).")
        double valFraction;

        @Option(names = "--out", required = true, description = "Output folder.")
        Path out;

        @Override
        public Integer call() throws Exception {
            int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
            GenSpec spec = new GenSpec(ints("--n", n), ints("--k", k), CodeSampler.Kind.parse(sampler), seed, rows, rowsPerShard,
                    valFraction, 2);
            System.out.printf("gen mheight: %d rows, n=%s, k=%s, sampler=%s, seed=%d, %d shards, %d threads -> %s%n", rows, n, k,
                    spec.sampler().id(), seed, spec.shardCount(), t, out);
            AtomicLong done = new AtomicLong();
            long t0 = System.nanoTime();
            DatasetGenerator.Result res;
            try (Progress ignored = new Progress("gen mheight", "rows", rows, done, System.out, Duration.ofSeconds(10))) {
                res = DatasetGenerator.run(spec, out, t, done);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            DatasetInfo info = res.info();
            System.out.printf("done: %d rows from %d matrices in %s (%.0f rows/s); shards written %d, reused %d%n", info.rows(),
                    info.matrices(), Progress.hms(secs), info.rows() / secs, res.writtenShards(), res.reusedShards());
            System.out.print(res.stats().table());
            System.out.println("info: " + out.resolve(DatasetInfo.FILE));
            return 0;
        }
    }
}
