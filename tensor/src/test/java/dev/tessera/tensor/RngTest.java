package dev.tessera.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RngTest {

    /** Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors). */
    @Test
    void philoxKnownAnswers() {
        assertKat(new int[] {0, 0, 0, 0}, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
        assertKat(new int[] {-1, -1, -1, -1}, -1, -1, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
        assertKat(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0,
                0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);
    }

    private static void assertKat(int[] ctr, int k0, int k1, int... expected) {
        int[] out = new int[4];
        Rng.philox(k0, k1, ctr[0], ctr[1], ctr[2], ctr[3], out);
        assertArrayEquals(expected, out, () -> "got " + Arrays.toString(hex(out)));
    }

    private static String[] hex(int[] a) {
        return Arrays.stream(a).mapToObj(Integer::toHexString).toArray(String[]::new);
    }

    @Test
    void keyAndCounterLayout() {
        long seed = 0x0123456789ABCDEFL;
        var rng = new Rng(seed);
        int[] w = new int[4];
        rng.block(5, w);
        int[] ref = new int[4];
        Rng.philox(0x89ABCDEF, 0x01234567, 5, 0, 0, 0, ref);
        assertArrayEquals(ref, w);
        // Scalar draws walk the words of block 0, then block 1.
        int[] b0 = new int[4];
        rng.block(0, b0);
        for (int k = 0; k < 4; k++) assertEquals(b0[k], rng.nextInt());
        rng.block(1, b0);
        assertEquals(b0[0], rng.nextInt());
        assertEquals(2, rng.counter());
    }

    @Test
    void uniformFloatContractAndMoments() {
        var rng = new Rng(7);
        int n = 1_000_000;
        float[] a = new float[n];
        rng.fillUniform(a, 0, n, 0f, 1f);
        assertEquals(n / 4, rng.counter());
        // Element i comes from word i % 4 of block i / 4.
        var ref = new Rng(7);
        for (int i : new int[] {0, 1, 2, 3, 4, 999_999}) {
            assertEquals((ref.wordAt(0, i) >>> 8) * 0x1.0p-24f, a[i]);
            assertEquals(ref.uniformAt(0, i), a[i]);
        }
        double s = 0, s2 = 0;
        for (float v : a) {
            assertTrue(v >= 0f && v < 1f);
            s += v;
            s2 += v * (double) v;
        }
        double mean = s / n, var = s2 / n - mean * mean;
        // Standard errors: 0.289/sqrt(n) = 2.9e-4 for the mean, ~9e-5 for the variance; 6 sigma.
        assertEquals(0.5, mean, 1.8e-3);
        assertEquals(1.0 / 12, var, 6e-4);
    }

    @Test
    void uniformRangeNeverReachesHi() {
        var rng = new Rng(3);
        float[] a = new float[4096];
        rng.fillUniform(a, 0, a.length, 1f, 1.0000001f);
        for (float v : a) assertTrue(v >= 1f && v < 1.0000001f, "value " + v);
        double[] d = new double[4096];
        rng.fillUniform(d, 0, d.length, -2, 3);
        for (double v : d) assertTrue(v >= -2 && v < 3);
    }

    @Test
    void uniformDoubleContractAndMoments() {
        var rng = new Rng(11);
        int n = 1_000_000;
        double[] a = new double[n];
        rng.fillUniform(a, 0, n, 0, 1);
        assertEquals(n / 2, rng.counter());
        int[] w = new int[4];
        new Rng(11).block(3, w);
        assertEquals(((w[2] >>> 5) * 0x1.0p26 + (w[3] >>> 6)) * 0x1.0p-53, a[7]);
        double s = 0, s2 = 0;
        for (double v : a) {
            s += v;
            s2 += v * v;
        }
        double mean = s / n;
        assertEquals(0.5, mean, 1.8e-3);
        assertEquals(1.0 / 12, s2 / n - mean * mean, 6e-4);
    }

    @Test
    void normalMomentsFloatAndDouble() {
        int n = 1_000_000;
        float[] f = new float[n];
        new Rng(5).fillNormal(f, 0, n, 1f, 2f);
        double[] d = new double[n];
        new Rng(6).fillNormal(d, 0, n, 1, 2);
        for (double[] m : new double[][] {moments(f), moments(d)}) {
            // mean SE 2/1000 = 0.002, var SE 4*sqrt(2/n) = 0.0057, skew SE sqrt(6/n)=0.0024, kurt SE 0.005.
            assertEquals(1.0, m[0], 0.012);
            assertEquals(4.0, m[1], 0.035);
            assertEquals(0.0, m[2], 0.015);
            assertEquals(3.0, m[3], 0.03);
        }
    }

    @Test
    void normalPairingMatchesDocumentedBoxMuller() {
        var rng = new Rng(99);
        float[] f = new float[6];
        rng.fillNormal(f, 0, 6, 0f, 1f);
        int[] w = new int[4];
        new Rng(99).block(1, w); // elements 4,5 use words 0,1 of block 1
        double u1 = ((w[0] & 0xFFFFFFFFL) + 1) * 0x1.0p-32, u2 = (w[1] & 0xFFFFFFFFL) * 0x1.0p-32;
        double r = Math.sqrt(-2 * Math.log(u1));
        assertEquals((float) (r * Math.cos(2 * Math.PI * u2)), f[4]);
        assertEquals((float) (r * Math.sin(2 * Math.PI * u2)), f[5]);
    }

    private static double[] moments(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return moments(d);
    }

    private static double[] moments(double[] a) {
        double mean = 0;
        for (double v : a) mean += v;
        mean /= a.length;
        double m2 = 0, m3 = 0, m4 = 0;
        for (double v : a) {
            double c = v - mean;
            m2 += c * c;
            m3 += c * c * c;
            m4 += c * c * c * c;
        }
        m2 /= a.length;
        m3 /= a.length;
        m4 /= a.length;
        return new double[] {mean, m2, m3 / Math.pow(m2, 1.5), m4 / (m2 * m2)};
    }

    @Test
    void indexedFillsDoNotDependOnChunking() {
        int n = 1001;
        float[] whole = new float[n];
        float[] normalWhole = new float[n];
        double[] dWhole = new double[n];
        double[] dnWhole = new double[n];
        var rng = new Rng(21);
        long base = rng.reserveBlocks(Rng.blocksForFloats(n));
        rng.fillUniformAt(base, 0, whole, 0, n, -1f, 1f);
        rng.fillNormalAt(base, 0, normalWhole, 0, n, 0f, 1f);
        rng.fillUniformAt(base, 0, dWhole, 0, n, -1, 1);
        rng.fillNormalAt(base, 0, dnWhole, 0, n, 0, 1);
        for (int cut : new int[] {1, 3, 4, 5, 500, 999}) {
            float[] parts = new float[n + 2];
            float[] nparts = new float[n + 2];
            double[] dparts = new double[n + 2];
            double[] dnparts = new double[n + 2];
            rng.fillUniformAt(base, 0, parts, 2, cut, -1f, 1f);
            rng.fillUniformAt(base, cut, parts, 2 + cut, n - cut, -1f, 1f);
            rng.fillNormalAt(base, 0, nparts, 2, cut, 0f, 1f);
            rng.fillNormalAt(base, cut, nparts, 2 + cut, n - cut, 0f, 1f);
            rng.fillUniformAt(base, 0, dparts, 2, cut, -1, 1);
            rng.fillUniformAt(base, cut, dparts, 2 + cut, n - cut, -1, 1);
            rng.fillNormalAt(base, 0, dnparts, 2, cut, 0, 1);
            rng.fillNormalAt(base, cut, dnparts, 2 + cut, n - cut, 0, 1);
            assertArrayEquals(whole, Arrays.copyOfRange(parts, 2, n + 2));
            assertArrayEquals(normalWhole, Arrays.copyOfRange(nparts, 2, n + 2));
            assertArrayEquals(dWhole, Arrays.copyOfRange(dparts, 2, n + 2));
            assertArrayEquals(dnWhole, Arrays.copyOfRange(dnparts, 2, n + 2));
        }
    }

    @Test
    void consecutiveFillsEqualOneFillWhenLengthIsMultipleOfFour() {
        float[] whole = new float[40];
        new Rng(8).fillNormal(whole, 0, 40, 0f, 1f);
        float[] parts = new float[40];
        var rng = new Rng(8);
        rng.fillNormal(parts, 0, 12, 0f, 1f);
        rng.fillNormal(parts, 12, 28, 0f, 1f);
        assertArrayEquals(whole, parts);
        // A length that is not a multiple of 4 skips the rest of its last block.
        var odd = new Rng(8);
        float[] a = new float[5];
        odd.fillNormal(a, 0, 5, 0f, 1f);
        assertEquals(2, odd.counter());
        float[] b = new float[4];
        odd.fillNormal(b, 0, 4, 0f, 1f);
        assertArrayEquals(Arrays.copyOfRange(whole, 8, 12), b);
    }

    @Test
    void fillAfterScalarDrawDiscardsPartialBlock() {
        var rng = new Rng(4);
        rng.nextInt();
        float[] a = new float[4];
        rng.fillUniform(a, 0, 4, 0f, 1f);
        assertEquals(new Rng(4).uniformAt(1, 0), a[0]);
    }

    @Test
    void splitStreamsDifferAndAreDeterministic() {
        var root = new Rng(1234);
        var s1 = root.split(1);
        var s2 = root.split(2);
        assertEquals(s1.stream(), root.split(1).stream());
        assertNotEquals(s1.stream(), s2.stream());
        assertNotEquals(0L, s1.stream());
        assertEquals(root.seed(), s1.seed());
        float[] a = new float[1000], b = new float[1000], c = new float[1000];
        root.fillUniform(a, 0, 1000, 0f, 1f);
        s1.fillUniform(b, 0, 1000, 0f, 1f);
        s2.fillUniform(c, 0, 1000, 0f, 1f);
        int same = 0;
        for (int i = 0; i < 1000; i++) same += (a[i] == b[i] ? 1 : 0) + (b[i] == c[i] ? 1 : 0);
        assertTrue(same < 5, "streams overlap: " + same);
        // Nested splits differ from their parents' splits.
        assertNotEquals(s1.split(1).stream(), s1.stream());
        assertNotEquals(s1.split(2).stream(), s2.split(1).stream());
        // fork is deterministic given state and advances the parent.
        var f1 = new Rng(9).fork();
        var f2 = new Rng(9).fork();
        assertEquals(f1.stream(), f2.stream());
        var parent = new Rng(9);
        assertNotEquals(parent.fork().stream(), parent.fork().stream());
    }

    @Test
    void stateRoundTripContinuesIdentically() {
        var rng = new Rng(-77);
        rng.nextInt();
        rng.nextDouble(); // three words used: position inside a block
        var resumed = Rng.fromState(rng.state());
        for (int i = 0; i < 50; i++) {
            assertEquals(rng.nextLong(), resumed.nextLong());
            assertEquals(rng.nextGaussian(), resumed.nextGaussian());
            assertEquals(rng.nextInt(17), resumed.nextInt(17));
        }
        float[] a = new float[9], b = new float[9];
        rng.fillNormal(a, 0, 9, 0f, 1f);
        Rng.fromState(rng.state()); // state after a fill is valid too
        resumed.fillNormal(b, 0, 9, 0f, 1f);
        assertArrayEquals(a, b);
        var child = rng.split(3);
        child.nextFloat();
        var childResumed = Rng.fromState(child.state());
        assertEquals(child.nextFloat(), childResumed.nextFloat());
        assertThrows(IllegalArgumentException.class, () -> Rng.fromState(new long[] {1, 2}));
    }

    @Test
    void nextIntIsUnbiasedAndInRange() {
        var rng = new Rng(2024);
        int bound = 6, n = 600_000;
        int[] counts = new int[bound];
        for (int i = 0; i < n; i++) counts[rng.nextInt(bound)]++;
        double chi2 = 0, expected = (double) n / bound;
        for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
        // chi-square with 5 dof: P(chi2 > 25) ~ 1.4e-4.
        assertTrue(chi2 < 25, "chi2 " + chi2);
        // A bound just above 2^31 / 1.5 makes naive modulo visibly biased: low half gets 2/3 of draws.
        int big = (1 << 30) + (1 << 29);
        int low = 0;
        for (int i = 0; i < 200_000; i++) {
            int v = rng.nextInt(big);
            assertTrue(v >= 0 && v < big);
            if (v < big / 2) low++;
        }
        assertEquals(0.5, low / 200_000.0, 0.006);
        for (int b : new int[] {1, 2, 3, Integer.MAX_VALUE}) {
            for (int i = 0; i < 1000; i++) {
                int v = rng.nextInt(b);
                assertTrue(v >= 0 && v < b);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> rng.nextInt(0));
    }

    @Test
    void scalarDrawsFollowDocumentedFormulas() {
        var rng = new Rng(31);
        int[] w = new int[4];
        new Rng(31).block(0, w);
        assertEquals((w[0] >>> 8) * 0x1.0p-24f, rng.nextFloat());
        assertEquals(((w[1] >>> 5) * 0x1.0p26 + (w[2] >>> 6)) * 0x1.0p-53, rng.nextDouble());
        var r2 = new Rng(31);
        assertEquals(((long) w[0] << 32) | (w[1] & 0xFFFFFFFFL), r2.nextLong());
        double s = 0, s2 = 0;
        var g = new Rng(32);
        for (int i = 0; i < 200_000; i++) {
            double z = g.nextGaussian();
            s += z;
            s2 += z * z;
        }
        assertEquals(0, s / 200_000, 0.012);
        assertEquals(1, s2 / 200_000, 0.02);
    }

    @Test
    void shuffleAndPermutation() {
        var rng = new Rng(17);
        int[] p = rng.permutation(100);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 100; i++) assertEquals(i, sorted[i]);
        assertArrayEquals(p, new Rng(17).permutation(100));
        // Each of the 6 orders of 3 items equally likely.
        int[] counts = new int[6];
        for (int t = 0; t < 60_000; t++) {
            int[] q = rng.permutation(3);
            counts[q[0] * 2 + (q[1] > q[2] ? 1 : 0)]++;
        }
        for (int c : counts) assertEquals(10_000, c, 500);
        assertEquals(0, rng.permutation(0).length);
    }
}
