package dev.tessera.tensor;

/**
 * Counter-based random number generator: Philox 4x32-10 (Salmon, Moraes, Dror and Shaw,
 * "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
 *
 * <p>Every 128-bit output block is a pure function of a 64-bit key and a 128-bit counter, so any
 * value can be recomputed anywhere (another thread, the GPU) from its position alone. Layout:
 * <ul>
 *   <li>key words: {@code k0 = (int) seed}, {@code k1 = (int) (seed >>> 32)};</li>
 *   <li>counter words: {@code c0, c1} = low and high halves of the 64-bit block counter
 *       (starting at 0), {@code c2, c3} = low and high halves of the 64-bit stream id (0 for a
 *       root generator, see {@link #split(long)}).</li>
 * </ul>
 *
 * <h2>Element-indexed fills (the contract shared with the GPU backend)</h2>
 * A float fill of {@code len} values at block base {@code b} gives element {@code i} the 32-bit word
 * {@code w = philox(key, counter = b + i/4, stream)[i % 4]}:
 * <ul>
 *   <li>uniform float: {@code u = (w >>> 8) * 2^-24} in [0, 1), value {@code lo + u * (hi - lo)}
 *       computed in float; a result that rounds up to {@code hi} is replaced by
 *       {@code Math.nextDown(hi)}, so the result is always in [lo, hi) when lo &lt; hi. Bitwise
 *       reproducible.</li>
 *   <li>normal float: elements pair up as (2p, 2p+1); the pair uses the words at positions 2p and
 *       2p+1 (the same block, words {@code 2p % 4} and {@code 2p % 4 + 1}) as unsigned 32-bit
 *       integers {@code a, c}; with {@code u1 = (a + 1) * 2^-32} in (0, 1] and
 *       {@code u2 = c * 2^-32}, {@code r = sqrt(-2 ln u1)}, element 2p gets
 *       {@code mean + std * r cos(2 pi u2)} and 2p+1 gets {@code mean + std * r sin(2 pi u2)},
 *       computed in double and rounded once to float. An odd-length fill still draws the
 *       last pair's words and uses the cosine.</li>
 * </ul>
 * Double fills use two words per value and advance twice as fast: element {@code i} uses block
 * {@code b + i/2}, words {@code j = 2 (i % 2)} and {@code j+1}, as
 * {@code ((w[j] >>> 5) * 2^26 + (w[j+1] >>> 6)) * 2^-53} in [0, 1). A double normal pair (2p, 2p+1)
 * uses the four words of block {@code b + p}: {@code u1 = (53 bits of w0,w1) + 1) * 2^-53},
 * {@code u2} = 53 bits of w2,w3, then Box-Muller as above.
 *
 * <p>{@link #fillUniform(float[], int, int, float, float)} and its siblings take the base from this
 * generator's counter and advance it by {@link #blocksForFloats(long)} (or
 * {@link #blocksForDoubles(long)}). Values therefore depend only on their index, never on how a
 * parallel caller splits the range: reserve the blocks once with {@link #reserveBlocks(long)},
 * then let each thread call the {@code ...At} form with its own index range. Two consecutive
 * fills equal one fill of the concatenation only when the first length is a multiple of 4
 * (of 2 for double fills).
 *
 * <h2>Scalar draws</h2>
 * {@link #nextInt(int)} and friends consume the words of one block in order, generating a new block
 * (and advancing the counter by one) when the current one is used up. A fill first discards the
 * rest of a partly used block.
 *
 * <p>Example: {@code var rng = new Rng(42); float[] w = new float[n]; rng.fillNormal(w, 0, n, 0f, 0.02f);}
 *
 * <p>Not thread-safe: share a reserved base, or give each thread its own {@link #split(long)}.
 */
public final class Rng {
    /** Philox multipliers and Weyl key increments. */
    static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private static final double TWO_M32 = 0x1.0p-32;
    private static final double TWO_M53 = 0x1.0p-53;
    private static final float TWO_M24 = 0x1.0p-24f;
    private static final double TWO_PI = 2 * Math.PI;

