package dev.tessera.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.internal.cpu.CpuConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Same seed, same bits, whatever the thread count. The pool size is fixed per JVM, so the
 * pipeline of {@link DeterminismProbe} runs in child JVMs with {@code -Dtessera.threads=1} and
 * {@code 3}, on this JVM's SIMD setting, and their hashes are compared with this JVM's own.
 */
class DeterminismTest {
    private static final long SEED = 20240611L;

    @Test
    void sameSeedGivesSameBitsTwice() {
        assertEquals(DeterminismProbe.hash(SEED), DeterminismProbe.hash(SEED));
        assertNotEquals(DeterminismProbe.hash(SEED), DeterminismProbe.hash(SEED + 1), "the hash must see the data");
    }

    @Test
    void sameBitsForAnyThreadCount() throws Exception {
        String here = DeterminismProbe.hash(SEED);
        int[] counts = {1, 3};
        List<Process> procs = new ArrayList<>();
        for (int threads : counts) procs.add(start(threads));
        for (int i = 0; i < counts.length; i++) {
            String child = await(procs.get(i), counts[i]);
            assertEquals(here, child, "hash with " + counts[i] + " thread(s) differs from " + CpuConfig.threads()
                    + " thread(s) in this JVM");
        }
    }

    private static Process start(int threads) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx1g",
                "-Dtessera.threads=" + threads, "-Dtessera.simd=" + CpuConfig.simd(),
                "-cp", System.getProperty("java.class.path"), DeterminismProbe.class.getName(), Long.toString(SEED));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static String await(Process p, int threads) throws Exception {
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child with " + threads + " threads timed out");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "child with " + threads + " threads failed:\n" + text);
        for (String line : text.split("\\R")) if (line.startsWith("hash=")) return line.substring(5);
        throw new AssertionError("child with " + threads + " threads printed no hash:\n" + text);
    }
}
