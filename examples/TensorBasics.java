// Tensors without autograd: creation, views, broadcasting, matmul, reductions, a safetensors round trip.
// Run: ./tessera example TensorBasics
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import dev.tessera.tensor.io.TensorFiles;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;

void main() throws Exception {
    // Creation: from Java arrays, ranges, and a seeded counter-based RNG (the same numbers on CPU and GPU).
    Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor r = Tensor.arange(DType.F32, 0, 12, 1).reshape(3, 4);
    Tensor noise = Tensor.randn(new Rng(42), DType.F32, 2, 3);
    IO.println("a = " + a + ", noise mean " + String.format("%.3f", noise.mean().item()));

    // Views share storage: transpose, slice and select copy nothing; contiguous() makes a packed copy.
    Tensor at = a.transpose(0, 1);                  // [3, 2], strides swapped
    Tensor lastTwoCols = r.slice(1, 2, 4);          // [3, 2]
    Tensor row1 = r.select(0, 1);                   // [4]
    IO.println("a^T " + Arrays.toString(at.shape()) + " contiguous=" + at.isContiguous()
            + ", r[:, 2:4] = " + Arrays.toString(lastTwoCols.toFloatArray()) + ", r[1] = " + row1);

    // NumPy broadcasting: [2, 3] op [3] and [2, 1] op [1, 3].
    Tensor scaled = a.mul(Tensor.of(new float[] {1, 10, 100}, 3));
    Tensor outer = Tensor.of(new float[] {1, 2}, 2, 1).add(Tensor.of(new float[] {10, 20, 30}, 1, 3));
    Tensor centered = a.sub(a.meanKeepDims(1));     // subtract each row's mean
    IO.println("scaled = " + scaled + "\nouter = " + outer + "\nrow sums after centering = " + centered.sum(1));

    // Matrix products: 2-d, and batched with a broadcast batch dimension ([4, 2, 3] x [3, 2] -> [4, 2, 2]).
    Tensor gram = a.matmul(at);
    Tensor batched = Tensor.randn(new Rng(7), DType.F32, 4, 2, 3).matmul(at);
    IO.println("gram = " + gram + ", batched " + Arrays.toString(batched.shape()));

    // Reductions and fused ops along an axis.
    IO.println("max per column = " + a.max(0) + ", argmax per row = " + Arrays.toString(a.argmax(1).toIntArray())
            + ", softmax rows sum to " + Arrays.toString(a.softmax(1).sum(1).toFloatArray()));

    // The only mutations are explicitly named in-place methods.
    Tensor acc = Tensor.zeros(DType.F32, 2, 3);
    acc.addInPlace(a).addInPlace(a, 0.5);           // acc = 1.5 * a
    IO.println("acc = " + acc);

    // safetensors round trip (the files open in Python's safetensors / PyTorch too).
    var file = Files.createTempFile("tessera-basics", ".safetensors");
    try {
        TensorFiles.save(file, Map.of("a", a, "gram", gram), Map.of("note", "TensorBasics"));
        var loaded = TensorFiles.read(file);
        boolean same = loaded.tensors().get("gram").allClose(gram, 0, 0) && loaded.tensors().get("a").allClose(a, 0, 0);
        IO.println("safetensors round trip equal: " + same + " (metadata " + loaded.metadata() + ")");
    } finally {
        Files.deleteIfExists(file);
    }
}
