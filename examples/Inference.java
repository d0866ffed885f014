// Loads a checkpoint and predicts with gradients disabled, on the GPU when a usable CUDA driver is present.
// Run: ./tessera example Inference [CHECKPOINT_DIR] [cpu|cuda|auto]
//      (default runs/examples/mheight, written by ./tessera example TrainMHeight; a ./tessera train run folder works too)
import dev.tessera.app.mheight.Features;
import dev.tessera.app.mheight.MHeightModel;
import dev.tessera.app.mheight.Trainer;
import dev.tessera.autograd.Grad;
import dev.tessera.autograd.Variable;
import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.CodeShape;
import dev.tessera.lp.MHeight;
import dev.tessera.tensor.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

void main(String[] args) {
    Path dir = Path.of(args.length > 0 ? args[0] : "runs/examples/mheight");
    Device device = Device.parse(args.length > 1 ? args[1] : "auto");   // auto: cuda:0 if usable, else cpu

    if (!Files.isDirectory(dir)) {
        System.err.println("no checkpoint folder " + dir + ": run ./tessera example TrainMHeight first");
        System.exit(2);
    }
    // The newest ckpt-<step> under dir: config from meta.json, weights from model.safetensors; loaded in eval mode.
    MHeightModel model = Trainer.load(dir);
    model.to(device);
    IO.println("loaded " + model.numParameters() + " parameters from " + dir + ", running on " + model.device());

    // Eight fresh codes (n = 9, k = 4..6) with finite m-heights, computed exactly for comparison.
    int rows = 8;
    int[] n = new int[rows], k = new int[rows], m = new int[rows];
    double[][] p = new double[rows][];
    double[] exact = new double[rows];
    var sampler = new CodeSampler(CodeSampler.Kind.INTSCALE);
    var random = new SplittableRandom(99);
    for (int i = 0; i < rows; i++) {
        n[i] = 9; k[i] = 4 + i % 3; m[i] = 2 + i % 2;
        p[i] = new double[k[i] * (n[i] - k[i])];
        do {
            sampler.draw(random, k[i], n[i] - k[i], p[i]);
            exact[i] = MHeight.vertex(n[i], k[i], m[i], CodeShape.unflatten(p[i], k[i], n[i] - k[i]));
        } while (Double.isInfinite(exact[i]));
    }

    // Inference: inside Grad.disabled() no graph is recorded and nothing is kept for a backward pass.
    try (var noGrad = Grad.disabled()) {
        Variable log2h = model.forward(Features.build(n, k, m, p));      // [rows], on the model's device
        float[] predicted = log2h.value().toFloatArray();                // copied back to the host
        IO.println("requires grad: " + log2h.requiresGrad());
        for (int i = 0; i < rows; i++) {
            IO.println(String.format("n=%d k=%d m=%d   predicted h = %10.2f   exact h = %10.2f", n[i], k[i], m[i],
                    Math.pow(2, predicted[i]), exact[i]));
        }
    }
}
