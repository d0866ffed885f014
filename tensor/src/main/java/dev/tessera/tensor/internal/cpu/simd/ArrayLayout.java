package dev.tessera.tensor.internal.cpu.simd;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Where array data sits in memory, so packed GEMM buffers can start on a 64-byte boundary.
 *
 * <p>A heap array's data starts after its header, whose size depends on the JVM's object layout
 * (compact object headers, compressed class pointers). G1 places arrays of at least half a heap
 * region ("humongous" objects) at a region start and does not move them in young collections, so
 * such an array's data starts exactly {@code baseOffset} bytes after a region-aligned address. The
 * probe reads the layout flags once; if they cannot be read it assumes the common 16-byte header.
 */
final class ArrayLayout {
    private static final boolean COMPACT_HEADERS = flag("UseCompactObjectHeaders", false);
    private static final boolean COMPRESSED_CLASS_POINTERS = flag("UseCompressedClassPointers", true);
    private static final boolean G1 = flag("UseG1GC", false);
    private static final long REGION_BYTES = longOption("G1HeapRegionSize", 0);

    private ArrayLayout() {}

    /** Byte offset from an array's address to its first element, for elements of {@code elementBytes}. */
    public static int baseOffset(int elementBytes) {
        int header = COMPACT_HEADERS ? 12 : (COMPRESSED_CLASS_POINTERS ? 16 : 20);
        return (header + elementBytes - 1) / elementBytes * elementBytes;
    }

    /**
     * Index of the first element of an array of {@code elementBytes}-sized elements that lies on a
     * 64-byte boundary, assuming the array itself starts on such a boundary.
     */
    public static int alignedStart(int elementBytes) {
        int base = baseOffset(elementBytes);
        return ((64 - base % 64) % 64) / elementBytes;
    }

    /**
     * Length (in elements) to allocate for a buffer that must hold {@code needed} elements after
     * {@link #alignedStart}: grown to a humongous object under G1 so that it is region-aligned.
     */
    public static int bufferLength(int needed, int elementBytes) {
        long len = (long) needed + alignedStart(elementBytes) + 64;
        if (G1 && REGION_BYTES > 0) len = Math.max(len, REGION_BYTES / 2 / elementBytes + 64);
        return (int) Math.min(len, Integer.MAX_VALUE - 16);
    }

    private static boolean flag(String name, boolean fallback) {
        try {
            var bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return Boolean.parseBoolean(bean.getVMOption(name).getValue());
        } catch (RuntimeException | LinkageError e) {
            return fallback;
        }
    }

    private static long longOption(String name, long fallback) {
        try {
            var bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return Long.parseLong(bean.getVMOption(name).getValue());
        } catch (RuntimeException | LinkageError e) {
            return fallback;
        }
    }
}
