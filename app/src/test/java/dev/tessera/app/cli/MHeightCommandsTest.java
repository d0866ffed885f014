package dev.tessera.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.app.Main;
import dev.tessera.lp.data.DatasetInfo;
import dev.tessera.lp.data.MHeightDataset;
import dev.tessera.lp.pickle.CoursePickles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MHeightCommandsTest {
    @TempDir
    Path dir;

    @Test
    void labelJsonWritesNumbersAndInfInInputOrder() throws Exception {
        Path in = dir.resolve("in.json");
        Files.writeString(in, "[{\"n\":4,\"k\":2,\"m\":2,\"P\":[[1,1],[1,2]]},"
                + "{\"n\":4,\"k\":1,\"m\":3,\"P\":[[0,2,4]]},"
                + "{\"n\":3,\"k\":1,\"m\":1,\"P\":[[-2,4]]}]");
        for (String method : new String[] {"vertex", "lp"}) {
            Path out = dir.resolve("out-" + method + ".json");
            assertEquals(0, Main.run("label", "--input", in.toString(), "--output", out.toString(), "--method", method));
            JsonNode a = new ObjectMapper().readTree(out.toFile());
            assertEquals(3, a.size());
            assertEquals(3.0, a.get(0).asDouble(), 1e-9); // hand-derived: (1,1,2,3)
            assertEquals("inf", a.get(1).asText());
            assertEquals(2.0, a.get(2).asDouble(), 1e-9); // magnitudes 4,2,1 -> 4/2
        }
    }

    @Test
    void labelPickleRoundTripsTheCourseLabels() throws Exception {
        Path in = dir.resolve("x-n_k_m_P");
        Files.copy(getClass().getResourceAsStream("/mheight/sample-n9-numpy2-n_k_m_P"), in);
        Path out = dir.resolve("x-mHeights");
        assertEquals(0, Main.run("label", "--input", in.toString(), "--output", out.toString(), "--threads", "2"));
        double[] ours = CoursePickles.readFloats(out);
        Path ref = dir.resolve("ref");
        Files.copy(getClass().getResourceAsStream("/mheight/sample-n9-numpy2-mHeights"), ref);
        double[] theirs = CoursePickles.readFloats(ref);
        assertEquals(theirs.length, ours.length);
        for (int i = 0; i < ours.length; i++) assertEquals(Math.log(theirs[i]), Math.log(ours[i]), 1e-9, "row " + i);
    }

    @Test
    void genWritesAResumableDataset() throws Exception {
        Path out = dir.resolve("ds");
        String[] args = {"gen", "mheight", "--rows", "900", "--n", "9,10", "--rows-per-shard", "400", "--seed", "5", "--threads", "2",
                "--out", out.toString()};
        assertEquals(0, Main.run(args));
        var ds = MHeightDataset.open(out);
        assertEquals(900, ds.info().rows());
        assertEquals(3, ds.info().shards().size());
        String info = Files.readString(out.resolve(DatasetInfo.FILE));
        assertEquals(0, Main.run(args));
        assertEquals(info, Files.readString(out.resolve(DatasetInfo.FILE)));
        int rows = 0;
        for (var r : ds.rows(MHeightDataset.Split.ALL)) {
            assertTrue(r.m() >= 2 && r.m() <= r.n() - r.k());
            rows++;
        }
        assertEquals(900, rows);
    }
}
