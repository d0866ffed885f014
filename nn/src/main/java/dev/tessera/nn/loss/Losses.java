package dev.tessera.nn.loss;

import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Loss functions with a {@link Reduction} and optional per-sample weights.
 *
 * <p><b>Weights</b> are a 1-d tensor {@code w[N]} over the first (batch) dimension; sample
 * {@code i}'s element losses are multiplied by {@code w[i]}. With {@link Reduction#MEAN} the
 * result is the weighted mean {@code sum(w_i * l_ij) / (sum(w_i) * elementsPerSample)}, so all-ones
 * weights give the plain mean and scaling every weight leaves the loss unchanged. For
 * cross-entropy, rows whose target is the ignore index count neither in the sum nor in the
 * normaliser (PyTorch's rule).
 *
 * <pre>{@code
 * Variable loss = Losses.mse(model.forward(x), Variable.constant(y), Reduction.MEAN, null);
 * Variable ce = Losses.crossEntropy(logits, labels, Reduction.MEAN, -100, 0.1, null);
 * }</pre>
 */
public final class Losses {
    /** PyTorch's default ignore index for cross-entropy. */
    public static final int IGNORE_INDEX = -100;

    private Losses() {}

    // ------------------------------------------------------------------ regression

    /** Mean squared error with mean reduction. */
    public static Variable mse(Variable pred, Tensor target) {
        return mse(pred, Variable.constant(target), Reduction.MEAN, null);
    }

    /** Squared error {@code (pred - target)^2}; {@code weights} [N] may be null. */
    public static Variable mse(Variable pred, Variable target, Reduction reduction, Tensor weights) {
        checkSame("mse", pred, target);
        return reduce("mse", pred.sub(target).square(), reduction, weights);
    }

    /** Absolute error {@code |pred - target|} (the gradient at 0 is 0); {@code weights} may be null. */
    public static Variable l1(Variable pred, Variable target, Reduction reduction, Tensor weights) {
        checkSame("l1", pred, target);
        return reduce("l1", pred.sub(target).abs(), reduction, weights);
    }

    /**
     * Huber loss with threshold {@code delta}: {@code 0.5 d^2} for {@code |d| <= delta}, else
     * {@code delta (|d| - 0.5 delta)}, with {@code d = pred - target} (PyTorch's HuberLoss).
     */
    public static Variable huber(Variable pred, Variable target, double delta, Reduction reduction, Tensor weights) {
        checkSame("huber", pred, target);
        if (!(delta > 0)) throw new IllegalArgumentException("huber: delta must be > 0, got " + delta);
        Variable d = pred.sub(target);
        Variable abs = d.abs();
        Tensor small = abs.value().le(delta);
        Variable quad = d.square().mul(0.5);
        Variable lin = abs.sub(0.5 * delta).mul(delta);
        return reduce("huber", Variable.where(small, quad, lin), reduction, weights);
    }

    // ------------------------------------------------------------------ classification

    /**
     * Cross-entropy of logits {@code [N, C]} against I32 class indices {@code [N]}, with label
     * smoothing {@code ls} in [0, 1] (target distribution {@code (1 - ls) onehot + ls / C}) and an
     * ignore index whose rows contribute 0 and are not counted. {@code weights} [N] may be null.
     */
    public static Variable crossEntropy(Variable logits, Tensor targets, Reduction reduction, int ignoreIndex,
                                        double labelSmoothing, Tensor weights) {
        Variable rows = logits.crossEntropy(targets, ignoreIndex, labelSmoothing);
        Tensor valid = targets.ne(ignoreIndex).to(rows.dtype());
        if (weights != null) {
            checkWeights("crossEntropy", weights, rows.dim(0));
            Tensor w = weights.to(rows.dtype());
            rows = rows.mul(Variable.constant(w));
            valid = valid.mul(w);
        }
        return switch (reduction) {
            case NONE -> rows;
            case SUM -> rows.sum();
            case MEAN -> rows.sum().div(valid.sum().item());
        };
    }

    /** Cross-entropy with mean reduction, no smoothing and the default ignore index. */
    public static Variable crossEntropy(Variable logits, Tensor targets) {
        return crossEntropy(logits, targets, Reduction.MEAN, IGNORE_INDEX, 0.0, null);
    }

    /**
     * Binary cross-entropy on logits, {@code max(x, 0) - x y + log(1 + exp(-|x|))}, computed
     * stably; the gradient is {@code sigmoid(x) - y}. Targets are probabilities in [0, 1] with the
     * logits' shape; {@code weights} [N] may be null.
     */
    public static Variable bceWithLogits(Variable logits, Tensor targets, Reduction reduction, Tensor weights) {
        if (!Shape.same(logits.shape(), targets.shape())) {
            throw new IllegalArgumentException("bceWithLogits: logits " + Shape.str(logits.shape()) + " and targets "
                    + Shape.str(targets.shape()) + " must have the same shape");
        }
        Tensor x = logits.value(), y = targets.to(x.dtype());
        Tensor value = x.relu().sub(x.mul(y)).add(x.abs().neg().exp().log1p());
        Variable l = Variable.custom("bceWithLogits", value, new Variable[] {logits}, g -> new Tensor[] {x.sigmoid().sub(y).mul(g)});
        return reduce("bceWithLogits", l, reduction, weights);
    }

    // ------------------------------------------------------------------ helpers

    /** Applies per-sample weights and the reduction to element losses {@code l [N, ...]}. */
    static Variable reduce(String op, Variable l, Reduction reduction, Tensor weights) {
        if (weights != null) {
            if (l.rank() == 0) throw new IllegalArgumentException(op + ": per-sample weights need a batch dimension, loss is a scalar");
            checkWeights(op, weights, l.dim(0));
            int[] ws = new int[l.rank()];
            java.util.Arrays.fill(ws, 1);
            ws[0] = l.dim(0);
            l = l.mul(Variable.constant(weights.to(l.dtype()).reshape(ws)));
        }
        return switch (reduction) {
            case NONE -> l;
            case SUM -> l.sum();
            case MEAN -> {
                if (weights == null) yield l.mean();
                double perSample = l.rank() == 0 || l.dim(0) == 0 ? 1 : (double) l.numel() / l.dim(0);
                yield l.sum().div(weights.to(DType.F64).sum().item() * perSample);
            }
        };
    }

    private static void checkWeights(String op, Tensor w, int n) {
        if (w.rank() != 1 || w.dim(0) != n) {
            throw new IllegalArgumentException(op + ": weights must have shape [" + n + "], got " + Shape.str(w.shape()));
        }
    }

    private static void checkSame(String op, Variable pred, Variable target) {
        if (!Shape.same(pred.shape(), target.shape())) {
            throw new IllegalArgumentException(op + ": pred " + Shape.str(pred.shape()) + " and target "
                    + Shape.str(target.shape()) + " must have the same shape");
        }
    }
}
