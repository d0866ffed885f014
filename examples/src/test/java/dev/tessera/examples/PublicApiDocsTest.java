package dev.tessera.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Javadoc tool with doclint over the library modules, as {@code mvn install} does when it
 * builds the Javadoc jars, and fails on any error (malformed HTML, a broken {@code @link}) and on any
 * public or protected type, method, constructor or field without a comment. Missing {@code @param}
 * and {@code @return} tags are allowed: one sentence that says what a member does is the bar.
 */
class PublicApiDocsTest {
    /** The modules whose public API is documented (app and bench are programs, not libraries). */
    private static final List<String> LIBRARY_MODULES = List.of("tensor", "autograd", "kernels", "nn", "moe", "lp");

    @TempDir
    Path out;

    private static boolean isMissingComment(String message) {
        return message.startsWith("no comment") || message.startsWith("no main description")
                || message.contains("default constructor, which does not provide a comment");
    }

    @Test
    void everyPublicMemberOfTheLibraryHasJavadocAndJavadocBuildsWithoutErrors() throws IOException {
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        List<Path> sources = new ArrayList<>();
        for (String m : LIBRARY_MODULES) {
            try (Stream<Path> s = Files.walk(root.resolve(m).resolve("src/main/java"))) {
                s.filter(f -> f.toString().endsWith(".java")).forEach(sources::add);
            }
        }
        assertTrue(sources.size() > 100, "found only " + sources.size() + " sources under " + root);

        var tool = ToolProvider.getSystemDocumentationTool();
        var diagnostics = new DiagnosticCollector<JavaFileObject>();
        var log = new StringWriter();
        boolean ok;
        try (var files = tool.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of("-d", out.toString(), "-quiet", "-Xdoclint:all", "-Xmaxwarns", "100000",
                    "-Xmaxerrs", "10000", "--add-modules", "jdk.incubator.vector", "-classpath", System.getProperty("java.class.path"));
            ok = tool.getTask(new PrintWriter(log), files, diagnostics, null, options, files.getJavaFileObjectsFromPaths(sources)).call();
        }

        List<String> problems = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            String message = d.getMessage(Locale.ROOT);
            if (d.getKind() == Diagnostic.Kind.ERROR || (d.getKind() == Diagnostic.Kind.WARNING && isMissingComment(message))) {
                String where = d.getSource() == null ? "" : root.relativize(Path.of(d.getSource().toUri())) + ":" + d.getLineNumber() + ": ";
                problems.add(where + d.getKind().toString().toLowerCase(Locale.ROOT) + ": " + message.lines().findFirst().orElse(""));
            }
        }
        assertTrue(ok && problems.isEmpty(), "Javadoc problems in the library's public API (" + problems.size() + "):\n  "
                + String.join("\n  ", problems) + (ok ? "" : "\njavadoc failed:\n" + log));
    }
}
