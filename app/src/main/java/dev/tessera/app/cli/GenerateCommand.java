package dev.tessera.app.cli;

import dev.tessera.app.lm.LmCheckpoint;
import dev.tessera.app.lm.Prompts;
import dev.tessera.nn.generate.Generator;
import dev.tessera.nn.generate.Sampler;
import dev.tessera.tensor.Rng;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera generate}: text from a language-model checkpoint of {@code train lm}. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Complete a prompt with a checkpoint of 'train lm' (recurrent linear-attention state, one step per token),",
                "or run the five fixed prompts of the training log (--test-checkpoint)."})
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "A checkpoint folder, or a run folder (its newest checkpoint).")
    Path checkpoint;

    @Option(names = "--prompt", description = "The text to continue.")
    String prompt;

    @Option(names = "--test-checkpoint", description = "Complete the five fixed prompts instead of --prompt.")
    boolean testCheckpoint;

    @Option(names = "--max-tokens", defaultValue = "200", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens = 200;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature = 0.8;

    @Option(names = "--top-k", defaultValue = "40", description = "Keep the K most likely tokens; 0 = all (default: ${DEFAULT-VALUE}).")
    int topK = 40;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus mass; 1 = off (default: ${DEFAULT-VALUE}).")
    double topP = 0.95;

    @Option(names = "--seed", defaultValue = "1", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu | cuda | cuda:N | auto (default: ${DEFAULT-VALUE}; one token at a time "
            + "is latency-bound, where the CPU does well).")
    String device = "cpu";

    @Override
    public Integer call() {
        if (maxTokens <= 0) throw new IllegalArgumentException("--max-tokens must be positive, got " + maxTokens);
        if (temperature < 0) throw new IllegalArgumentException("--temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("--top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
        if (testCheckpoint == (prompt != null)) throw new IllegalArgumentException("give exactly one of --prompt TEXT and --test-checkpoint");
        var lm = LmCheckpoint.load(checkpoint, DeviceOption.resolve(device).device());
        System.err.printf("checkpoint %s: step %d, %,d parameters, tokenizer %s, context %d%n", lm.checkpoint().path(), lm.checkpoint().step(),
                lm.model().numParameters(), lm.tokenizer(), lm.model().maxContext());
        if (testCheckpoint) {
            var all = Prompts.completeAll(lm.model(), lm.tokenizer(), maxTokens, temperature, topK, topP, seed);
            for (int i = 0; i < all.size(); i++) {
                System.out.printf("[%d] %s|%s%n", i + 1, Prompts.oneLine(all.get(i).prompt()), Prompts.oneLine(all.get(i).text()));
            }
            return 0;
        }
        Sampler sampler = temperature == 0 ? Sampler.greedy() : Sampler.sample(temperature, topK, topP, new Rng(seed));
        int[] ids = lm.tokenizer().encode(prompt);
        if (ids.length == 0) throw new IllegalArgumentException("--prompt: the prompt is empty");
        int ctx = lm.model().maxContext();
        int[] outIds;
        if (ids.length + maxTokens - 1 <= ctx) {
            outIds = Generator.expanding(lm.model(), ids, maxTokens, sampler, true);
        } else {
            // beyond the learned positions: keep the last ctx tokens and recompute them each step
            System.err.printf("note: %d prompt + %d new tokens exceed the context of %d; the tokens past it see a sliding window of %d%n",
                    ids.length, maxTokens, ctx, ctx);
            outIds = Generator.slidingWindow(lm.model(), ids, maxTokens, ctx, sampler);
        }
        System.out.println(prompt + lm.tokenizer().decode(outIds));
        return 0;
    }
}
