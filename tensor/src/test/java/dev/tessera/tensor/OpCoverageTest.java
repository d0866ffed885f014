package dev.tessera.tensor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.ReduceOp;
import dev.tessera.tensor.ops.UnaryOp;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Fails when an op of the {@link Backend} SPI, or a constant of {@link UnaryOp},
 * {@link BinaryOp} or {@link ReduceOp}, has no test checking it against a reference. Tests
 * declare what they check with {@link OpReference}; this test scans every compiled test class of
 * the module for those annotations.
 */
class OpCoverageTest {

    /**
     * Backend methods that are not ops: they move data in and out of a backend and are exercised by
     * every other test (each reference reads results straight from storage, and inputs are built
     * with fromArray).
     */
    private static final Set<String> NOT_OPS = Set.of("device", "allocate", "toArray", "fromArray");

    /** Every op name that needs a reference test. */
    static Set<String> requiredOps() {
        Set<String> ops = new TreeSet<>();
        for (Method m : Backend.class.getMethods()) {
            if (m.isDefault() || java.lang.reflect.Modifier.isStatic(m.getModifiers())) continue;
            if (!NOT_OPS.contains(m.getName())) ops.add(m.getName());
        }
        for (UnaryOp op : UnaryOp.values()) ops.add("unary:" + op.name());
        for (BinaryOp op : BinaryOp.values()) ops.add("binary:" + op.name());
        for (ReduceOp op : ReduceOp.values()) ops.add("reduce:" + op.name());
        return ops;
    }

    /** Op name -> test methods ("Class#method") that declare a reference check of it. */
    static Map<String, List<String>> declaredReferences() throws IOException {
        Path root;
        try {
            root = Path.of(OpCoverageTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot locate the test classes", e);
        }
        Map<String, List<String>> refs = new TreeMap<>();
        List<Path> classFiles;
        try (Stream<Path> s = Files.walk(root)) {
            classFiles = s.filter(p -> p.toString().endsWith(".class")).toList();
        }
        ClassLoader loader = OpCoverageTest.class.getClassLoader();
        for (Path p : classFiles) {
            String rel = root.relativize(p).toString();
            String name = rel.substring(0, rel.length() - ".class".length()).replace(java.io.File.separatorChar, '.');
            if (name.endsWith("module-info") || name.endsWith("package-info")) continue;
            Class<?> c;
            try {
                c = Class.forName(name, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                throw new IllegalStateException("cannot load test class " + name, e);
            }
            for (Method m : c.getDeclaredMethods()) {
                OpReference ref = m.getAnnotation(OpReference.class);
                if (ref == null) continue;
                for (String op : ref.value()) {
                    refs.computeIfAbsent(op, k -> new ArrayList<>()).add(c.getSimpleName() + "#" + m.getName());
                }
            }
        }
        return refs;
    }

    @Test
    void everyBackendOpHasAReferenceTest() throws IOException {
        Set<String> required = requiredOps();
        Map<String, List<String>> refs = declaredReferences();
        assertFalse(refs.isEmpty(), "no @OpReference annotations found: is the test-classes scan broken?");
        Set<String> missing = new TreeSet<>(required);
        missing.removeAll(refs.keySet());
        if (!missing.isEmpty()) {
            fail(missing.size() + " op(s) of the Backend SPI have no reference test (annotate the test that checks "
                    + "them with @OpReference): " + missing);
        }
    }

    @Test
    void annotationsNameOnlyRealOps() throws IOException {
        Set<String> required = requiredOps();
        Set<String> unknown = new TreeSet<>();
        for (var e : declaredReferences().entrySet()) {
            if (!required.contains(e.getKey())) unknown.add(e.getKey() + " (in " + e.getValue() + ")");
        }
        assertTrue(unknown.isEmpty(), "@OpReference names that are not ops (typo or removed op?): " + unknown);
    }

    @Test
    void theListOfOpsIsTheSpi() {
        Set<String> ops = requiredOps();
        // guards the reflection: a few ops that must be there, and the excluded ones that must not
        for (String op : new String[] {"matmul", "unary", "binary", "reduce", "layerNorm", "unary:EXP", "binary:ADD",
                "reduce:ARGMAX"}) {
            assertTrue(ops.contains(op), op);
        }
        for (String op : NOT_OPS) assertFalse(ops.contains(op), op);
    }
}
