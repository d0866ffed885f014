package dev.tessera.tensor;

import static dev.tessera.tensor.OpTestSupport.SHAPES;
import static dev.tessera.tensor.OpTestSupport.assertError;
import static dev.tessera.tensor.OpTestSupport.assertTensor;
import static dev.tessera.tensor.OpTestSupport.at;
import static dev.tessera.tensor.OpTestSupport.broadcastIndex;
import static dev.tessera.tensor.OpTestSupport.read;
import static dev.tessera.tensor.OpTestSupport.round;
import static dev.tessera.tensor.OpTestSupport.tensor;
import static dev.tessera.tensor.OpTestSupport.unravel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tessera.tensor.internal.cpu.CpuConfig;
import dev.tessera.tensor.ops.BinaryOp;
import dev.tessera.tensor.ops.UnaryOp;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Elementwise ops (unary, binary with broadcasting, scalar forms, where, clamp, conversions and the
 * in-place API) against float64 references on random inputs, contiguous and strided, for every
 * dtype. Tolerances: exact ops (neg, abs, floor, comparisons, int arithmetic) must match bit for
 * bit after rounding the reference to the output dtype; F32 arithmetic 1e-6 relative; F32
 * transcendentals 1e-5 relative + 1e-6 absolute; F64 1e-12 relative; BF16 results 8e-3 relative
 * (one bf16 ulp is 2^-8). Run twice by the build: SIMD path and {@code -Dtessera.simd=false}.
 */
class ElementwiseOpsTest {

