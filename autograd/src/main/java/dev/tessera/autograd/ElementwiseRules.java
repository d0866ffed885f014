package dev.tessera.autograd;

import static dev.tessera.autograd.Grads.keepWhere;
import static dev.tessera.autograd.Grads.sumTo;

import dev.tessera.tensor.Tensor;

/**
 * Forward and derivative rules of the elementwise ops (unary, binary with broadcasting, scalar
 * variants). Derivatives are taken from the output where that is cheaper (exp, tanh, sigmoid, ...).
 */
final class ElementwiseRules {
    private ElementwiseRules() {}

    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
    private static final double GELU_C = Math.sqrt(2 / Math.PI);
    private static final double GELU_K = 0.044715;

    // ------------------------------------------------------------------ binary

    static Variable add(Variable a, Variable b) {
        Tensor out = a.value().add(b.value());
        int[] as = a.shape(), bs = b.shape();
        boolean na = a.requiresGrad(), nb = b.requiresGrad();
        return Variable.record("add", out, g -> new Tensor[] {na ? sumTo(g, as) : null, nb ? sumTo(g, bs) : null}, a, b);
    }

    static Variable sub(Variable a, Variable b) {
        Tensor out = a.value().sub(b.value());
        int[] as = a.shape(), bs = b.shape();
        boolean na = a.requiresGrad(), nb = b.requiresGrad();
        return Variable.record("sub", out, g -> new Tensor[] {na ? sumTo(g, as) : null, nb ? sumTo(g.neg(), bs) : null}, a, b);
    }

    static Variable mul(Variable a, Variable b) {
        Tensor av = a.value(), bv = b.value();
        boolean na = a.requiresGrad(), nb = b.requiresGrad();
        return Variable.record("mul", av.mul(bv), g -> new Tensor[] {
                na ? sumTo(g.mul(bv), av.shape()) : null,
                nb ? sumTo(g.mul(av), bv.shape()) : null}, a, b);
    }

    static Variable div(Variable a, Variable b) {
        Tensor av = a.value(), bv = b.value();
        Tensor out = av.div(bv);
        boolean na = a.requiresGrad(), nb = b.requiresGrad();
        return Variable.record("div", out, g -> {
            Tensor gb = g.div(bv);
            return new Tensor[] {na ? sumTo(gb, av.shape()) : null, nb ? sumTo(gb.mul(out).neg(), bv.shape()) : null};
        }, a, b);
    }

    /** PyTorch's rule: the gradient goes to the larger operand, split 0.5/0.5 on ties. */
    static Variable maximum(Variable a, Variable b, boolean max) {
        Tensor av = a.value(), bv = b.value();
        Tensor out = max ? av.maximum(bv) : av.minimum(bv);
        boolean na = a.requiresGrad(), nb = b.requiresGrad();
        return Variable.record(max ? "maximum" : "minimum", out, g -> {
            Tensor wa = tieWeight(av, bv, max, g);
            return new Tensor[] {
                    na ? sumTo(g.mul(wa), av.shape()) : null,
                    nb ? sumTo(g.mul(wa.rsub(1.0)), bv.shape()) : null};
        }, a, b);
    }

    /** 1 where a wins, 0.5 on a tie, 0 where b wins, in g's dtype. */
    private static Tensor tieWeight(Tensor a, Tensor b, boolean max, Tensor g) {
        Tensor wins = max ? a.gt(b) : a.lt(b);
        return wins.to(g.dtype()).add(a.eq(b).to(g.dtype()).mul(0.5));
    }

    static Variable maximum(Variable a, double s, boolean max) {
        Tensor av = a.value();
        Tensor out = max ? av.maximum(s) : av.minimum(s);
        return Variable.record(max ? "maximum" : "minimum", out, g -> {
            Tensor wins = max ? av.gt(s) : av.lt(s);
            Tensor w = wins.to(g.dtype()).add(av.eq(s).to(g.dtype()).mul(0.5));
            return new Tensor[] {g.mul(w)};
        }, a);
    }

