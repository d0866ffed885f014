package dev.tessera.tensor.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path dir;

    @Test
    void tempSiblingsGetTheDefaultPermissionsOfANewFileNotOwnerOnly() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions only");
        Path plain = Files.createFile(dir.resolve("plain"));
        Path plainDir = Files.createDirectory(dir.resolve("plainDir"));
        Path tmp = AtomicFiles.tempFile(dir, ".x.", ".tmp");
        Path tmpDir = AtomicFiles.tempDirectory(dir, ".d-");
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(tmp));
        assertEquals(Files.getPosixFilePermissions(plainDir), Files.getPosixFilePermissions(tmpDir));
        assertTrue(tmp.getFileName().toString().startsWith(".x.") && tmp.getFileName().toString().endsWith(".tmp"), tmp.toString());
        assertEquals(dir, tmp.getParent());
    }

    @Test
    void namesAreFreshEachTime() throws Exception {
        Path a = AtomicFiles.tempFile(dir, "p", ".tmp");
        Path b = AtomicFiles.tempFile(dir, "p", ".tmp");
        assertNotEquals(a, b);
        assertEquals(0, Files.size(a));
    }
}
