package dev.tessera.app.lm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level byte-pair encoding (Sennrich et al.; the GPT-2 flavour). Ids 0..255 are the bytes; id
 * {@code 256 + i} is merge i, the concatenation of two earlier tokens. Text is first split into
 * pre-tokens (a word with its leading space, a number, a run of punctuation, white space), so merges
 * never cross a word boundary; within a pre-token the merges apply in the order they were learned.
 *
 * <p>Training ({@link #train}) counts adjacent pairs over the pre-token types weighted by their
 * frequency and repeatedly merges the most frequent pair (ties: the smaller pair of ids), until the
 * vocabulary has the requested size or no pair occurs twice.
 *
 * <pre>{@code
 * BpeTokenizer bpe = BpeTokenizer.train(text, 512);
 * int[] ids = bpe.encode("The economy grew.");
 * }</pre>
 */
public final class BpeTokenizer implements Tokenizer {
    /** Pre-tokens: contractions, words and numbers with an optional leading space, punctuation runs, white space. */
    static final Pattern PRE_TOKEN = Pattern.compile("'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    private static final int CACHE_LIMIT = 200_000;

    private final int[][] merges;
    private final byte[][] bytesOf;
    private final Map<Long, Integer> rank = new HashMap<>();
    private final Map<String, int[]> cache = new HashMap<>();

    private BpeTokenizer(int[][] merges) {
        this.merges = merges;
        this.bytesOf = new byte[256 + merges.length][];
        for (int i = 0; i < 256; i++) bytesOf[i] = new byte[] {(byte) i};
        for (int i = 0; i < merges.length; i++) {
            int a = merges[i][0], b = merges[i][1];
            if (a < 0 || b < 0 || a >= 256 + i || b >= 256 + i) {
                throw new IllegalArgumentException("BpeTokenizer: merge " + i + " joins " + a + " and " + b + ", ids must be < " + (256 + i));
            }
            byte[] ab = Arrays.copyOf(bytesOf[a], bytesOf[a].length + bytesOf[b].length);
            System.arraycopy(bytesOf[b], 0, ab, bytesOf[a].length, bytesOf[b].length);
            bytesOf[256 + i] = ab;
            rank.putIfAbsent(key(a, b), i);
        }
    }

    /**
     * Learns merges on {@code text} until the vocabulary has {@code vocabSize} tokens (257..65536) or no
     * pair occurs at least twice (then the vocabulary is smaller; see {@link #vocabSize()}).
     */
    public static BpeTokenizer train(String text, int vocabSize) {
        if (vocabSize <= 256 || vocabSize > 65_536) {
            throw new IllegalArgumentException("--vocab: a byte-pair vocabulary needs 257..65536 tokens (256 bytes + merges), got " + vocabSize);
        }
        Map<String, Integer> freq = new HashMap<>();
        for (String p : preTokens(text)) freq.merge(p, 1, Integer::sum);
        // deterministic order of the word types, whatever the hash map did
        String[] types = freq.keySet().toArray(new String[0]);
        Arrays.sort(types);
        int n = types.length;
        int[][] words = new int[n][];
        long[] wf = new long[n];
        for (int w = 0; w < n; w++) {
            byte[] b = types[w].getBytes(StandardCharsets.UTF_8);
            words[w] = new int[b.length];
            for (int i = 0; i < b.length; i++) words[w][i] = b[i] & 0xFF;
            wf[w] = freq.get(types[w]);
        }
        Map<Long, Long> counts = new HashMap<>();
        Map<Long, List<Integer>> where = new HashMap<>();
        for (int w = 0; w < n; w++) addPairs(words[w], w, wf[w], counts, where, true);
        List<int[]> learned = new ArrayList<>();
        int[] seen = new int[n];
        int stamp = 0;
        while (256 + learned.size() < vocabSize) {
            long best = -1, bestCount = 1;
            for (var e : counts.entrySet()) {
                long c = e.getValue(), k = e.getKey();
                if (c > bestCount || (c == bestCount && best >= 0 && k < best)) {
                    best = k;
                    bestCount = c;
                }
            }
            if (best < 0) break;   // no pair occurs twice: more merges would only memorize
            int a = (int) (best >>> 32), b = (int) best, id = 256 + learned.size();
            learned.add(new int[] {a, b});
            stamp++;
            for (int w : where.remove(best)) {
                if (seen[w] == stamp) continue;
                seen[w] = stamp;
                int[] old = words[w];
                int[] merged = mergePair(old, a, b, id);
                if (merged.length == old.length) continue;   // stale index entry
                addPairs(old, w, -wf[w], counts, where, false);
                addPairs(merged, w, wf[w], counts, where, true);
                words[w] = merged;
            }
            counts.remove(best);
        }
        return new BpeTokenizer(learned.toArray(new int[0][]));
    }

    private static void addPairs(int[] word, int w, long f, Map<Long, Long> counts, Map<Long, List<Integer>> where, boolean index) {
        for (int i = 0; i + 1 < word.length; i++) {
            long k = key(word[i], word[i + 1]);
            long c = counts.getOrDefault(k, 0L) + f;
            if (c == 0) counts.remove(k);
            else counts.put(k, c);
            if (index) where.computeIfAbsent(k, x -> new ArrayList<>()).add(w);
        }
    }

    private static int[] mergePair(int[] s, int a, int b, int id) {
        int[] out = new int[s.length];
        int n = 0;
        for (int i = 0; i < s.length; i++) {
            if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                out[n++] = id;
                i++;
            } else {
                out[n++] = s[i];
            }
        }
        return n == s.length ? s : Arrays.copyOf(out, n);
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** The pre-tokens of {@code text}; their concatenation is {@code text}. */
    static List<String> preTokens(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = PRE_TOKEN.matcher(text);
        int at = 0;
        while (m.find()) {
            if (m.start() > at) out.add(text.substring(at, m.start()));   // never happens for well-formed text; kept for safety
            if (m.end() > m.start()) out.add(m.group());
            at = m.end();
        }
        if (at < text.length()) out.add(text.substring(at));
        return out;
    }

    /** The merges in learned order: {@code merges()[i]} = the pair of ids that id {@code 256 + i} joins. */
    public int[][] merges() {
        int[][] c = new int[merges.length][];
        for (int i = 0; i < c.length; i++) c[i] = merges[i].clone();
        return c;
    }

    @Override
    public int vocabSize() {
        return 256 + merges.length;
    }

    @Override
    public int[] encode(String text) {
        int[] buf = new int[16];
        int n = 0;
        for (String p : preTokens(text)) {
            int[] ids = encodePreToken(p);
            if (n + ids.length > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + ids.length));
            System.arraycopy(ids, 0, buf, n, ids.length);
            n += ids.length;
        }
        return Arrays.copyOf(buf, n);
    }

    private synchronized int[] encodePreToken(String p) {
        int[] hit = cache.get(p);
        if (hit != null) return hit;
        byte[] b = p.getBytes(StandardCharsets.UTF_8);
        int[] s = new int[b.length];
        for (int i = 0; i < b.length; i++) s[i] = b[i] & 0xFF;
        while (s.length > 1) {
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < s.length; i++) {
                Integer r = rank.get(key(s[i], s[i + 1]));
                if (r != null && r < bestRank) bestRank = r;
            }
            if (bestRank == Integer.MAX_VALUE) break;
            s = mergePair(s, merges[bestRank][0], merges[bestRank][1], 256 + bestRank);
        }
        if (cache.size() < CACHE_LIMIT) cache.put(p, s);
        return s;
    }

    @Override
    public String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(tokens.length * 3);
        for (int t : tokens) {
            if (t < 0 || t >= bytesOf.length) throw new IllegalArgumentException("BpeTokenizer.decode: token " + t + " outside [0, " + bytesOf.length + ")");
            out.writeBytes(bytesOf[t]);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", "bpe");
        m.put("vocab_size", vocabSize());
        List<List<Integer>> list = new ArrayList<>();
        for (int[] p : merges) list.add(List.of(p[0], p[1]));
        m.put("merges", list);
        return m;
    }

    /** Reads {@link #toMap()}. */
    static BpeTokenizer fromMap(Map<String, Object> map) {
        if (!(map.get("merges") instanceof List<?> list)) throw new IllegalArgumentException("tokenizer: bpe entry has no 'merges' list");
        int[][] merges = new int[list.size()][];
        for (int i = 0; i < merges.length; i++) {
            if (!(list.get(i) instanceof List<?> pair) || pair.size() != 2 || !(pair.get(0) instanceof Number a) || !(pair.get(1) instanceof Number b)) {
                throw new IllegalArgumentException("tokenizer: bpe merge " + i + " is not a pair of ids: " + list.get(i));
            }
            merges[i] = new int[] {a.intValue(), b.intValue()};
        }
        return new BpeTokenizer(merges);
    }

    @Override
    public String toString() {
        return "bpe (" + vocabSize() + " tokens)";
    }
}
