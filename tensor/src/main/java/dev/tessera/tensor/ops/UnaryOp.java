package dev.tessera.tensor.ops;

/**
 * Elementwise functions of one argument. Each constant knows its float64 reference value
 * ({@link #apply(double)}), which the CPU scalar kernels and the tests use as the definition.
 */
public enum UnaryOp {
    /** {@code -x}. */
    NEG { public double apply(double x) { return -x; } },
    /** {@code e^x}. */
    EXP { public double apply(double x) { return Math.exp(x); } },
    /** Natural logarithm. */
    LOG { public double apply(double x) { return Math.log(x); } },
    /** Square root. */
    SQRT { public double apply(double x) { return Math.sqrt(x); } },
    /** {@code 1 / sqrt(x)}. */
    RSQRT { public double apply(double x) { return 1.0 / Math.sqrt(x); } },
    /** Absolute value. */
    ABS { public double apply(double x) { return Math.abs(x); } },
    /** {@code x * x}. */
    SQUARE { public double apply(double x) { return x * x; } },
    /** {@code 1 / x}. */
    RECIPROCAL { public double apply(double x) { return 1.0 / x; } },
    /** Sine. */
    SIN { public double apply(double x) { return Math.sin(x); } },
    /** Cosine. */
    COS { public double apply(double x) { return Math.cos(x); } },
    /** Hyperbolic tangent. */
    TANH { public double apply(double x) { return Math.tanh(x); } },
    /** Logistic function, evaluated without overflow for large {@code |x|}. */
    SIGMOID { public double apply(double x) { return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x)); } },
    /** {@code max(x, 0)}, NaN preserved. */
    RELU { public double apply(double x) { return x > 0 ? x : (x == x ? 0.0 : x); } },
    /** GELU, exact form x * Phi(x). */
    GELU { public double apply(double x) { return 0.5 * x * (1.0 + Erf.erf(x / Math.sqrt(2.0))); } },
    /** GELU, tanh approximation. */
    GELU_TANH { public double apply(double x) {
        return 0.5 * x * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x))); } },
    /** ELU with alpha = 1: x for x &gt; 0, exp(x) - 1 otherwise. */
    ELU { public double apply(double x) { return x > 0 ? x : Math.expm1(x); } },
    /** SiLU (swish): x * sigmoid(x). */
    SILU { public double apply(double x) { return x * SIGMOID.apply(x); } },
    /** -1, 0 or 1 (NaN preserved). */
    SIGN { public double apply(double x) { return Math.signum(x); } },
    /** Largest integer not above x. */
    FLOOR { public double apply(double x) { return Math.floor(x); } },
    /** Smallest integer not below x. */
    CEIL { public double apply(double x) { return Math.ceil(x); } },
    /** Round half to even, as NumPy and PyTorch do. */
    ROUND { public double apply(double x) { return Math.rint(x); } },
    /** {@code log(1 + x)}. */
    LOG1P { public double apply(double x) { return Math.log1p(x); } },
    /** {@code e^x - 1}. */
    EXPM1 { public double apply(double x) { return Math.expm1(x); } },
    /** Error function. */
    ERF { public double apply(double x) { return Erf.erf(x); } };

    /** The float64 definition of this function. */
    public abstract double apply(double x);
}
