package dev.tessera.tensor.ops;

/**
 * Elementwise functions of two broadcast arguments. Comparison ops produce {@code BOOL};
 * the others produce the promoted type of their operands. {@link #apply(double, double)} is the
 * float64 definition (comparisons return 1 or 0).
 */
public enum BinaryOp {
    /** {@code a + b}. */
    ADD { public double apply(double a, double b) { return a + b; } },
    /** {@code a - b}. */
    SUB { public double apply(double a, double b) { return a - b; } },
    /** {@code a * b}. */
    MUL { public double apply(double a, double b) { return a * b; } },
    /** {@code a / b}. */
    DIV { public double apply(double a, double b) { return a / b; } },
    /** Elementwise maximum; NaN if either is NaN (as torch.maximum). */
    MAX { public double apply(double a, double b) { return a != a || b != b ? Double.NaN : Math.max(a, b); } },
    /** Elementwise minimum; NaN if either is NaN (as torch.minimum). */
    MIN { public double apply(double a, double b) { return a != a || b != b ? Double.NaN : Math.min(a, b); } },
    /** {@code a} raised to {@code b}. */
    POW { public double apply(double a, double b) { return Math.pow(a, b); } },
    /** {@code a == b}. */
    EQ { public double apply(double a, double b) { return a == b ? 1 : 0; } },
    /** {@code a != b}. */
    NE { public double apply(double a, double b) { return a != b ? 1 : 0; } },
    /** {@code a < b}. */
    LT { public double apply(double a, double b) { return a < b ? 1 : 0; } },
    /** {@code a <= b}. */
    LE { public double apply(double a, double b) { return a <= b ? 1 : 0; } },
    /** {@code a > b}. */
    GT { public double apply(double a, double b) { return a > b ? 1 : 0; } },
    /** {@code a >= b}. */
    GE { public double apply(double a, double b) { return a >= b ? 1 : 0; } },
    /** Logical and of truth values (nonzero is true). */
    AND { public double apply(double a, double b) { return a != 0 && b != 0 ? 1 : 0; } },
    /** Logical or of truth values (nonzero is true). */
    OR { public double apply(double a, double b) { return a != 0 || b != 0 ? 1 : 0; } };

    /** The float64 definition of this function. */
    public abstract double apply(double a, double b);

    /** True for the ops whose result is BOOL. */
    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }
}
