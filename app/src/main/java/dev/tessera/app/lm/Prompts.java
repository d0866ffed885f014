package dev.tessera.app.lm;

import dev.tessera.nn.generate.Generator;
import dev.tessera.nn.generate.Sampler;
import dev.tessera.tensor.Rng;
import java.util.ArrayList;
import java.util.List;

/** The five fixed prompts sampled during training and by {@code generate --test-checkpoint}. */
public final class Prompts {
    /** The prompts. */
    public static final List<String> FIXED = List.of(
            "The history of",
            "In 1990, the government",
            "The economy of the country",
            "After the war,",
            "The people of the island");

    private Prompts() {}

    /** One completion. */
    public record Completion(String prompt, String text, int tokens) {}

    /**
     * Completes {@code prompt} with up to {@code maxTokens} tokens (fewer when the model's context ends),
     * decoding with the recurrent state cache.
     */
    public static Completion complete(LmModel model, Tokenizer tok, String prompt, int maxTokens, Sampler sampler) {
        int[] ids = tok.encode(prompt);
        if (ids.length == 0) throw new IllegalArgumentException("--prompt: the prompt is empty");
        if (ids.length > model.maxContext()) {
            throw new IllegalArgumentException("--prompt: " + ids.length + " tokens exceed the model context of " + model.maxContext());
        }
        int n = Math.min(maxTokens, model.maxContext() - ids.length + 1);
        boolean was = model.isTraining();
        model.eval();
        try {
            int[] out = Generator.expanding(model, ids, n, sampler, true);
            return new Completion(prompt, tok.decode(out), out.length);
        } finally {
            model.setTraining(was);
        }
    }

    /** Completions of the five fixed prompts, each with its own sampler stream from {@code seed}. */
    public static List<Completion> completeAll(LmModel model, Tokenizer tok, int maxTokens, double temperature, int topK, double topP, long seed) {
        List<Completion> out = new ArrayList<>();
        for (int i = 0; i < FIXED.size(); i++) {
            Sampler s = temperature <= 0 ? Sampler.greedy() : Sampler.sample(temperature, topK, topP, new Rng(seed + 7919L * i));
            out.add(complete(model, tok, FIXED.get(i), maxTokens, s));
        }
        return out;
    }

    /** The completion on one line: line breaks shown as {@code \n}. */
    public static String oneLine(String s) {
        return s.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n");
    }
}
