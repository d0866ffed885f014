package dev.tessera.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Fails when a differentiable op of {@link Variable} (a public method returning Variable or
 * Variable[]) is not listed by any {@link GradChecked} test, or when a test lists an op that does not exist.
 */
class AutogradCoverageTest {
    /** Test classes holding the gradchecks. */
    private static final List<Class<?>> GRADCHECK_TESTS = List.of(ElementwiseGradTest.class, ReductionGradTest.class,
            ShapeGradTest.class, IndexGradTest.class, LinalgGradTest.class, FusedGradTest.class, EngineTest.class);

    /** Public methods returning Variable that are not differentiable ops. */
    private static final Set<String> NOT_OPS = Set.of(
            "constant(Tensor)",   // creates a graph input without gradient
            "leaf(Tensor)",       // creates a graph input with gradient
            "detach()",           // cuts the graph on purpose (EngineTest checks it)
            "named(String)");     // sets a debug name, returns this

    static String signature(Method m) {
        return m.getName() + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(",", "(", ")"));
    }

    private static Set<String> ops() {
        Set<String> ops = new TreeSet<>();
        for (Method m : Variable.class.getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers())) continue;
            if (m.getReturnType() != Variable.class && m.getReturnType() != Variable[].class) continue;
            String s = signature(m);
            if (!NOT_OPS.contains(s)) ops.add(s);
        }
        return ops;
    }

    private static Set<String> checked() {
        Set<String> checked = new TreeSet<>();
        for (Class<?> c : GRADCHECK_TESTS) {
            for (Method m : c.getDeclaredMethods()) {
                GradChecked g = m.getAnnotation(GradChecked.class);
                if (g != null) checked.addAll(List.of(g.value()));
            }
        }
        return checked;
    }

    @Test
    void everyDifferentiableOpHasAGradcheck() {
        Set<String> missing = new TreeSet<>(ops());
        missing.removeAll(checked());
        assertTrue(missing.isEmpty(), "ops of Variable without a gradcheck: " + missing);
    }

    @Test
    void everyListedOpExists() {
        Set<String> unknown = new TreeSet<>(checked());
        unknown.removeAll(ops());
        assertTrue(unknown.isEmpty(), "@GradChecked lists unknown ops (typo or removed op): " + unknown);
    }

    @Test
    void theOpListIsNotEmpty() {
        // guards against the reflection filter silently matching nothing
        assertTrue(ops().size() > 80, "found only " + ops().size() + " ops: " + ops());
    }
}
