package dev.tessera.nn.attention;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Keys and values of the positions already processed by one attention layer, for incremental decoding.
 * Holds plain tensors k [B, Hkv, T, D] and v [B, Hkv, T, Dv] (decoding runs without gradients).
 *
 * <pre>{@code
 * KvCache cache = new KvCache();
 * Variable y0 = mha.forward(prompt, null, cache);   // fills the cache
 * Variable y1 = mha.forward(nextToken, null, cache); // attends to prompt + next token
 * }</pre>
 */
public final class KvCache {
    private Tensor k, v;

    /** An empty cache. */
    public KvCache() {}

    /** Number of cached positions. */
    public int length() {
        return k == null ? 0 : k.dim(2);
    }

    /** Cached keys [B, Hkv, T, D], or null when empty. */
    public Tensor keys() {
        return k;
    }

    /** Cached values [B, Hkv, T, Dv], or null when empty. */
    public Tensor values() {
        return v;
    }

    /** Appends new positions (along axis 2) and returns nothing; the shapes must agree except in length. */
    public void append(Tensor newK, Tensor newV) {
        if (newK.rank() != 4 || newV.rank() != 4 || newK.dim(2) != newV.dim(2)) {
            throw new IllegalArgumentException("KvCache.append: expected k [B,Hkv,T,D] and v [B,Hkv,T,Dv] of equal T, got k"
                    + Shape.str(newK.shape()) + ", v" + Shape.str(newV.shape()));
        }
        if (k == null) {
            k = newK.contiguous();
            v = newV.contiguous();
        } else {
            k = Tensor.concat(2, k, newK);
            v = Tensor.concat(2, v, newV);
        }
    }

    /** Keeps only the last {@code n} positions (sliding-window decoding). */
    public void keepLast(int n) {
        if (n < 0) throw new IllegalArgumentException("KvCache.keepLast: n must be >= 0, got " + n);
        int t = length();
        if (n >= t) return;
        if (n == 0) {
            clear();
            return;
        }
        k = k.narrow(2, t - n, n).contiguous();
        v = v.narrow(2, t - n, n).contiguous();
    }

    /** Empties the cache. */
    public void clear() {
        k = null;
        v = null;
    }
}
