package dev.tessera.app.expert;

import dev.tessera.moe.predict.PredictorTrainer;
import dev.tessera.moe.predict.RoutingMetrics;
import dev.tessera.moe.trace.TraceInfo;
import dev.tessera.moe.trace.TraceReader;
import dev.tessera.nn.train.CsvMetrics;
import dev.tessera.nn.train.MultiSink;
import dev.tessera.nn.train.TensorBoardWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The expert-predictor recipe: for every recorded MoE layer, train an
 * {@link dev.tessera.moe.predict.ExpertPredictor} on a routing trace and report how well it
 * anticipates the router against the frequency predictor and a random ranking. Without a trace it
 * first makes one ({@link SelfCollectedTraces}).
 *
 * <p>Writes into {@code out}: {@code predictors/layerNN.safetensors} (weights, config and layers in
 * the metadata), {@code metrics.csv} and {@code tb/} (the curves), {@code results.csv},
 * {@code report.txt}, {@code training-curve.png} and {@code validation-accuracy.png}; with a
 * self-made trace also {@code lm/} (the language model) and {@code traces/}.
 */
public final class ExpertPredictorRecipe {
    private ExpertPredictorRecipe() {}

    /**
     * Settings.
     *
     * @param traces    a trace folder, or null to make one
     * @param out       output folder
     * @param predictor predictor hyper-parameters
     * @param lookahead predict layer l from the input of layer {@code l - lookahead} (0: its own input;
     *                  layers below {@code lookahead} are skipped)
     * @param collect   how to make the trace when {@code traces} is null
     */
    public record Options(Path traces, Path out, PredictorTrainer.Options predictor, int lookahead, SelfCollectedTraces.Options collect) {
        /** Validates. */
        public Options {
            Objects.requireNonNull(out, "ExpertPredictorRecipe: out is null");
            Objects.requireNonNull(predictor, "ExpertPredictorRecipe: predictor options are null");
            Objects.requireNonNull(collect, "ExpertPredictorRecipe: collect options are null");
            if (lookahead < 0) throw new IllegalArgumentException("--lookahead must be >= 0, got " + lookahead);
        }
    }

    /**
     * What the run produced.
     *
     * @param layers  per-layer results, in layer order
     * @param overall token-weighted metrics over the layers
     * @param report  the printed tables
     * @param traces  the trace folder used
     * @param self    the self-collection summary, or null when a trace was given
     */
    public record Outcome(List<PredictorTrainer.Result> layers, RoutingMetrics.Result overall, String report, Path traces,
                          SelfCollectedTraces.Summary self) {
    }

    /** Runs the recipe, printing progress and the tables to {@code log}. */
    public static Outcome run(Options o, PrintStream log) {
        long t0 = System.nanoTime();
        SelfCollectedTraces.Summary self = null;
        Path traceDir = o.traces();
        if (traceDir == null) {
            self = SelfCollectedTraces.run(o.collect(), o.out(), log);
            traceDir = self.traceDir();
        }
        TraceReader traces = TraceReader.open(traceDir);
        TraceInfo info = traces.info();
        log.printf("traces %s: %d layers (%s); %s%n", traceDir, info.layers().size(), String.join(", ", info.layers().stream()
                .map(l -> String.format("%s E %d k %d d %d, %,d tokens", l.name(), l.experts(), l.topK(), l.dModel(), l.tokens())).toList()),
                info.notes().isEmpty() ? "no notes" : info.notes());
        if (o.lookahead() >= info.layers().size()) {
            throw new IllegalArgumentException("--lookahead " + o.lookahead() + " leaves no layer to predict: the trace has " + info.layers().size()
                    + " layers");
        }
        List<PredictorTrainer.Result> results = new ArrayList<>();
        PredictorTrainer.Options po = o.predictor();
        try (var sink = new MultiSink(CsvMetrics.longFormat(o.out().resolve("metrics.csv")), new TensorBoardWriter(o.out().resolve("tb")))) {
            PredictorTrainer trainer = new PredictorTrainer(po, sink, log);
            for (int l = o.lookahead(); l < info.layers().size(); l++) {
                PredictorTrainer.Result r = trainer.fit(traces, l - o.lookahead(), l);
                results.add(r);
                save(o.out(), info, r);
                sink.flush();
            }
        }
        String report = PredictorReport.tables(info, results);
        log.println();
        log.print(report);
        PredictorReport.writeAtomically(o.out().resolve("report.txt"), report);
        PredictorReport.writeCsv(o.out().resolve("results.csv"), info, results);
        List<Path> pngs = PredictorReport.writePlots(o.out(), results, po);
        RoutingMetrics.Result overall = RoutingMetrics.Result.pooled(results.stream().map(PredictorTrainer.Result::predictor).toList());
        log.printf("wrote %s, %s, %s and predictors/ under %s; total time %.1f s%n", "report.txt", "results.csv",
                String.join(", ", pngs.stream().map(p -> p.getFileName().toString()).toList()), o.out(), (System.nanoTime() - t0) / 1e9);
        return new Outcome(List.copyOf(results), overall, report, traceDir, self);
    }

    /** Saves one predictor with its config and the layers it connects as safetensors metadata. */
    private static void save(Path out, TraceInfo info, PredictorTrainer.Result r) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("source_layer", Integer.toString(r.sourceLayer()));
        meta.put("source_name", info.layer(r.sourceLayer()).name());
        meta.put("target_layer", Integer.toString(r.targetLayer()));
        meta.put("target_name", info.layer(r.targetLayer()).name());
        meta.put("top_k", Integer.toString(info.layer(r.targetLayer()).topK()));
        Path f = out.resolve("predictors").resolve(String.format("layer%02d.safetensors", r.targetLayer()));
        try {
            r.model().save(f, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }
}
