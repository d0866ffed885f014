package dev.tessera.app.score;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.List;

/**
 * Features of paired embeddings. Each row of {@code X [n, 2h]} is {@code [a | b]}: the first half
 * {@code a} embeds a text, the second half {@code b} the metric it is scored against.
 *
 * <ul>
 *   <li>{@link #scalars}: {@code [n, 8]} = cosine {@code a.b / max(|a||b|, eps)}, dot {@code a.b},
 *       L1 {@code sum|a - b|}, L2 {@code |a - b|}, {@code |a|}, {@code |b|}, norm ratio
 *       {@code |a| / max(|b|, eps)} and norm difference {@code |a| - |b|} (Euclidean norms).</li>
 *   <li>{@link #absDiff}: {@code |a - b|} elementwise, {@code [n, h]}.</li>
 *   <li>{@link #product}: {@code a * b} elementwise, {@code [n, h]}.</li>
 * </ul>
 * Computed with tensor ops in the input's floating dtype.
 *
 * <pre>{@code
 * PairFeatures f = PairFeatures.of(x);     // x [n, 2h]
 * Tensor s = f.scalars();                  // [n, 8], columns named by PairFeatures.SCALAR_NAMES
 * }</pre>
 *
 * @param scalars the eight similarity features
 * @param absDiff {@code |a - b|}
 * @param product {@code a * b}
 */
public record PairFeatures(Tensor scalars, Tensor absDiff, Tensor product) {
    /** Names of the columns of {@link #scalars()}, in order. */
    public static final List<String> SCALAR_NAMES = List.of("cosine", "dot", "l1", "l2", "norm_a", "norm_b", "norm_ratio", "norm_diff");

    /** Guards the divisions of the cosine and the norm ratio against zero vectors. */
    public static final double EPS = 1e-8;

    /** Computes the features of {@code x [n, 2h]} (floating dtype, even column count). */
    public static PairFeatures of(Tensor x) {
        if (x.rank() != 2 || x.dim(1) % 2 != 0 || x.dim(1) == 0) {
            throw new IllegalArgumentException("PairFeatures: x must be [n, 2h] (text half | metric half), got " + Shape.str(x.shape()));
        }
        Tensor.requireFloating("PairFeatures", x.dtype());
        int h = x.dim(1) / 2;
        Tensor a = x.narrow(1, 0, h), b = x.narrow(1, h, h);
        Tensor prod = a.mul(b);
        Tensor absDiff = a.sub(b).abs();
        Tensor dot = prod.sum(1);
        Tensor na = a.square().sum(1).sqrt(), nb = b.square().sum(1).sqrt();
        Tensor cos = dot.div(na.mul(nb).maximum(EPS));
        Tensor l1 = absDiff.sum(1);
        Tensor l2 = absDiff.square().sum(1).sqrt();
        Tensor ratio = na.div(nb.maximum(EPS));
        Tensor diff = na.sub(nb);
        Tensor scalars = Tensor.stack(1, cos, dot, l1, l2, na, nb, ratio, diff);
        return new PairFeatures(scalars, absDiff, prod);
    }

    /** Rows. */
    public int rows() {
        return scalars.dim(0);
    }

    /** The embedding half size {@code h}. */
    public int half() {
        return absDiff.dim(1);
    }
}
