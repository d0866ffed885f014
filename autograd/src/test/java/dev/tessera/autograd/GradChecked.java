package dev.tessera.autograd;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test that gradchecks the listed {@link Variable} ops. Each entry is a method signature
 * as {@code name(ParamType,...)} with simple type names, e.g. {@code "add(Variable)"},
 * {@code "sum(int[])"}; {@link AutogradCoverageTest} fails for any op no test lists.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface GradChecked {
    String[] value();
}
