package dev.tessera.tensor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test method that checks backend ops against an independent reference (naive float64
 * loops or hand-computed values). {@link OpCoverageTest} collects these annotations from every
 * test class of the module and fails when an op of the {@link Backend} SPI, or a constant of
 * {@code UnaryOp}/{@code BinaryOp}/{@code ReduceOp}, is named by none of them.
 *
 * <p>Names: a {@code Backend} method name ({@code "matmul"}, {@code "layerNorm"}), or an enum
 * constant as {@code "unary:EXP"}, {@code "binary:ADD"}, {@code "reduce:SUM"}. A test that loops
 * over every constant of an enum still lists the constants, so adding a constant forces someone to
 * decide its domain and tolerance.
 *
 * <pre>{@code
 * @Test
 * @OpReference({"matmul"})
 * void batchedMatmulMatchesTripleLoop() { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface OpReference {
    /** The ops this test checks against a reference. */
    String[] value();
}
