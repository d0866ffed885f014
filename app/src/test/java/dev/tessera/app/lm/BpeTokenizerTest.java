package dev.tessera.app.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {
    private static final String TEXT = CorpusLoader.bundled().text();
    private static final BpeTokenizer BPE = BpeTokenizer.train(TEXT, 512);

    @Test
    void roundTripsTheCorpusAndAwkwardText() {
        assertEquals(512, BPE.vocabSize());
        assertEquals(TEXT, BPE.decode(BPE.encode(TEXT)));
        for (String s : new String[] {"", " ", "  two leading spaces", "tabs\tand\nnew\r\nlines\n\n", "Ünïcödé – “quotes” €100 日本語 🙂",
                "don't we'll they're I'm", "1990s: 3.14%, -7", "the the the", "x"}) {
            assertEquals(s, BPE.decode(BPE.encode(s)), "round trip of '" + s + "'");
            assertEquals(s, ByteTokenizer.INSTANCE.decode(ByteTokenizer.INSTANCE.encode(s)));
        }
    }

    @Test
    void compressesTheTextItWasTrainedOn() {
        int bytes = TEXT.getBytes(StandardCharsets.UTF_8).length;
        int tokens = BPE.encode(TEXT).length;
        assertTrue(tokens < 0.6 * bytes, "512 tokens should compress English to under 0.6 tokens per byte, got " + (double) tokens / bytes);
        assertEquals(1, BPE.encode(" the").length, "' the' is among the most frequent pairs of the corpus");
        for (int id : BPE.encode(TEXT)) assertTrue(id >= 0 && id < 512);
    }

    @Test
    void mergesFollowTheDefinition() {
        // pre-tokens "aaab" and " aaab": pairs (a,a) x4, (a,b) x2, (' ',a) x1, so merge 0 is (a,a); the words become
        // [256,a,b] and [' ',256,a,b]: (256,a) and (a,b) tie at 2 and the smaller pair of ids, (a,b), is merge 1
        BpeTokenizer t = BpeTokenizer.train("aaab aaab", 258);
        int a = 'a', b = 'b';
        assertArrayEquals(new int[][] {{a, a}, {a, b}}, t.merges());
        assertArrayEquals(new int[] {256, 257}, t.encode("aaab"));
        assertArrayEquals(new int[] {256, 256, a}, t.encode("aaaaa"), "merges apply left to right without overlap");
        assertArrayEquals(new int[] {' ', 256, 257}, t.encode(" aaab"));
    }

    @Test
    void savesAndLoadsThroughJson() throws Exception {
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> back = json.readValue(json.writeValueAsString(BPE.toMap()), Map.class);
        Tokenizer t = Tokenizer.fromMap(back);
        assertEquals(BPE.vocabSize(), t.vocabSize());
        assertArrayEquals(BPE.encode(TEXT), t.encode(TEXT));
        assertEquals(ByteTokenizer.INSTANCE, Tokenizer.fromMap(ByteTokenizer.INSTANCE.toMap()));
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromMap(Map.of("kind", "wordpiece")));
    }

    @Test
    void trainingIsDeterministicAndValidatesItsArguments() {
        assertArrayEquals(BpeTokenizer.train(TEXT.substring(0, 20_000), 300).merges(), BpeTokenizer.train(TEXT.substring(0, 20_000), 300).merges());
        assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.train(TEXT, 256));
        assertThrows(IllegalArgumentException.class, () -> BPE.decode(new int[] {512}));
        // a text too short for more merges stops early
        assertTrue(BpeTokenizer.train("abcd", 1000).vocabSize() == 256);
    }
}
