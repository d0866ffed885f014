package dev.tessera.nn.optim;

import dev.tessera.tensor.Tensor;

/** The Adam moment update shared by {@link Adam} and {@link AdamW}. */
final class AdamUpdate {
    private AdamUpdate() {}

    /**
     * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * p = p (1 - lr wd) - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}, in place. Uses the
     * backend's fused kernel when the tensors allow it, else a composite of in-place ops.
     */
    static void apply(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double b1, double b2, double eps,
                      double decoupledDecay, long step) {
        if (Optimizer.fusable(p, g) && m.isContiguous() && v.isContiguous()) {
            p.backend().adamWStepInPlace(p, g, m, v, lr, b1, b2, eps, decoupledDecay, step);
            return;
        }
        double bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
        m.scaleInPlace(b1).addInPlace(g, 1 - b1);
        v.scaleInPlace(b2).addInPlace(g.square(), 1 - b2);
        if (decoupledDecay != 0) p.scaleInPlace(1 - lr * decoupledDecay);
        Tensor denom = v.sqrt().div(Math.sqrt(bc2)).add(eps);
        p.addInPlace(m.div(denom), -lr / bc1);
    }

    static void checkHyper(String op, double b1, double b2, double eps) {
        if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) {
            throw new IllegalArgumentException(op + ": betas must be in [0, 1), got " + b1 + ", " + b2);
        }
        if (!(eps >= 0)) throw new IllegalArgumentException(op + ": eps must be >= 0, got " + eps);
    }
}
