// The tiny main class: exact m-height labels from lp, the Transformer + MoE regressor, a few hundred training
// steps, evaluation against the per-group-constant baseline, and a checkpoint (which Inference.java loads).
// Run: ./tessera example TrainMHeight [OUT_DIR]     (default runs/examples/mheight)
import dev.tessera.app.mheight.*;
import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.CodeShape;
import dev.tessera.lp.MHeight;
import java.nio.file.Path;
import java.util.*;

void main(String[] args) {
    Path out = Path.of(args.length > 0 ? args[0] : "runs/examples/mheight");

    // 1. Labels: codes G = [I_k | P] with n = 9 drawn like the course data; one exact vertex enumeration
    //    (no LP solver needed) gives h_m for every m of a matrix. Rows are (n, k, m, P, log2 h_m).
    var sampler = new CodeSampler(CodeSampler.Kind.INTSCALE);
    var random = new SplittableRandom(2026);
    int matrices = 2000, size = 0;
    int[] n = new int[4 * matrices], k = new int[4 * matrices], m = new int[4 * matrices];
    double[][] p = new double[4 * matrices][];
    double[] log2h = new double[4 * matrices];
    List<Integer> train = new ArrayList<>(), val = new ArrayList<>();
    for (int i = 0; i < matrices; i++) {
        int kk = 4 + i % 3, r = 9 - kk;
        double[] pm = new double[kk * r];
        sampler.draw(random, kk, r, pm);
        double[] h = MHeight.profile(9, kk, CodeShape.unflatten(pm, kk, r));
        for (int mm = 2; mm <= r; mm++) {
            if (Double.isInfinite(h[mm])) continue;              // h_m is infinite from the minimum distance on
            (i % 5 == 0 ? val : train).add(size);                 // every 5th matrix is held out, all its rows
            n[size] = 9; k[size] = kk; m[size] = mm; p[size] = pm; log2h[size++] = Math.log(h[mm]) / Math.log(2);
        }
    }
    var rows = new Rows(n, k, m, p, log2h);
    Rows trainRows = rows.subset(train.stream().mapToInt(x -> x).toArray()), valRows = rows.subset(val.stream().mapToInt(x -> x).toArray());
    IO.println(size + " labelled rows; " + trainRows.size() + " train, " + valRows.size() + " validation (unseen matrices)");

    // 2. The model: one token per column of P, a 2-layer Transformer encoder, masked mean pooling and a
    //    4-expert dense MoE head predicting log2 h. Config: dModel, heads, layers, ffHidden, experts, expertHidden, seed.
    var model = MHeightModel.create(new MHeightConfig(32, 4, 2, 64, 4, 32, 7));
    IO.println(model.numParameters() + " parameters");

    // 3. Training: 200 main steps of batch 48 (AdamW, group-balanced MSE), then a hard-example booster and a cooldown.
    var trainer = new Trainer(model, Trainer.Options.of(200, 48), System.out);
    trainer.fit(trainRows, valRows);

    // 4. Evaluation on the unseen matrices, against predicting each (n, k, m) group's training mean.
    double[] pred = Predictor.predict(model, valRows, 1, 256);
    var result = Evaluation.evaluate(valRows, pred, Evaluation.groupMeans(trainRows));
    IO.println(result.table());
    IO.println(String.format("validation macro log2-MSE: model %.3f, baseline %.3f", result.macro(), result.baseMacro()));

    // 5. Checkpoint: model.safetensors + meta.json (config, step) in OUT_DIR/ckpt-<step>, written atomically.
    IO.println("checkpoint " + trainer.save(out, Map.of("example", "TrainMHeight")));
}
