package dev.tessera.lp.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lp.CodeShape;
import dev.tessera.lp.VertexEnumerator;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoursePicklesTest {
    @TempDir
    Path dir;

    private Path resource(String name) throws Exception {
        Path p = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/mheight/" + name)) {
            Files.copy(in, p);
        }
        return p;
    }

    private void checkSet(String prefix, int expectedRows) throws Exception {
        List<CoursePickles.Sample> xs = CoursePickles.readSamples(resource(prefix + "-n_k_m_P"));
        double[] ys = CoursePickles.readFloats(resource(prefix + "-mHeights"));
        assertEquals(expectedRows, xs.size());
        assertEquals(expectedRows, ys.length);
        for (int i = 0; i < xs.size(); i++) {
            var s = xs.get(i);
            assertEquals(9, s.n());
            assertTrue(s.k() >= 4 && s.k() <= 6 && s.m() >= 2 && s.m() <= s.n() - s.k());
            assertEquals(s.k(), s.p().length);
            assertEquals(s.n() - s.k(), s.p()[0].length);
            for (double[] row : s.p()) for (double v : row) assertEquals(Math.rint(v), v, "integer-valued P");
            double[] h = new double[s.n()];
            new VertexEnumerator(s.n(), s.k()).profile(CodeShape.flatten("test", s.n(), s.k(), s.p()), h);
            assertEquals(Math.log(ys[i]) / Math.log(2), Math.log(h[s.m()]) / Math.log(2), 1e-6, prefix + " row " + i);
        }
    }

    @Test
    void readsNumpy1PicklesAndRecomputesTheirLabels() throws Exception {
        checkSet("sample-n9", 401);
    }

    @Test
    void readsNumpy2Pickles() throws Exception {
        checkSet("sample-n9-numpy2", 60);
    }

    @Test
    void firstSampleMatchesItsPickledBytes() throws Exception {
        // pickletools shows item 0 = [9, 4, 2, P(4x5)] whose first label is 93.30768495507552
        var xs = CoursePickles.readSamples(resource("sample-n9-n_k_m_P"));
        assertEquals(4, xs.get(0).k());
        assertEquals(2, xs.get(0).m());
        assertEquals(93.30768495507552, CoursePickles.readFloats(resource("sample-n9-mHeights"))[0]);
    }

    @Test
    void writtenFloatsReadBack() throws Exception {
        double[] v = {1.0, 93.30768495507552, 1e300, Double.POSITIVE_INFINITY, 2.5};
        Path f = dir.resolve("out-mHeights");
        CoursePickles.writeFloats(f, v);
        byte[] raw = Files.readAllBytes(f);
        assertEquals((byte) 0x80, raw[0]); // a binary pickle
        assertEquals('.', raw[raw.length - 1]);
        assertArrayEquals(v, CoursePickles.readFloats(f));
    }

    @Test
    void refusesGlobalsOutsideTheAllowList() throws Exception {
        // protocol 2: os.system('echo hi') via GLOBAL + REDUCE
        byte[] evil = ("\u0080\u0002cos\nsystem\nq\u0000X\u0007\u0000\u0000\u0000echo hiq\u0001\u0085q\u0002Rq\u0003.")
                .getBytes(StandardCharsets.ISO_8859_1);
        Path f = dir.resolve("evil");
        Files.write(f, evil);
        var ex = assertThrows(IllegalArgumentException.class, () -> CoursePickles.load(f));
        assertTrue(ex.getMessage().contains("os.system") && ex.getMessage().contains("not allowed"), ex.getMessage());
        // protocol 4: builtins.eval via STACK_GLOBAL
        byte[] evil2 = ("\u0080\u0004\u008c\u0008builtins\u008c\u0004eval\u0093\u008c\u00041+1\u0085R.").getBytes(StandardCharsets.ISO_8859_1);
        Files.write(f, evil2);
        var ex2 = assertThrows(IllegalArgumentException.class, () -> CoursePickles.load(f));
        assertTrue(ex2.getMessage().contains("builtins.eval"), ex2.getMessage());
        // INST opcode
        Files.write(f, "(ios\nsystem\n.".getBytes(StandardCharsets.ISO_8859_1));
        assertThrows(IllegalArgumentException.class, () -> CoursePickles.load(f));
    }
}
