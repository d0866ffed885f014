// A sparse mixture-of-experts layer inside your own model: top-2 routing over 8 experts with capacity,
// the Switch balance loss and router z-loss added to the task loss, and the layer's balance statistics.
// Run: ./tessera example MoeLayer
import dev.tessera.autograd.Variable;
import dev.tessera.moe.MoeStats;
import dev.tessera.moe.SparseMoE;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.*;
import dev.tessera.nn.loss.Losses;
import dev.tessera.nn.optim.AdamW;
import dev.tessera.tensor.*;
import java.util.Arrays;

/** in -> pre-norm residual MoE block -> out. The MoE layer maps [..., d] to [..., d]; every row is a token. */
final class MoeNet extends Module {
    final Linear in = child("in", new Linear(4, 32, new Rng(1))), out = child("out", new Linear(32, 1, new Rng(2)));
    final LayerNorm norm = child("norm", new LayerNorm(32));
    // 8 experts of width 64, top-2, capacity factor 1.25, balance-loss weight 0.01, z-loss 1e-3
    final SparseMoE moe = child("moe", new SparseMoE(32, 64, new SparseMoE.Options(8, 2, 1.25, 0.01, 1e-3, 0.0), DType.F32, new Rng(3)));

    Variable forward(Variable x) {
        Variable h = in.forward(x);
        return out.forward(h.add(moe.forward(norm.forward(h))));
    }
}

/** A piecewise target: which function applies depends on the signs of x0 and x1, a job for specialised experts. */
Tensor target(Tensor x) {
    Tensor x2 = x.select(1, 2), x3 = x.select(1, 3);
    return Tensor.where(x.select(1, 0).gt(0), x2.mul(3).sin(), x2.mul(x3)).add(Tensor.where(x.select(1, 1).gt(0), x3.mul(2).cos(), x2.neg())).reshape(-1, 1);
}

String describe(MoeStats s) {
    return String.format("load %s, max violation %.2f, dropped %.1f%%, capacity %d (realized cf %.2f)", Arrays.toString(s.load()),
            s.maxViolation(), 100 * s.droppedFraction(), s.capacity(), s.realizedCapacityFactor());
}

void main() {
    var model = new MoeNet();
    var opt = new AdamW(model.parameters(), 3e-3, 1e-4);
    var rng = new Rng(4);
    for (int step = 0; step <= 300; step++) {
        Tensor x = Tensor.uniform(rng.split(step), DType.F32, -1, 1, 256, 4);            // 256 tokens per step
        Variable task = Losses.mse(model.forward(Variable.constant(x)), target(x));
        Variable loss = task.add(model.moe.auxLoss());                                  // balance + z-loss of this forward
        opt.zeroGrad();
        loss.backward();
        opt.step();
        if (step % 100 == 0) {
            IO.println(String.format("step %d  task %.4f  aux %.4f", step, task.value().item(), model.moe.auxLoss().value().item()));
            IO.println("  " + describe(model.moe.lastStats()));
        }
    }
    model.eval();   // statistics are recorded in evaluation too
    Tensor x = Tensor.uniform(new Rng(99), DType.F32, -1, 1, 1024, 4);
    double mse = Losses.mse(model.forward(Variable.constant(x)), target(x)).value().item();
    IO.println(String.format("held-out MSE %.4f; %s", mse, describe(model.moe.lastStats())));
}
