// A user-defined Module (a SwiGLU MLP) trained on a toy regression with AdamW, a schedule and a DataLoader.
// Run: ./tessera example CustomModule
import dev.tessera.autograd.*;
import dev.tessera.nn.Layer;
import dev.tessera.nn.Module;
import dev.tessera.nn.data.*;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.nn.schedule.WarmupCosine;
import dev.tessera.tensor.*;

/** The LLaMA feed-forward block, down(silu(gate(x)) * up(x)); children are registered by name, no reflection. */
final class SwiGlu extends Module implements Layer {
    private final Linear gate, up, down;
    SwiGlu(int in, int hidden, int out, Rng rng) {
        gate = child("gate", new Linear(in, hidden, false, DType.F32, rng));
        up = child("up", new Linear(in, hidden, false, DType.F32, rng));
        down = child("down", new Linear(hidden, out, rng));
    }
    @Override
    public Variable forward(Variable x) {
        return down.forward(gate.forward(x).silu().mul(up.forward(x)));
    }
}

/** The target: y = sin(x0) * x1 + x2^2 / 2, on x uniform in [-2, 2]^3. */
Tensor target(Tensor x) {
    return x.select(1, 0).sin().mul(x.select(1, 1)).add(x.select(1, 2).square().mul(0.5)).reshape(-1, 1);
}

void main() {
    var rng = new Rng(1);
    Tensor xTrain = Tensor.uniform(rng.split(0), DType.F32, -2, 2, 4096, 3), xTest = Tensor.uniform(rng.split(1), DType.F32, -2, 2, 1024, 3);
    var model = new SwiGlu(3, 64, 1, rng.split(2));
    IO.println(model.numParameters() + " parameters: " + model.namedParameters().keySet());
    int steps = 400;
    var opt = new AdamW(model.parameters(), 1e-2, 1e-4);
    var schedule = new WarmupCosine(1e-2, 1e-4, 20, steps);   // linear warm-up, then cosine decay
    double first = Double.NaN, last = Double.NaN;
    try (var loader = DataLoader.builder(new TensorDataset(xTrain, target(xTrain))).batchSize(128).seed(3).build()) {
        for (int step = 0; step < steps; step++) {
            var b = loader.next();                                 // fields: x, y
            Variable loss = Losses.mse(model.forward(Variable.constant(b.get(0))), b.get(1));
            opt.zeroGrad();
            loss.backward();
            opt.step(schedule);
            last = loss.value().item();
            if (step == 0) first = last;
            if (step % 100 == 0) IO.println(String.format("step %d  loss %.4f  lr %.2e", step, last, opt.lr()));
        }
    }
    try (var g = Grad.disabled()) {   // evaluation records no graph
        double test = Losses.mse(model.forward(Variable.constant(xTest)), target(xTest)).value().item();
        IO.println(String.format("train MSE %.4f -> %.4f; test MSE %.4f", first, last, test));
    }
}