    /** Input interval of a unary op: inside the function's domain and away from overflow. */
    private static double[] domain(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, SQUARE, RELU, SIGN, ELU, SILU, GELU, GELU_TANH -> new double[] {-6, 6};
            case EXP, EXPM1 -> new double[] {-10, 10};
            case LOG, RSQRT -> new double[] {0.01, 10};
            case SQRT -> new double[] {0, 10};
            case RECIPROCAL -> new double[] {0.1, 5};
            case SIN, COS -> new double[] {-10, 10};
            case TANH, ERF -> new double[] {-4, 4};
            case SIGMOID -> new double[] {-20, 20};
            case FLOOR, CEIL, ROUND -> new double[] {-5, 5};
            case LOG1P -> new double[] {-0.9, 10};
        };
    }

    /** True for unary ops whose F32 result must be the correctly rounded (or exact) value. */
    private static boolean exactUnary(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, SQUARE, RELU, SIGN, FLOOR, CEIL, ROUND, SQRT -> true;
            case EXP, LOG, RSQRT, RECIPROCAL, SIN, COS, TANH, SIGMOID, GELU, GELU_TANH, ELU, SILU, LOG1P, EXPM1,
                 ERF -> false;
        };
    }

    private static double[] unaryTolerance(UnaryOp op, DType dt) {
        return switch (dt) {
            case F64 -> new double[] {1e-12, 1e-14};
            case BF16 -> new double[] {8e-3, 1e-3};
            default -> exactUnary(op) ? new double[] {1e-7, 0} : new double[] {1e-5, 1e-6};
        };
    }

    @Test
    @OpReference({"unary", "unary:NEG", "unary:EXP", "unary:LOG", "unary:SQRT", "unary:RSQRT", "unary:ABS",
            "unary:SQUARE", "unary:RECIPROCAL", "unary:SIN", "unary:COS", "unary:TANH", "unary:SIGMOID", "unary:RELU",
            "unary:GELU", "unary:GELU_TANH", "unary:ELU", "unary:SILU", "unary:SIGN", "unary:FLOOR", "unary:CEIL",
            "unary:ROUND", "unary:LOG1P", "unary:EXPM1", "unary:ERF"})
    void unaryOpsMatchFloat64Reference() {
        Random r = new Random(11);
        for (UnaryOp op : UnaryOp.values()) {
            double[] dom = domain(op);
            for (DType dt : new DType[] {DType.F32, DType.F64, DType.BF16}) {
                for (int[] shape : SHAPES) {
                    for (boolean strided : new boolean[] {false, true}) {
                        if (dt == DType.BF16 && shape.length == 1 && shape[0] > 1000) continue;
                        Tensor x = OpTestSupport.random(r, strided, dt, dom[0], dom[1], shape);
                        double[] in = read(x);
                        double[] want = new double[in.length];
                        for (int i = 0; i < in.length; i++) want[i] = round(dt, op.apply(in[i]));
                        double[] tol = unaryTolerance(op, dt);
                        assertTensor(op + " " + dt + Shape.str(shape) + (strided ? " strided" : ""), dt, shape, want,
                                x.unary(op), tol[0], tol[1]);
                    }
                }
            }
        }
    }

    @Test
    @OpReference({"unary", "unary:ROUND", "unary:SIGN", "unary:RELU", "unary:SQRT", "unary:LOG"})
    void unarySpecialValues() {
        float[] ties = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, -0f};
        assertArrayEquals(new float[] {0, 2, 2, -0f, -2, -2, 4, -0f}, Tensor.of(ties).round().toFloatArray());
        Tensor special = Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, -1f});
        float[] sign = special.sign().toFloatArray();
        assertEquals(Float.NaN, sign[0]);
        assertArrayEquals(new float[] {1, -1, 0, -0f, -1}, java.util.Arrays.copyOfRange(sign, 1, 6));
        float[] relu = special.relu().toFloatArray();
        assertEquals(Float.NaN, relu[0]);
        assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(relu, 1, 6));
        float[] sqrt = special.sqrt().toFloatArray();
        assertEquals(Float.NaN, sqrt[2]);
        assertEquals(Float.NaN, sqrt[5]);
        assertEquals(Float.NEGATIVE_INFINITY, special.log().toFloatArray()[3]);
    }

    @Test
    @OpReference({"unary", "unary:NEG", "unary:ABS", "unary:SIGN", "unary:SQUARE", "unary:RELU", "unary:EXP",
            "unary:SQRT"})
    void unaryOnIntegerAndBoolInputs() {
        Random r = new Random(12);
        for (UnaryOp op : UnaryOp.values()) {
            boolean keepsInt = op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.SIGN || op == UnaryOp.SQUARE
                    || op == UnaryOp.RELU;
            double[] dom = domain(op);
            Tensor x = OpTestSupport.strided(r, DType.I32, dom[0], dom[1] + 1, 4, 9);
            DType out = keepsInt ? DType.I32 : DType.F32;
            double[] in = read(x), want = new double[in.length];
            for (int i = 0; i < in.length; i++) want[i] = round(out, op.apply(in[i]));
            assertTensor(op + " I32", out, new int[] {4, 9}, want, x.unary(op), 1e-5, 1e-6);
        }
        Tensor b = tensor(DType.BOOL, new double[] {1, 0, 1}, 3);
        assertTensor("exp BOOL", DType.F32, new int[] {3}, new double[] {(float) Math.E, 1, (float) Math.E}, b.exp(), 1e-6, 0);
    }

    /** Input interval of a binary op's operands. */
    private static double[][] domain(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, MAX, MIN -> new double[][] {{-3, 3}, {-3, 3}};
            case DIV -> new double[][] {{-3, 3}, {0.5, 4}};
            case POW -> new double[][] {{0.1, 3}, {-2, 2}};
            // whole numbers in [-2, 2), so equalities and zeros are frequent
            case EQ, NE, LT, LE, GT, GE, AND, OR -> new double[][] {{-2, 2}, {-2, 2}};
        };
    }

    private static boolean discrete(BinaryOp op) {
        return op.isComparison();
    }

    private static double[] values(Random r, BinaryOp op, int side, DType dt, int n) {
        double[] d = domain(op)[side];
        double[] v = OpTestSupport.values(r, dt, d[0], d[1], n);
        if (discrete(op)) for (int i = 0; i < n; i++) v[i] = Math.floor(v[i]);
        return v;
    }

    private static Tensor operand(Random r, BinaryOp op, int side, DType dt, boolean strided, int[] shape) {
        Tensor t = strided ? OpTestSupport.strided(r, dt, 0, 1, shape) : OpTestSupport.random(r, dt, 0, 1, shape);
        // overwrite with op-specific values through the in-place copy of a contiguous tensor of them
        Tensor v = tensor(dt, values(r, op, side, dt, Shape.numel(shape)), shape);
        return t.copyFrom(v);
    }

    private static double[] broadcastReference(BinaryOp op, Tensor a, Tensor b, int[] out, DType outType) {
        int n = Shape.numel(out);
        double[] want = new double[n];
        for (int i = 0; i < n; i++) {
            int[] idx = unravel(i, out);
            double x = at(a, broadcastIndex(idx, a.shape())), y = at(b, broadcastIndex(idx, b.shape()));
            want[i] = round(outType, op.apply(x, y));
        }
        return want;
    }

    private static final int[][][] BROADCAST_PAIRS = {
        {{3, 1, 5}, {4, 5}}, {{}, {2, 3}}, {{2, 3}, {}}, {{1}, {7}}, {{0, 3}, {1, 3}}, {{5, 1}, {1, 6}},
        {{4, 5}, {4, 1}}, {{2, 3, 7}, {2, 3, 7}}, {{6, 7001}, {7001}}, {{7001, 1}, {1, 6}}, {{40009}, {40009}},
    };

    @Test
    @OpReference({"binary", "binary:ADD", "binary:SUB", "binary:MUL", "binary:DIV", "binary:MAX", "binary:MIN",
            "binary:POW", "binary:EQ", "binary:NE", "binary:LT", "binary:LE", "binary:GT", "binary:GE", "binary:AND",
            "binary:OR"})
    void binaryOpsBroadcastMatchFloat64Reference() {
        Random r = new Random(21);
        for (BinaryOp op : BinaryOp.values()) {
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                for (int[][] pair : BROADCAST_PAIRS) {
                    for (int variant = 0; variant < 3; variant++) {
                        boolean sa = variant == 1, sb = variant >= 1;
                        Tensor a = operand(r, op, 0, dt, sa, pair[0]), b = operand(r, op, 1, dt, sb, pair[1]);
                        int[] out = Shape.broadcast("test", pair[0], pair[1]);
                        DType outType = op.isComparison() ? DType.BOOL : dt;
                        double[] want = broadcastReference(op, a, b, out, outType);
                        double rtol = dt == DType.F64 ? 1e-15 : op == BinaryOp.POW ? 1e-6 : 2.5e-7;
                        assertTensor(op + " " + dt + Shape.str(pair[0]) + "x" + Shape.str(pair[1]) + " variant " + variant,
                                outType, out, want, a.binary(op, b), rtol, 0);
                    }
                }
            }
        }
    }

    /** Result dtype of {@code op} on two operands of type {@code dt}, written out as a table. */
    private static DType sameTypeResult(BinaryOp op, DType dt) {
        if (op.isComparison()) return DType.BOOL;
        return switch (dt) {
            case F32, F64, BF16 -> dt;
            case I32, BOOL -> op == BinaryOp.DIV || op == BinaryOp.POW ? DType.F32 : DType.I32;
        };
    }

    @Test
    @OpReference({"binary", "binary:ADD", "binary:SUB", "binary:MUL", "binary:DIV", "binary:MAX", "binary:MIN",
            "binary:POW", "binary:EQ", "binary:NE", "binary:LT", "binary:LE", "binary:GT", "binary:GE", "binary:AND",
            "binary:OR"})
    void binaryOpsOnIntBoolAndBf16() {
        Random r = new Random(24);
        for (BinaryOp op : BinaryOp.values()) {
            for (DType dt : new DType[] {DType.I32, DType.BOOL, DType.BF16}) {
                for (int[][] pair : new int[][][] {{{3, 1, 5}, {4, 5}}, {{}, {7}}, {{0, 2}, {1}}}) {
                    Tensor a = operand(r, op, 0, dt, true, pair[0]), b = operand(r, op, 1, dt, false, pair[1]);
                    int[] out = Shape.broadcast("test", pair[0], pair[1]);
                    DType outType = sameTypeResult(op, dt);
                    double rtol = outType == DType.BF16 ? 8e-3 : outType == DType.F32 ? 1e-6 : 0;
                    assertTensor(op + " " + dt + Shape.str(pair[0]) + "x" + Shape.str(pair[1]), outType, out,
                            broadcastReference(op, a, b, out, outType), a.binary(op, b), rtol, 0);
                }
            }
        }
    }

    @Test
    @OpReference({"binary", "binary:ADD", "binary:DIV", "binary:POW", "binary:LT", "binary:AND", "binary:MAX"})
    void binaryPromotesDtypes() {
        Random r = new Random(22);
        // {a, b, op, expected out}: the promotion rules written out independently of DType.promote
        Object[][] cases = {
            {DType.F32, DType.F64, BinaryOp.ADD, DType.F64}, {DType.I32, DType.F32, BinaryOp.ADD, DType.F32},
            {DType.I32, DType.I32, BinaryOp.ADD, DType.I32}, {DType.I32, DType.I32, BinaryOp.MAX, DType.I32},
            {DType.I32, DType.I32, BinaryOp.DIV, DType.F32}, {DType.I32, DType.I32, BinaryOp.POW, DType.F32},
            {DType.I32, DType.I32, BinaryOp.LT, DType.BOOL}, {DType.BOOL, DType.BOOL, BinaryOp.ADD, DType.I32},
            {DType.BOOL, DType.BOOL, BinaryOp.AND, DType.BOOL}, {DType.F32, DType.F32, BinaryOp.AND, DType.BOOL},
            {DType.BF16, DType.BF16, BinaryOp.ADD, DType.BF16}, {DType.BF16, DType.F32, BinaryOp.ADD, DType.F32},
            {DType.BF16, DType.F64, BinaryOp.DIV, DType.F64}, {DType.I32, DType.BOOL, BinaryOp.ADD, DType.I32},
            {DType.BF16, DType.I32, BinaryOp.ADD, DType.F32}, {DType.F64, DType.I32, BinaryOp.LT, DType.BOOL},
        };
        for (Object[] c : cases) {
            DType da = (DType) c[0], db = (DType) c[1], want = (DType) c[3];
            BinaryOp op = (BinaryOp) c[2];
            Tensor a = operand(r, op, 0, da, true, new int[] {3, 1, 5}), b = operand(r, op, 1, db, false, new int[] {4, 5});
            double[] ref = broadcastReference(op, a, b, new int[] {3, 4, 5}, want);
            double rtol = want == DType.BF16 ? 8e-3 : 1e-6;
            assertTensor(op + " " + da + "x" + db, want, new int[] {3, 4, 5}, ref, a.binary(op, b), rtol, 0);
        }
    }

    @Test
    @OpReference({"binaryScalar", "binary:ADD", "binary:SUB", "binary:MUL", "binary:DIV", "binary:POW", "binary:MAX",
            "binary:MIN", "binary:EQ", "binary:NE", "binary:LT", "binary:LE", "binary:GT", "binary:GE"})
    void scalarVariantsMatchReference() {
        Random r = new Random(23);
        BinaryOp[] ops = {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.POW, BinaryOp.MAX,
                BinaryOp.MIN, BinaryOp.EQ, BinaryOp.NE, BinaryOp.LT, BinaryOp.LE, BinaryOp.GT, BinaryOp.GE};
        for (BinaryOp op : ops) {
            for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32, DType.BF16}) {
                for (int[] shape : SHAPES) {
                    if (dt == DType.BF16 && Shape.numel(shape) > 1000) continue;
                    for (boolean strided : new boolean[] {false, true}) {
                        for (boolean first : new boolean[] {false, true}) {
                            double s;
                            int side = 0;
                            if (op.isComparison()) {
                                s = 1.0;
                            } else if (op == BinaryOp.POW) {
                                s = 1.5;
                                side = first ? 1 : 0;
                            } else if (op == BinaryOp.DIV) {
                                s = first ? 2.0 : 1.25;
                                side = first ? 1 : 0;
                            } else {
                                s = first ? 2.0 : 0.75;
                            }
                            Tensor x = operand(r, op, side, dt, strided, shape);
                            boolean intResult = dt == DType.I32 && op != BinaryOp.DIV && op != BinaryOp.POW && s == Math.rint(s);
                            DType out = op.isComparison() ? DType.BOOL
                                    : dt == DType.I32 ? (intResult ? DType.I32 : DType.F32) : dt;
                            double[] in = read(x), want = new double[in.length];
                            // a float tensor computes with the scalar rounded to its own precision, as PyTorch does
                            double sv = dt == DType.F32 && !op.isComparison() ? (float) s : s;
                            for (int i = 0; i < in.length; i++) {
                                want[i] = round(out, first ? op.apply(sv, in[i]) : op.apply(in[i], sv));
                            }
                            Tensor got = first ? x.rbinary(op, s) : x.binary(op, s);
                            double rtol = out == DType.BF16 ? 8e-3 : out == DType.F64 ? 1e-15 : 2e-6;
                            assertTensor(op + (first ? " (scalar first) " : " ") + dt + Shape.str(shape)
                                    + (strided ? " strided" : ""), out, shape, want, got, rtol, 0);
                        }
                    }
                }
            }
        }
    }

    @Test
    @OpReference({"binaryScalar", "binary:SUB", "binary:DIV"})
    void namedScalarMethods() {
        Tensor x = Tensor.of(new float[] {1, 2, 4, -8}, 2, 2).mT();
        assertArrayEquals(new float[] {4, 1, 3, 13}, x.rsub(5).toFloatArray());
        assertArrayEquals(new float[] {8, 2, 4, -1}, x.rdiv(8).toFloatArray());
        assertArrayEquals(new float[] {3.5f, 6.5f, 4.5f, -5.5f}, x.add(2.5).toFloatArray());
        assertArrayEquals(new float[] {0.5f, 2, 1, -4}, x.div(2).toFloatArray());
        Tensor i = Tensor.of(new int[] {1, 2, 3});
        assertEquals(DType.I32, i.add(2.0).dtype());
        assertArrayEquals(new int[] {3, 4, 5}, i.add(2.0).toIntArray());
        assertEquals(DType.F32, i.add(0.5).dtype());
        assertArrayEquals(new float[] {1.5f, 2.5f, 3.5f}, i.add(0.5).toFloatArray());
        assertArrayEquals(new float[] {6, 3, 2}, i.rdiv(6).toFloatArray());
        assertArrayEquals(new int[] {4, 3, 2}, i.rsub(5).toIntArray());
    }

    @Test
    @OpReference({"where"})
    void whereBroadcastsAndPromotes() {
        Random r = new Random(31);
        int[][][] shapes = {{{3, 1, 5}, {4, 5}, {1}}, {{}, {2, 3}, {2, 3}}, {{4, 1}, {}, {1, 6}}, {{0, 2}, {2}, {1, 2}},
            {{6, 7001}, {7001}, {6, 1}}};
        DType[][] types = {{DType.F32, DType.F32}, {DType.F64, DType.F32}, {DType.I32, DType.I32}, {DType.BF16, DType.F32},
            {DType.BOOL, DType.BOOL}};
        for (int[][] s : shapes) {
            for (DType[] t : types) {
                for (boolean strided : new boolean[] {false, true}) {
                    Tensor c = OpTestSupport.random(r, strided, DType.BOOL, 0, 1, s[0]);
                    Tensor a = OpTestSupport.random(r, strided, t[0], -5, 5, s[1]);
                    Tensor b = OpTestSupport.random(r, !strided, t[1], -5, 5, s[2]);
                    int[] out = Shape.broadcast("t", Shape.broadcast("t", s[0], s[1]), s[2]);
                    DType outType = t[0] == t[1] ? t[0] : t[0] == DType.F64 ? DType.F64 : DType.F32;
                    double[] want = new double[Shape.numel(out)];
                    for (int i = 0; i < want.length; i++) {
                        int[] idx = unravel(i, out);
                        boolean cv = at(c, broadcastIndex(idx, s[0])) != 0;
                        want[i] = cv ? at(a, broadcastIndex(idx, s[1])) : at(b, broadcastIndex(idx, s[2]));
                    }
                    assertTensor("where " + Shape.str(s[0]) + " " + t[0] + "/" + t[1], outType, out, want,
                            Tensor.where(c, a, b), 0, 0);
                }
            }
        }
        assertError(() -> Tensor.where(Tensor.of(new float[] {1}), Tensor.of(new float[] {1}), Tensor.of(new float[] {2})),
                "where", "BOOL");
        assertError(() -> Tensor.where(Tensor.of(new boolean[] {true, false, true}), Tensor.of(new float[] {1, 2}),
                Tensor.of(new float[] {2})), "where", "[3]", "[2]");
    }

    @Test
    @OpReference({"clamp"})
    void clampMatchesReference() {
        Random r = new Random(32);
        double[][] bounds = {{-1, 1}, {Double.NEGATIVE_INFINITY, 0.5}, {-0.25, Double.POSITIVE_INFINITY}, {2, 2}};
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32, DType.BF16}) {
            for (int[] shape : SHAPES) {
                for (double[] b : bounds) {
                    Tensor x = OpTestSupport.random(r, shape.length == 2, dt, -3, 3, shape);
                    double[] in = read(x), want = new double[in.length];
                    // an I32 tensor clamped to a fractional bound stores the bound truncated toward zero
                    for (int i = 0; i < in.length; i++) want[i] = round(dt, Math.min(Math.max(in[i], b[0]), b[1]));
                    assertTensor("clamp " + dt + Shape.str(shape) + " [" + b[0] + "," + b[1] + "]", dt, shape, want,
                            x.clamp(b[0], b[1]), 0, 0);
                }
            }
        }
        assertEquals(Float.NaN, Tensor.of(new float[] {Float.NaN}).clamp(0, 1).toFloatArray()[0]);
        assertError(() -> Tensor.of(new float[] {1}).clamp(2, 1), "clamp", "2", "1");
    }

    @Test
    @OpReference({"copyInPlace"})
    void conversionsBetweenAllDtypes() {
        double[] v = {0, -0.0, 1, -1.5, 2.75, -3, 100.5, 1e-3, -1e6};
        for (DType from : DType.values()) {
            double[] src = new double[v.length];
            for (int i = 0; i < v.length; i++) src[i] = round(from, v[i]);
            Tensor x = tensor(from, src, 3, 3).mT();
            double[] in = read(x);
            for (DType to : DType.values()) {
                double[] want = new double[in.length];
                for (int i = 0; i < in.length; i++) {
                    // F64 -> BF16 rounds through F32 (as PyTorch's BFloat16(float) constructor does)
                    want[i] = to == DType.I32 ? (double) (int) in[i] : round(to, in[i]);
                }
                Tensor y = x.to(to);
                assertTensor(from + "->" + to, to, new int[] {3, 3}, want, y, 0, 0);
                if (from == to) assertSame(x, y);
            }
        }
    }

    /** Round-to-nearest-even reference: pick the nearer of the two bf16 neighbours in exact arithmetic. */
    private static short bf16Reference(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int lo = bits & 0xffff0000;
        int hi = lo + 0x10000;
        if (lo == bits) return (short) (lo >>> 16);
        java.math.BigDecimal x = new java.math.BigDecimal(f);
        java.math.BigDecimal vl = new java.math.BigDecimal(Float.intBitsToFloat(lo));
        float fh = Float.intBitsToFloat(hi);
        // above the largest finite bf16 the upper neighbour is infinity, reached at 2^128 (the next power)
        java.math.BigDecimal vh = Float.isInfinite(fh)
                ? java.math.BigDecimal.valueOf(2).pow(128).multiply(java.math.BigDecimal.valueOf((long) Math.signum(f)))
                : new java.math.BigDecimal(fh);
        int c = x.subtract(vl).abs().compareTo(x.subtract(vh).abs());
        if (c < 0 || (c == 0 && ((lo >>> 16) & 1) == 0)) return (short) (lo >>> 16);
        return (short) (hi >>> 16);
    }

    @Test
    @OpReference({"copyInPlace"})
    void bf16RoundsToNearestEven() {
        Random r = new Random(41);
        float[] f = new float[20000];
        for (int i = 0; i < f.length; i++) {
            int bits = r.nextInt();
            if (i % 4 == 0) bits = (bits & 0xffff0000) | 0x8000; // exact ties
            f[i] = Float.intBitsToFloat(bits);
        }
        f[0] = 1.00390625f;        // 1 + 2^-8: tie, rounds down to even 1.0
        f[1] = 1.01171875f;        // 1 + 3*2^-8: tie, rounds up to even
        f[2] = Float.MAX_VALUE;    // rounds to +inf
        f[3] = -0f;
        f[4] = Float.MIN_VALUE;    // smallest subnormal rounds to 0
        f[5] = Float.NaN;
        Tensor x = Tensor.of(f, 2, 10000).mT();
        Tensor b = x.to(DType.BF16);
        float[] xf = new float[f.length];
        double[] read = read(x);
        for (int i = 0; i < f.length; i++) xf[i] = (float) read[i];
        short[] got = (short[]) b.backend().toArray(b);
        for (int i = 0; i < f.length; i++) {
            if (Float.isNaN(xf[i])) {
                assertEquals(Float.NaN, DType.fromBf16(got[i]), "NaN stays NaN");
                continue;
            }
            assertEquals(bf16Reference(xf[i]), got[i], "bf16 of " + xf[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(xf[i])) + ")");
        }
        assertEquals(1.0f, DType.fromBf16(DType.toBf16(1.00390625f)));
        assertEquals(1.015625f, DType.fromBf16(DType.toBf16(1.01171875f)));
        assertEquals(Float.POSITIVE_INFINITY, DType.fromBf16(DType.toBf16(Float.MAX_VALUE)));
        // bf16 -> f32 is exact, so a round trip through F32 is the identity on bf16 values
        assertArrayEquals(got, (short[]) b.to(DType.F32).to(DType.BF16).backend().toArray(b.to(DType.F32).to(DType.BF16)));
    }

    @Test
    @OpReference({"addInPlace", "scaleInPlace", "fillInPlace", "copyInPlace"})
    void inPlaceOpsOnNonContiguousDestinations() {
        Random r = new Random(51);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32, DType.BF16}) {
            for (int[] shape : new int[][] {{4, 6}, {3, 0}, {1, 1}, {211, 37}}) {
                Tensor base = OpTestSupport.random(r, dt, -4, 4, shape[1] * 2, shape[0] + 1);
                double[] before = read(base);
                // dst = base[0:2*n:2, 1:].T : strided, transposed, offset 1
                Tensor dst = base.slice(0, 0, shape[1] * 2, 2).slice(1, 1, shape[0] + 1).mT();
                assertArrayEquals(shape, dst.shape());
                double[] d0 = read(dst);
                Tensor src = OpTestSupport.random(r, DType.F64, -4, 4, 1, shape[1]);
                double[] sv = read(src);
                double alpha = dt == DType.I32 ? 2 : 0.5;
                dst.addInPlace(src.to(dt == DType.I32 ? DType.I32 : DType.F64), alpha);
                double[] want = new double[d0.length];
                for (int i = 0; i < d0.length; i++) {
                    double s = dt == DType.I32 ? (int) sv[i % Math.max(1, shape[1])] : sv[i % Math.max(1, shape[1])];
                    want[i] = round(dt, d0[i] + alpha * s);
                }
                double tol = dt == DType.BF16 ? 8e-3 : dt == DType.F32 ? 1e-6 : 1e-15;
                assertTensor("addInPlace " + dt, dt, shape, want, dst, tol, 1e-6);
                untouched(base, before, shape, "addInPlace " + dt);

                double[] d1 = read(dst);
                dst.scaleInPlace(-1.5);
                for (int i = 0; i < d1.length; i++) want[i] = round(dt, d1[i] * -1.5);
                assertTensor("scaleInPlace " + dt, dt, shape, want, dst, tol, 1e-6);
                untouched(base, before, shape, "scaleInPlace " + dt);

                dst.fillInPlace(3.25);
                java.util.Arrays.fill(want, round(dt, 3.25));
                assertTensor("fillInPlace " + dt, dt, shape, want, dst, 0, 0);
                untouched(base, before, shape, "fillInPlace " + dt);

                Tensor from = OpTestSupport.strided(r, DType.F32, -4, 4, shape[1]);
                double[] fv = read(from);
                dst.copyFrom(from);
                for (int i = 0; i < want.length; i++) want[i] = round(dt, fv[i % Math.max(1, shape[1])]);
                if (dt == DType.I32) for (int i = 0; i < want.length; i++) want[i] = (int) fv[i % Math.max(1, shape[1])];
                assertTensor("copyFrom " + dt, dt, shape, want, dst, 0, 0);
                untouched(base, before, shape, "copyFrom " + dt);
            }
        }
        Tensor t = Tensor.zeros(DType.F32, 2, 3);
        assertError(() -> t.addInPlace(Tensor.zeros(DType.F32, 3, 3)), "addInPlace", "[3,3]", "[2,3]");
        assertError(() -> t.copyFrom(Tensor.zeros(DType.F32, 2, 3, 1)), "copyFrom", "[2,3,1]", "[2,3]");
    }

    /** Elements of the base buffer outside the view dst = base[0::2, 1:].T must keep their values. */
    private static void untouched(Tensor base, double[] before, int[] shape, String what) {
        double[] now = read(base);
        int cols = shape[0] + 1;
        for (int i = 0; i < now.length; i++) {
            int row = i / cols, col = i % cols;
            boolean inView = row % 2 == 0 && col >= 1;
            if (!inView) assertEquals(before[i], now[i], what + ": element " + i + " outside the view changed");
        }
    }

    @Test
    @OpReference({"binary"})
    void errorsNameOpAndShapes() {
        Tensor a = Tensor.zeros(DType.F32, 3, 4), b = Tensor.zeros(DType.F32, 5);
        assertError(() -> a.add(b), "add", "[3,4]", "[5]");
        assertError(() -> a.mul(Tensor.zeros(DType.F32, 2, 4)), "mul", "[3,4]", "[2,4]");
        assertError(() -> a.lt(b), "lt", "[3,4]", "[5]");
    }

    @Test
    void scalarExecutionReallyRunsTheScalarPath() {
        // the second surefire execution sets -Dtessera.simd=false: prove it reached the backend
        if ("false".equals(System.getProperty("tessera.simd"))) assertFalse(CpuConfig.simd());
    }
}
