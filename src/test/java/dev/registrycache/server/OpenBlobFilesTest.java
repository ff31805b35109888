package dev.registrycache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.oci.Digest;
import io.netty.channel.DefaultFileRegion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Open blob files: shared by every answer, closed only when the set and every answer let go. */
class OpenBlobFilesTest {
  @TempDir
  Path dir;

  private final List<Runnable> diskWork = new ArrayList<>();
  private final OpenBlobFiles files = new OpenBlobFiles(2, diskWork::add);

  private OpenBlobFiles.Handle open(Digest d) throws Exception {
    Path p = dir.resolve(d.hex());
    Files.write(p, new byte[100]);
    var opening = files.open(d, p);
    assertEquals(1, diskWork.size(), "opened on the disk executor, not by the caller");
    diskWork.remove(0).run();
    return opening.get();
  }

  @Test
  void aFileStaysOpenAcrossAnswersAndClosesWhenEvictedAndTheLastAnswerIsWritten() throws Exception {
    Digest d = Digest.sha256Of(new byte[] {1});
    OpenBlobFiles.Handle h = open(d);
    DefaultFileRegion first = h.region(0, 100);
    first.release(); // written

    OpenBlobFiles.Handle again = files.get(d);
    assertSame(h, again, "a repeated hit opens nothing");
    assertTrue(diskWork.isEmpty());
    DefaultFileRegion sending = again.region(0, 100);

    files.close(d); // evicted while an answer is still being written
    assertNull(files.get(d));
    assertTrue(h.isOpen(), "the answer being written keeps it open");
    sending.release();
    assertFalse(h.isOpen(), "closed with the last answer");
  }

  @Test
  void beyondTheLimitFilesAreClosed() throws Exception {
    List<OpenBlobFiles.Handle> handles = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      OpenBlobFiles.Handle h = open(Digest.sha256Of(new byte[] {(byte) i}));
      h.release(); // answered
      handles.add(h);
    }
    assertEquals(2, files.size());
    assertEquals(1, handles.stream().filter(h -> !h.isOpen()).count());
    files.closeAll();
    assertTrue(handles.stream().noneMatch(OpenBlobFiles.Handle::isOpen));
  }

  @Test
  void aMissingFileFailsTheOpen() {
    var opening = files.open(Digest.sha256Of(new byte[] {9}), dir.resolve("missing"));
    diskWork.remove(0).run();
    assertTrue(opening.isCompletedExceptionally());
    assertEquals(0, files.size());
  }
}
