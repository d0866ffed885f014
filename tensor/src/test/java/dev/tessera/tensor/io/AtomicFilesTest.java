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

    @Test
    void writeReplacesTheTargetAndLeavesNoTemporaryFile() throws Exception {
        Path target = dir.resolve("sub/report.csv");
        AtomicFiles.writeString(target, "a,b\n");
        AtomicFiles.writeString(target, "c,d\n");
        assertEquals("c,d\n", Files.readString(target));
        try (var files = Files.list(target.getParent())) {
            assertEquals(1, files.count(), "only the target remains");
        }
    }

    @Test
    void aFailingWriterKeepsThePreviousTargetAndRemovesItsTemporaryFile() throws Exception {
        Path target = dir.resolve("model.safetensors");
        AtomicFiles.writeString(target, "old");
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> AtomicFiles.write(target, tmp -> {
            assertTrue(tmp.getFileName().toString().endsWith(".tmp.safetensors"), "temporary name keeps the extension: " + tmp);
            Files.writeString(tmp, "half");
            throw new java.io.IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old", Files.readString(target));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "the temporary file is gone");
        }
    }
}