    private final long seed;
    private final int k0, k1;
    private final long stream;
    private long counter;
    /** Words of block {@code counter - 1} not yet consumed by scalar draws: {@code buf[pos..3]}. */
    private final int[] buf = new int[4];
    private int pos = 4;

    /** A root generator (stream 0) whose key is the two halves of {@code seed}; counter at 0. */
    public Rng(long seed) {
        this(seed, 0L, 0L, 4);
    }

    private Rng(long seed, long stream, long counter, int pos) {
        this.seed = seed;
        this.k0 = (int) seed;
        this.k1 = (int) (seed >>> 32);
        this.stream = stream;
        this.counter = counter;
        this.pos = pos;
        if (pos < 4) block(counter - 1, buf);
    }

    /**
     * Philox 4x32-10: encrypts the counter {@code (c0, c1, c2, c3)} under key {@code (key0, key1)}
     * and writes the four output words to {@code out4[0..3]}. Pure; identical on every device.
     */
    public static void philox(int key0, int key1, int c0, int c1, int c2, int c3, int[] out4) {
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                key0 += W0;
                key1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ key0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ key1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
        }
        out4[0] = c0;
        out4[1] = c1;
        out4[2] = c2;
        out4[3] = c3;
    }

    /** The seed this generator (or the root it was split from) was created with. */
    public long seed() {
        return seed;
    }

    /** The 64-bit stream id held in the upper counter words (0 for a root generator). */
    public long stream() {
        return stream;
    }

    /** The next unused block counter. */
    public long counter() {
        return counter;
    }

    /** Blocks used by a float fill of {@code len} values: {@code ceil(len / 4)}. */
    public static long blocksForFloats(long len) {
        return (len + 3) >>> 2;
    }

    /** Blocks used by a double fill of {@code len} values: {@code ceil(len / 2)}. */
    public static long blocksForDoubles(long len) {
        return (len + 1) >>> 1;
    }

    /**
     * Reserves {@code blocks} consecutive blocks and returns the first; the counter moves past them
     * and any partly used scalar block is discarded. Use with the {@code ...At} fills.
     */
    public long reserveBlocks(long blocks) {
        if (blocks < 0) throw new IllegalArgumentException("reserveBlocks: blocks must be >= 0, got " + blocks);
        pos = 4;
        long b = counter;
        counter += blocks;
        return b;
    }

    /** Writes block {@code ctr} of this generator's key and stream to {@code out4}. */
    public void block(long ctr, int[] out4) {
        philox(k0, k1, (int) ctr, (int) (ctr >>> 32), (int) stream, (int) (stream >>> 32), out4);
    }

    /** The 32-bit word of element {@code index} of a float fill at base {@code base}. */
    public int wordAt(long base, long index) {
        int[] w = new int[4];
        block(base + (index >>> 2), w);
        return w[(int) (index & 3)];
    }

    /** Element {@code index} of a uniform [0, 1) float fill at block base {@code base}. */
    public float uniformAt(long base, long index) {
        return (wordAt(base, index) >>> 8) * TWO_M24;
    }

    // ---------------------------------------------------------------- fills

    /** Fills {@code dst[off..off+len)} with uniform floats in [lo, hi); advances by ceil(len/4) blocks. */
    public void fillUniform(float[] dst, int off, int len, float lo, float hi) {
        checkRange("fillUniform", dst.length, off, len);
        fillUniformAt(reserveBlocks(blocksForFloats(len)), 0, dst, off, len, lo, hi);
    }

    /**
     * Element-indexed uniform float fill: {@code dst[off + j]} gets element {@code first + j} of the
     * fill at block base {@code base}. Does not touch this generator's counter.
     */
    public void fillUniformAt(long base, long first, float[] dst, int off, int len, float lo, float hi) {
        checkRange("fillUniformAt", dst.length, off, len);
        int[] w = new int[4];
        float span = hi - lo;
        long blk = -1;
        for (int j = 0; j < len; j++) {
            long i = first + j;
            if ((i >>> 2) != blk) {
                blk = i >>> 2;
                block(base + blk, w);
            }
            dst[off + j] = uniformFloat(w[(int) (i & 3)], lo, span, hi);
        }
    }

    /** Fills {@code dst[off..off+len)} with uniform doubles in [lo, hi); advances by ceil(len/2) blocks. */
    public void fillUniform(double[] dst, int off, int len, double lo, double hi) {
        checkRange("fillUniform", dst.length, off, len);
        fillUniformAt(reserveBlocks(blocksForDoubles(len)), 0, dst, off, len, lo, hi);
    }

    /** Element-indexed uniform double fill (see the class comment for the word layout). */
    public void fillUniformAt(long base, long first, double[] dst, int off, int len, double lo, double hi) {
        checkRange("fillUniformAt", dst.length, off, len);
        int[] w = new int[4];
        double span = hi - lo;
        long blk = -1;
        for (int j = 0; j < len; j++) {
            long i = first + j;
            if ((i >>> 1) != blk) {
                blk = i >>> 1;
                block(base + blk, w);
            }
            int k = (int) (i & 1) * 2;
            double v = lo + span * unit53(w[k], w[k + 1]);
            dst[off + j] = v < hi || !(lo < hi) ? v : Math.nextDown(hi);
        }
    }

    /** Fills {@code dst[off..off+len)} with N(mean, std^2) floats; advances by ceil(len/4) blocks. */
    public void fillNormal(float[] dst, int off, int len, float mean, float std) {
        checkRange("fillNormal", dst.length, off, len);
        fillNormalAt(reserveBlocks(blocksForFloats(len)), 0, dst, off, len, mean, std);
    }

    /** Element-indexed normal float fill (see the class comment for the pairing). */
    public void fillNormalAt(long base, long first, float[] dst, int off, int len, float mean, float std) {
        checkRange("fillNormalAt", dst.length, off, len);
        int[] w = new int[4];
        long blk = -1;
        for (int j = 0; j < len; j++) {
            long i = first + j;
            if ((i >>> 2) != blk) {
                blk = i >>> 2;
                block(base + blk, w);
            }
            int k = (int) (i & 2);
            double u1 = ((w[k] & 0xFFFFFFFFL) + 1) * TWO_M32;
            double u2 = (w[k + 1] & 0xFFFFFFFFL) * TWO_M32;
            double r = Math.sqrt(-2.0 * Math.log(u1));
            double z = (i & 1) == 0 ? r * Math.cos(TWO_PI * u2) : r * Math.sin(TWO_PI * u2);
            dst[off + j] = (float) (mean + std * z);
        }
    }

    /** Fills {@code dst[off..off+len)} with N(mean, std^2) doubles; advances by ceil(len/2) blocks. */
    public void fillNormal(double[] dst, int off, int len, double mean, double std) {
        checkRange("fillNormal", dst.length, off, len);
        fillNormalAt(reserveBlocks(blocksForDoubles(len)), 0, dst, off, len, mean, std);
    }

    /** Element-indexed normal double fill: pair p uses all four words of block {@code base + p}. */
    public void fillNormalAt(long base, long first, double[] dst, int off, int len, double mean, double std) {
        checkRange("fillNormalAt", dst.length, off, len);
        int[] w = new int[4];
        long blk = -1;
        for (int j = 0; j < len; j++) {
            long i = first + j;
            if ((i >>> 1) != blk) {
                blk = i >>> 1;
                block(base + blk, w);
            }
            double u1 = unit53(w[0], w[1]) + TWO_M53;
            double u2 = unit53(w[2], w[3]);
            double r = Math.sqrt(-2.0 * Math.log(u1));
            double z = (i & 1) == 0 ? r * Math.cos(TWO_PI * u2) : r * Math.sin(TWO_PI * u2);
            dst[off + j] = mean + std * z;
        }
    }

    // ---------------------------------------------------------------- scalar draws

    /** The next 32 bits of this generator's word sequence. */
    public int nextInt() {
        if (pos == 4) {
            block(counter++, buf);
            pos = 0;
        }
        return buf[pos++];
    }

    /** Uniform float in [0, 1) from one word: {@code (w >>> 8) * 2^-24}. */
    public float nextFloat() {
        return (nextInt() >>> 8) * TWO_M24;
    }

    /** Uniform double in [0, 1) from two words: {@code ((w0 >>> 5) * 2^26 + (w1 >>> 6)) * 2^-53}. */
    public double nextDouble() {
        int a = nextInt();
        int b = nextInt();
        return unit53(a, b);
    }

    /** 64 random bits: the first word is the high half, the second the low half. */
    public long nextLong() {
        long hi = nextInt();
        long lo = nextInt() & 0xFFFFFFFFL;
        return (hi << 32) | lo;
    }

    /**
     * Uniform int in [0, bound), exactly unbiased (Lemire's multiply-shift with rejection: a draw
     * is rejected with probability below bound / 2^32).
     */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("nextInt: bound must be positive, got " + bound);
        long m = (nextInt() & 0xFFFFFFFFL) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (1L << 32) % bound;
            while (low < threshold) {
                m = (nextInt() & 0xFFFFFFFFL) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /**
     * Standard normal double: Box-Muller on two {@link #nextDouble()}-style draws
     * ({@code u1 = nextDouble() + 2^-53} in (0, 1], then {@code u2}); returns the cosine branch
     * only, so no hidden cached value is part of the state.
     */
    public double nextGaussian() {
        double u1 = nextDouble() + TWO_M53;
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(TWO_PI * u2);
    }

    // ---------------------------------------------------------------- streams and state

    /**
     * An independent generator with the same key and a stream id derived from this generator's
     * stream and {@code streamId} by a 64-bit bijective mix ({@code mix64(stream * 0x9E3779B97F4A7C15
     * + streamId + 1)}, the SplitMix64 finalizer). Deterministic: it does not depend on, or change,
     * this generator's counter. The child starts at counter 0.
     */
    public Rng split(long streamId) {
        return new Rng(seed, mix64(stream * 0x9E3779B97F4A7C15L + streamId + 1), 0L, 4);
    }

    /** A child generator on a fresh stream chosen by {@link #nextLong()} (advances this one). */
    public Rng fork() {
        return split(nextLong());
    }

    /**
     * The exact state {@code {seed, stream, counter, wordsUsedInCurrentBlock}}; {@link #fromState}
     * resumes the identical sequence.
     */
    public long[] state() {
        return new long[] {seed, stream, counter, pos};
    }

    /** Rebuilds a generator from {@link #state()}. */
    public static Rng fromState(long[] state) {
        if (state == null || state.length != 4)
            throw new IllegalArgumentException("Rng.fromState: expected 4 longs {seed, stream, counter, pos}, got "
                    + (state == null ? "null" : state.length));
        long p = state[3];
        if (p < 0 || p > 4 || (p < 4 && state[2] == 0))
            throw new IllegalArgumentException("Rng.fromState: invalid word position " + p + " at counter " + state[2]);
        return new Rng(state[0], state[1], state[2], (int) p);
    }

    /** Fisher-Yates shuffle in place: for i from n-1 down to 1 swap a[i] with a[nextInt(i + 1)]. */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** A random permutation of 0..n-1: the identity shuffled by {@link #shuffle(int[])}. */
    public int[] permutation(int n) {
        if (n < 0) throw new IllegalArgumentException("permutation: n must be >= 0, got " + n);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        shuffle(p);
        return p;
    }

    // ---------------------------------------------------------------- helpers

    private static float uniformFloat(int w, float lo, float span, float hi) {
        float v = lo + ((w >>> 8) * TWO_M24) * span;
        return v < hi || !(lo < hi) ? v : Math.nextDown(hi);
    }

    private static double unit53(int a, int b) {
        return ((a >>> 5) * 67108864.0 + (b >>> 6)) * TWO_M53;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static void checkRange(String op, int length, int off, int len) {
        if (off < 0 || len < 0 || off > length - len)
            throw new IllegalArgumentException(op + ": range [" + off + ", " + off + "+" + len
                    + ") outside array of length " + length);
    }
}
