package dev.registrycache.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class StorageHealthTest {
  @Test
  void writeErrorsAreToldApartByWhatTheKernelSaid() {
    assertEquals(StorageHealth.Problem.NO_SPACE, StorageHealth.classify(new IOException("No space left on device")));
    assertEquals(StorageHealth.Problem.NO_SPACE, StorageHealth.classify(new IOException("Disk quota exceeded")));
    assertEquals(StorageHealth.Problem.READ_ONLY,
        StorageHealth.classify(new FileSystemException("/x", null, "Read-only file system")));
    assertEquals(StorageHealth.Problem.MISSING, StorageHealth.classify(new NoSuchFileException("/x/tmp/a")));
    assertEquals(StorageHealth.Problem.PERMISSION, StorageHealth.classify(new AccessDeniedException("/x")));
    assertEquals(StorageHealth.Problem.IO_ERROR, StorageHealth.classify(new IOException("Input/output error")));
  }

  @Test
  void aFailedWriteMakesItUnwritableUntilAWriteWorks() {
    StorageHealth h = new StorageHealth();
    assertTrue(h.writable());
    assertEquals("", h.problem());
    h.failed("writing x", new IOException("No space left on device"));
    h.failed("writing y", new IOException("No space left on device"));
    assertFalse(h.writable());
    assertEquals(2, h.failures(StorageHealth.Problem.NO_SPACE));
    assertTrue(h.problem().contains("no space left on the file system (writing x)"), h.problem());
    h.succeeded();
    assertTrue(h.writable());
    assertEquals(2, h.failures(StorageHealth.Problem.NO_SPACE), "a counter");
  }

  @Test
  void limitsThatTheDiskCannotHoldAreNamed() {
    DiskUsage small = new DiskUsage(64L << 20, 28L << 20);
    assertTrue(Storage.limitsWarning(20L << 30, 1L << 30, 0, small).startsWith("storage.minFreeSpace (1.0 GiB)"));
    String w = Storage.limitsWarning(20L << 30, 0, 36L << 20, small);
    assertTrue(w.contains("cache holds at most about 64.0 MiB"), w);
    assertNull(Storage.limitsWarning(24L << 20, 4L << 20, 0, small), "28 MiB usable, 4 MiB kept free: 24 MiB fits");
    assertTrue(Storage.limitsWarning(32L << 20, 8L << 20, 0, small).contains("at most about 20.0 MiB"));
  }
}
