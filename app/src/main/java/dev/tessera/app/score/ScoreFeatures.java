package dev.tessera.app.score;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The score recipe's feature pipeline, fitted on training rows and then applied to any rows:
 * {@link PairFeatures} of {@code [a | b]}, the two high-dimensional blocks {@code |a - b|} and
 * {@code a * b} optionally reduced each by its own {@link Pca} to {@code pcaComponents} columns,
 * and all columns robust-scaled ({@link RobustScaler}, clipped to {@code +-clip}).
 *
 * <pre>{@code
 * ScoreFeatures f = ScoreFeatures.fit(xTrain, 16, 10);   // PCA to 16 per block, clip at 10 IQRs
 * Tensor train = f.transform(xTrain), test = f.transform(xTest);   // float32 [n, 8 + 2 * 16]
 * }</pre>
 */
public final class ScoreFeatures {
    private final int half;
    private final Pca absDiffPca, productPca;
    private final RobustScaler scaler;
    private final List<String> names;

    private ScoreFeatures(int half, Pca absDiffPca, Pca productPca, RobustScaler scaler, List<String> names) {
        this.half = half;
        this.absDiffPca = absDiffPca;
        this.productPca = productPca;
        this.scaler = scaler;
        this.names = List.copyOf(names);
    }

    /**
     * Fits the pipeline on {@code x [n, 2h]}.
     *
     * @param pcaComponents components kept per block (0: keep the blocks whole; at most {@code h})
     * @param clip          bound of the scaled values (0: no clipping)
     */
    public static ScoreFeatures fit(Tensor x, int pcaComponents, double clip) {
        PairFeatures f = PairFeatures.of(x);
        int h = f.half();
        if (pcaComponents < 0 || pcaComponents > h) {
            throw new IllegalArgumentException("--pca: components must be in [0, " + h + "] for embedding halves of " + h + ", got " + pcaComponents);
        }
        Pca pd = pcaComponents > 0 ? Pca.fit(f.absDiff(), pcaComponents) : null;
        Pca pp = pcaComponents > 0 ? Pca.fit(f.product(), pcaComponents) : null;
        Tensor raw = assemble(f, pd, pp);
        return new ScoreFeatures(h, pd, pp, RobustScaler.fit(raw, clip), names(h, pcaComponents));
    }

    /**
     * A fitted pipeline rebuilt from its parts (e.g. read back from a checkpoint): embedding halves of {@code half}, the two
     * PCAs (both or neither) and the scaler.
     *
     * @throws IllegalArgumentException when the parts do not fit together
     */
    static ScoreFeatures restore(int half, Pca absDiffPca, Pca productPca, RobustScaler scaler) {
        if ((absDiffPca == null) != (productPca == null)) throw new IllegalArgumentException("ScoreFeatures: both PCAs or neither, got one");
        int k = absDiffPca == null ? 0 : absDiffPca.components();
        if (absDiffPca != null && (absDiffPca.inputs() != half || productPca.inputs() != half || productPca.components() != k)) {
            throw new IllegalArgumentException("ScoreFeatures: PCAs " + absDiffPca + " and " + productPca + " do not fit halves of " + half);
        }
        List<String> names = names(half, k);
        if (scaler.medians().length != names.size()) {
            throw new IllegalArgumentException("ScoreFeatures: the scaler has " + scaler.medians().length + " columns, the features " + names.size());
        }
        return new ScoreFeatures(half, absDiffPca, productPca, scaler, names);
    }

    /** Column names: the scalars, then {@code |a - b|} and {@code a * b} (whole, or their PCA components). */
    private static List<String> names(int half, int pcaComponents) {
        List<String> names = new ArrayList<>(PairFeatures.SCALAR_NAMES);
        int width = pcaComponents > 0 ? pcaComponents : half;
        for (int i = 0; i < width; i++) names.add((pcaComponents > 0 ? "absdiff_pc" : "absdiff_") + i);
        for (int i = 0; i < width; i++) names.add((pcaComponents > 0 ? "product_pc" : "product_") + i);
        return names;
    }

    private static Tensor assemble(PairFeatures f, Pca pd, Pca pp) {
        Tensor d = pd == null ? f.absDiff() : pd.transform(f.absDiff());
        Tensor p = pp == null ? f.product() : pp.transform(f.product());
        return Tensor.concat(1, f.scalars(), d.to(f.scalars().dtype()), p.to(f.scalars().dtype()));
    }

    /** The scaled features of {@code x [m, 2h]}, float32 {@code [m, features()]}. */
    public Tensor transform(Tensor x) {
        if (x.rank() != 2 || x.dim(1) != 2 * half) {
            throw new IllegalArgumentException("ScoreFeatures.transform: x must be [m, " + 2 * half + "] like the training rows, got " + Shape.str(x.shape()));
        }
        return scaler.transform(assemble(PairFeatures.of(x), absDiffPca, productPca));
    }

    /** The embedding half size {@code h} of the rows this pipeline takes ({@code [m, 2h]}). */
    public int half() {
        return half;
    }

    /** Number of output features. */
    public int features() {
        return names.size();
    }

    /** Output column names. */
    public List<String> names() {
        return names;
    }

    /** The PCA of {@code |a - b|}, or null without PCA. */
    public Pca absDiffPca() {
        return absDiffPca;
    }

    /** The PCA of {@code a * b}, or null without PCA. */
    public Pca productPca() {
        return productPca;
    }

    /** The fitted scaler. */
    public RobustScaler scaler() {
        return scaler;
    }

    @Override
    public String toString() {
        return "ScoreFeatures(" + features() + " features from halves of " + half
                + (absDiffPca == null ? "" : ", |a-b| " + absDiffPca + ", a*b " + productPca) + ")";
    }
}
