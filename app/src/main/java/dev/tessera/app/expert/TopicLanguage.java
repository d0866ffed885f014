package dev.tessera.app.expert;

import java.util.SplittableRandom;

/**
 * A small built-in synthetic language with structure for a language model (and so for its
 * router) to learn: every sequence is written in one of {@code topics} topics; each topic uses its
 * own subset of the vocabulary and its own first-order Markov chain over it, in which every token
 * has three successors with probabilities 0.6, 0.3 and 0.1. Subsets overlap, so a shared token's
 * continuation depends on the topic, which the model must infer from the context.
 *
 * <p>Everything is drawn from {@code seed}, so a seed fixes the language.
 *
 * <pre>{@code
 * var lang = new TopicLanguage(64, 4, 20, 7);
 * int[] tokens = lang.sample(new SplittableRandom(1), 16, 33);   // 16 sequences of 33 tokens
 * }</pre>
 */
public final class TopicLanguage {
    private static final double[] SUCCESSOR_P = {0.6, 0.3, 0.1};

    private final int vocab, topics, perTopic;
    private final int[][] subset;        // [topic][perTopic] tokens
    private final int[][][] successors;  // [topic][position in subset][3] tokens

    /** A language over {@code vocab} tokens with {@code topics} topics of {@code perTopic} tokens each. */
    public TopicLanguage(int vocab, int topics, int perTopic, long seed) {
        if (vocab < 4 || topics < 1 || perTopic < 4 || perTopic > vocab) {
            throw new IllegalArgumentException("TopicLanguage: need vocab >= 4, topics >= 1 and 4 <= perTopic <= vocab, got vocab " + vocab
                    + ", topics " + topics + ", perTopic " + perTopic);
        }
        this.vocab = vocab;
        this.topics = topics;
        this.perTopic = perTopic;
        SplittableRandom r = new SplittableRandom(seed);
        subset = new int[topics][];
        successors = new int[topics][perTopic][3];
        for (int t = 0; t < topics; t++) {
            int[] perm = new int[vocab];
            for (int i = 0; i < vocab; i++) perm[i] = i;
            for (int i = vocab - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), x = perm[i];
                perm[i] = perm[j];
                perm[j] = x;
            }
            subset[t] = java.util.Arrays.copyOf(perm, perTopic);
            for (int p = 0; p < perTopic; p++) {
                // three distinct successors inside the topic's subset
                int a = r.nextInt(perTopic), b, c;
                do b = r.nextInt(perTopic); while (b == a);
                do c = r.nextInt(perTopic); while (c == a || c == b);
                successors[t][p] = new int[] {a, b, c};
            }
        }
    }

    /** Vocabulary size. */
    public int vocab() {
        return vocab;
    }

    /** Number of topics. */
    public int topics() {
        return topics;
    }

    /** Entropy (nats) of the next token given the topic and the current token: that of (0.6, 0.3, 0.1). */
    public static double conditionalEntropy() {
        double h = 0;
        for (double p : SUCCESSOR_P) h -= p * Math.log(p);
        return h;
    }

    /** {@code count} sequences of {@code length} tokens, row-major {@code [count * length]}. */
    public int[] sample(SplittableRandom rng, int count, int length) {
        int[] out = new int[count * length];
        for (int s = 0; s < count; s++) {
            int t = rng.nextInt(topics);
            int p = rng.nextInt(perTopic);
            for (int i = 0; i < length; i++) {
                out[s * length + i] = subset[t][p];
                double u = rng.nextDouble();
                int j = u < SUCCESSOR_P[0] ? 0 : u < SUCCESSOR_P[0] + SUCCESSOR_P[1] ? 1 : 2;
                p = successors[t][p][j];
            }
        }
        return out;
    }
}
