package dev.tessera.tensor;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A small seeded pipeline (randn, matmul, softmax, sums, long elementwise chains) whose outputs are
 * hashed bit for bit. {@link DeterminismTest} runs it in child JVMs with different thread counts;
 * {@link #main} prints the hash.
 */
final class DeterminismProbe {
    private DeterminismProbe() {}

    /** SHA-256 over the raw bits of every output of the pipeline for this seed. */
    static String hash(long seed) {
        Rng rng = new Rng(seed);
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Tensor a = Tensor.randn(rng, DType.F32, 67, 129);
        Tensor b = Tensor.randn(rng, DType.F32, 129, 61);
        Tensor c = a.matmul(b);                       // GEMM split over the pool
        Tensor s = c.softmax(-1);
        add(md, c, s, s.sum(1));
        Tensor big = Tensor.randn(rng, DType.F32, 300_001); // elementwise and a blocked long sum
        Tensor e = big.mul(0.5).exp().add(big);
        add(md, e, e.sum(), e.max());
        Tensor rows = Tensor.randn(rng, DType.F32, 4099, 67); // column sums and a transposed reduction
        add(md, rows.sum(0), rows.mT().sum(1), rows.mean(1));
        Tensor ba = Tensor.randn(rng, DType.F32, 8, 96, 80), bb = Tensor.randn(rng, DType.F32, 8, 80, 72);
        add(md, ba.matmul(bb), ba.mT().matmul(ba));   // batched and transposed GEMM
        Tensor d = Tensor.randn(rng, DType.F64, 50, 70);
        add(md, d.matmul(d.mT()), d.softmax(0));
        return HexFormat.of().formatHex(md.digest());
    }

    private static void add(MessageDigest md, Tensor... ts) {
        for (Tensor t : ts) {
            double[] v = t.toDoubleArray(); // exact for F32 and F64
            ByteBuffer b = ByteBuffer.allocate(8 * v.length);
            for (double x : v) b.putLong(Double.doubleToRawLongBits(x));
            md.update(b.array());
        }
    }

    /** Prints the pipeline's hash for the seed given as the first argument. */
    public static void main(String[] args) {
        System.out.println("hash=" + hash(Long.parseLong(args[0])));
    }
}
