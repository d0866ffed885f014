package dev.tessera.app.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusLoaderTest {
    @TempDir
    Path dir;
    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private final List<Duration> sleeps = new ArrayList<>();
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    /** A loopback registry answering request n (1-based) with status.apply(n) and, for 200, body. */
    private URI serve(IntFunction<Integer> status, byte[] body) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            int code = status.apply(requests.incrementAndGet());
            byte[] b = code == 200 ? body : new byte[0];
            ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
            if (b.length > 0) ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private NpmFetcher fetcher(URI registry, int attempts) {
        return new NpmFetcher(dir.resolve("cache"), log, registry, attempts, Duration.ofMillis(1), sleeps::add);
    }

    static byte[] tgz(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (var e : files.entrySet()) {
            byte[] h = new byte[512];
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            System.arraycopy(name, 0, h, 0, name.length);
            put(h, 100, "0000644");
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", e.getValue().length));
            put(h, 136, "00000000000");
            h[156] = '0';
            put(h, 257, "ustar");
            put(h, 263, "00");
            for (int i = 148; i < 156; i++) h[i] = ' ';
            int sum = 0;
            for (byte x : h) sum += x & 0xFF;
            put(h, 148, String.format("%06o", sum));
            raw.write(h);
            raw.write(e.getValue());
            raw.write(new byte[(512 - e.getValue().length % 512) % 512]);
        }
        raw.write(new byte[1024]);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (var out = new GZIPOutputStream(gz)) {
            out.write(raw.toByteArray());
        }
        return gz.toByteArray();
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    static String integrity(byte[] data) throws Exception {
        return "sha512-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(data));
    }

    @Test
    void downloadRetriesWithExponentialBackoffThenCaches() throws Exception {
        byte[] body = tgz(Map.of("package/a.txt", "hello".getBytes(StandardCharsets.UTF_8)));
        URI reg = serve(n -> n <= 2 ? 503 : 200, body);
        var pkg = new NpmFetcher.Package("demo", "1.0.0", integrity(body));
        NpmFetcher f = fetcher(reg, 4);
        Path got = f.fetch(pkg);
        assertArrayEquals(body, Files.readAllBytes(got));
        assertEquals(3, requests.get());
        assertEquals(List.of(Duration.ofMillis(1), Duration.ofMillis(2)), sleeps, "backoff doubles");
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("attempt 1/4"));
        f.fetch(pkg);
        assertEquals(3, requests.get(), "a cached tarball is not downloaded again");
        assertEquals("hello", new String(TarGz.read(new ByteArrayInputStream(body), 1 << 20).get("package/a.txt"), StandardCharsets.UTF_8));
    }

    @Test
    void notFoundIsFinalAndCorruptDownloadsAreRetriedThenFail() throws Exception {
        URI reg = serve(n -> 404, new byte[0]);
        var pkg = new NpmFetcher.Package("demo", "1.0.0", integrity(new byte[] {1}));
        IOException e = assertThrows(IOException.class, () -> fetcher(reg, 4).fetch(pkg));
        assertTrue(e.getMessage().contains("404"), e.getMessage());
        assertEquals(1, requests.get());
        server.stop(0);

        requests.set(0);
        URI reg2 = serve(n -> 200, new byte[] {9, 9, 9});
        IOException e2 = assertThrows(IOException.class, () -> fetcher(reg2, 3).fetch(pkg));
        assertTrue(e2.getMessage().contains("integrity") && e2.getMessage().contains("3 attempts"), e2.getMessage());
        assertEquals(3, requests.get());
    }

    @Test
    void failedDownloadFallsBackToTheBundledExcerptWithALogLine() throws Exception {
        URI reg = serve(n -> 503, new byte[0]);
        Corpus c = new CorpusLoader(dir.resolve("cache"), fetcher(reg, 2), log).load("factbook");
        assertEquals("bundled", c.name());
        assertEquals(CorpusLoader.bundled().text(), c.text());
        String out = logBytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("FALLING BACK to the bundled excerpt"), out);
        assertEquals(2, requests.get());
    }

    @Test
    void factbookAndBrownTextsAreExtracted() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("package/europe/zz.json", """
                {"Introduction": {"Background": {"text": "Second   country.\\n History."}},
                 "Economy": {"Economy - overview": {"text": "Trade."}}}""".getBytes(StandardCharsets.UTF_8));
        files.put("package/africa/aa.json", """
                {"Introduction": {"Background": {"text": "First country."}}}""".getBytes(StandardCharsets.UTF_8));
        files.put("package/README.md", "not text of a profile".getBytes(StandardCharsets.UTF_8));
        assertEquals("First country.\n\nSecond country. History.\n\nTrade.\n", CorpusLoader.factbookText(files));

        Map<String, byte[]> brown = Map.of("package/ca01", "\n\n\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ,/, it/pps didn't/do* ./.\n"
                .getBytes(StandardCharsets.UTF_8), "package/README", "x".getBytes(StandardCharsets.UTF_8));
        assertEquals("The jury said \"no\", it didn't.\n\n", CorpusLoader.brownText(brown));
    }

    @Test
    void filesAndDirectoriesAreCorpora() throws Exception {
        Path d = Files.createDirectories(dir.resolve("texts/sub"));
        Files.writeString(dir.resolve("texts/b.txt"), "beta");
        Files.writeString(d.resolve("a.txt"), "alpha");
        Files.write(dir.resolve("texts/blob.bin"), new byte[] {1, 0, 2});
        CorpusLoader loader = new CorpusLoader(dir.resolve("cache"), fetcher(URI.create("http://127.0.0.1:9/"), 1), log);
        assertEquals("beta\n\nalpha", loader.load(dir.resolve("texts").toString()).text());
        assertEquals("alpha", loader.load(d.resolve("a.txt").toString()).text());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loader.load(dir.resolve("missing").toString()));
        assertTrue(e.getMessage().startsWith("--corpus"), e.getMessage());
        assertTrue(CorpusLoader.bundled().bytes() > 50_000 && CorpusLoader.bundled().bytes() <= 100_000);
    }
}