    static Variable pow(Variable a, Variable b) {
        Tensor av = a.value(), bv = b.value();
        Tensor out = av.pow(bv);
        boolean na = a.requiresGrad(), nb = b.requiresGrad();
        return Variable.record("pow", out, g -> {
            Tensor ga = na ? sumTo(g.mul(bv).mul(av.pow(bv.sub(1.0))), av.shape()) : null;
            // d/db a^b = a^b ln a; PyTorch defines it as 0 where a == 0 (the limit for b > 0).
            Tensor gb = nb ? sumTo(Tensor.where(av.eq(0.0), Grads.zero(g), g.mul(out).mul(av.log())), bv.shape()) : null;
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    static Variable pow(Variable a, double p) {
        Tensor av = a.value();
        return Variable.record("pow", av.pow(p), g -> {
            if (p == 0) return new Tensor[] {g.mul(0.0)};
            if (p == 1) return new Tensor[] {g};
            if (p == 2) return new Tensor[] {g.mul(av).mul(2.0)};
            return new Tensor[] {g.mul(av.pow(p - 1)).mul(p)};
        }, a);
    }

    // ------------------------------------------------------------------ scalar

    static Variable add(Variable a, double s) {
        return Variable.record("add", a.value().add(s), g -> new Tensor[] {g}, a);
    }

    static Variable sub(Variable a, double s) {
        return Variable.record("sub", a.value().sub(s), g -> new Tensor[] {g}, a);
    }

    static Variable rsub(Variable a, double s) {
        return Variable.record("rsub", a.value().rsub(s), g -> new Tensor[] {g.neg()}, a);
    }

    static Variable mul(Variable a, double s) {
        return Variable.record("mul", a.value().mul(s), g -> new Tensor[] {g.mul(s)}, a);
    }

    static Variable div(Variable a, double s) {
        return Variable.record("div", a.value().div(s), g -> new Tensor[] {g.div(s)}, a);
    }

    static Variable rdiv(Variable a, double s) {
        Tensor av = a.value();
        Tensor out = av.rdiv(s);
        // d(s/x)/dx = -s/x^2 = -out/x
        return Variable.record("rdiv", out, g -> new Tensor[] {g.mul(out).div(av).neg()}, a);
    }

    // ------------------------------------------------------------------ unary

    static Variable neg(Variable a) {
        return Variable.record("neg", a.value().neg(), g -> new Tensor[] {g.neg()}, a);
    }

    static Variable exp(Variable a) {
        Tensor out = a.value().exp();
        return Variable.record("exp", out, g -> new Tensor[] {g.mul(out)}, a);
    }

    static Variable log(Variable a) {
        Tensor av = a.value();
        return Variable.record("log", av.log(), g -> new Tensor[] {g.div(av)}, a);
    }

    static Variable sqrt(Variable a) {
        Tensor out = a.value().sqrt();
        return Variable.record("sqrt", out, g -> new Tensor[] {g.div(out).mul(0.5)}, a);
    }

    static Variable rsqrt(Variable a) {
        Tensor out = a.value().rsqrt();
        // d x^{-1/2} = -1/2 x^{-3/2} = -1/2 out^3
        return Variable.record("rsqrt", out, g -> new Tensor[] {g.mul(out.mul(out).mul(out)).mul(-0.5)}, a);
    }

    static Variable abs(Variable a) {
        Tensor av = a.value();
        return Variable.record("abs", av.abs(), g -> new Tensor[] {g.mul(av.sign())}, a);
    }

    static Variable square(Variable a) {
        Tensor av = a.value();
        return Variable.record("square", av.square(), g -> new Tensor[] {g.mul(av).mul(2.0)}, a);
    }

    static Variable reciprocal(Variable a) {
        Tensor out = a.value().reciprocal();
        return Variable.record("reciprocal", out, g -> new Tensor[] {g.mul(out.square()).neg()}, a);
    }

    static Variable sin(Variable a) {
        Tensor av = a.value();
        return Variable.record("sin", av.sin(), g -> new Tensor[] {g.mul(av.cos())}, a);
    }

    static Variable cos(Variable a) {
        Tensor av = a.value();
        return Variable.record("cos", av.cos(), g -> new Tensor[] {g.mul(av.sin()).neg()}, a);
    }

    static Variable tanh(Variable a) {
        Tensor out = a.value().tanh();
        return Variable.record("tanh", out, g -> new Tensor[] {g.mul(out.square().rsub(1.0))}, a);
    }

    static Variable sigmoid(Variable a) {
        Tensor out = a.value().sigmoid();
        return Variable.record("sigmoid", out, g -> new Tensor[] {g.mul(out).mul(out.rsub(1.0))}, a);
    }

    static Variable relu(Variable a) {
        Tensor av = a.value();
        return Variable.record("relu", av.relu(), g -> new Tensor[] {keepWhere(av.gt(0.0), g)}, a);
    }

    /** Exact GELU: d/dx x Phi(x) = Phi(x) + x phi(x). */
    static Variable gelu(Variable a) {
        Tensor x = a.value();
        return Variable.record("gelu", x.gelu(), g -> new Tensor[] {x.backend().geluBackward(x, g)}, a);
    }

    /** Tanh GELU 0.5 x (1 + tanh u), u = c (x + k x^3): derivative 0.5(1+t) + 0.5 x (1-t^2) c (1 + 3k x^2). */
    static Variable geluTanh(Variable a) {
        Tensor x = a.value();
        return Variable.record("geluTanh", x.geluTanh(), g -> {
            Tensor x2 = x.square();
            Tensor t = x.mul(x2.mul(GELU_K).add(1.0)).mul(GELU_C).tanh();
            Tensor du = x2.mul(3 * GELU_K).add(1.0).mul(GELU_C);
            Tensor d = t.add(1.0).mul(0.5).add(x.mul(0.5).mul(t.square().rsub(1.0)).mul(du));
            return new Tensor[] {g.mul(d)};
        }, a);
    }

    /** ELU (alpha 1): 1 for x > 0, exp(x) = out + 1 otherwise. */
    static Variable elu(Variable a) {
        Tensor x = a.value();
        Tensor out = x.elu();
        // d elu / dx = 1 above 0 and exp(x) = out + 1 below, i.e. min(out + 1, 1): two vector passes, no mask
        return Variable.record("elu", out, g -> new Tensor[] {g.mul(out.add(1.0).minimum(1.0))}, a);
    }

    /** SiLU x s(x): derivative s (1 + x (1 - s)). */
    static Variable silu(Variable a) {
        Tensor x = a.value();
        return Variable.record("silu", x.silu(), g -> {
            Tensor s = x.sigmoid();
            return new Tensor[] {g.mul(s.mul(x.mul(s.rsub(1.0)).add(1.0)))};
        }, a);
    }

    static Variable log1p(Variable a) {
        Tensor x = a.value();
        return Variable.record("log1p", x.log1p(), g -> new Tensor[] {g.div(x.add(1.0))}, a);
    }

    static Variable expm1(Variable a) {
        Tensor out = a.value().expm1();
        return Variable.record("expm1", out, g -> new Tensor[] {g.mul(out.add(1.0))}, a);
    }

    static Variable erf(Variable a) {
        Tensor x = a.value();
        return Variable.record("erf", x.erf(), g -> new Tensor[] {g.mul(x.square().neg().exp()).mul(TWO_OVER_SQRT_PI)}, a);
    }

    /** Gradient passes where lo <= x <= hi (PyTorch's convention at the bounds). */
    static Variable clamp(Variable a, double lo, double hi) {
        Tensor x = a.value();
        return Variable.record("clamp", x.clamp(lo, hi), g -> new Tensor[] {keepWhere(x.ge(lo).and(x.le(hi)), g)}, a);
    }

    /** {@code cond ? a : b}; each gradient is summed back to its operand's shape. */
    static Variable where(Tensor cond, Variable a, Variable b) {
        Tensor out = Tensor.where(cond, a.value(), b.value());
        int[] as = a.shape(), bs = b.shape();
        boolean na = a.requiresGrad(), nb = b.requiresGrad();
        return Variable.record("where", out, g -> {
            Tensor z = Grads.zero(g);
            return new Tensor[] {
                    na ? sumTo(Tensor.where(cond, g, z), as) : null,
                    nb ? sumTo(Tensor.where(cond, z, g), bs) : null};
        }, a, b);
    }
}
