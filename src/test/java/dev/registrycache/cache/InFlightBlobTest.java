package dev.registrycache.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.oci.Digest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.FileSystemBlobStore;
import dev.registrycache.upstream.Transfer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read channel a download shares with every client reading along. */
class InFlightBlobTest {
  private static final byte[] BYTES = "layer bytes, read along while they arrive".getBytes();
  @TempDir
  Path dir;
  private InFlightBlob blob;
  private BlobWriter writer;
  private FileChannel reader;

  @BeforeEach
  void create() throws Exception {
    Digest digest = new Digest("sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BYTES)));
    writer = new FileSystemBlobStore(dir).create(digest);
    reader = FileChannel.open(writer.tempPath(), StandardOpenOption.READ);
    blob = new InFlightBlob(digest, "docker.io");
  }

  private void download() throws Exception {
    assertTrue(blob.started(BYTES.length));
    blob.write(ByteBuffer.wrap(BYTES));
    assertTrue(blob.verify());
  }

  @Test
  void readersShareTheDownloadsChannelAndTheLastOneOutClosesIt() throws Exception {
    blob.attach(writer, Transfer.NONE, reader);
    download();
    FileChannel a = blob.retainReader();
    FileChannel b = blob.retainReader();
    assertSame(reader, a);
    assertSame(reader, b);
    ByteBuffer got = ByteBuffer.allocate(BYTES.length);
    a.read(got, 0);
    assertEquals(new String(BYTES), new String(got.array()), "the growing file, read by position");

    assertNotNull(blob.commit(s -> { }));
    assertTrue(reader.isOpen(), "the download is done, its readers are not");
    blob.releaseReader();
    assertTrue(reader.isOpen());
    blob.releaseReader();
    assertFalse(reader.isOpen(), "closed by the last reader");
    assertNull(blob.retainReader(), "later readers open the stored file themselves");
    assertTrue(Files.exists(blob.stored().path()));
  }

  @Test
  void aFailedDownloadHandsOutNoMoreAndClosesTheChannelWhenItsReadersLetGo() throws Exception {
    blob.attach(writer, Transfer.NONE, reader);
    assertTrue(blob.started(BYTES.length));
    assertSame(reader, blob.retainReader());
    blob.fail(new OciError(ErrorCode.UNAVAILABLE, 502, "broke off"));
    assertNull(blob.retainReader(), "nothing more to read");
    assertTrue(reader.isOpen(), "a reader still holds it");
    blob.releaseReader();
    assertFalse(reader.isOpen());
  }

  @Test
  void aDownloadWithoutReadersClosesTheChannelWhenItEnds() throws Exception {
    blob.attach(writer, Transfer.NONE, reader);
    download();
    assertNotNull(blob.commit(s -> { }));
    assertFalse(reader.isOpen());
  }

  @Test
  void aChannelAttachedAfterTheDownloadFailedIsClosedAtOnce() {
    blob.fail(new OciError(ErrorCode.UNAVAILABLE, 503, "shutting down"));
    blob.attach(writer, Transfer.NONE, reader);
    assertFalse(reader.isOpen());
    assertNull(blob.retainReader());
  }

  @Test
  void withoutASharedChannelReadersOpenTheFileThemselves() throws Exception {
    blob.attach(writer, Transfer.NONE, null);
    assertTrue(blob.started(BYTES.length));
    assertNull(blob.retainReader());
    try (FileChannel own = blob.openReader()) {
      assertNotNull(own);
    }
    reader.close();
  }

  /**
   * A download from a peer is joined by this node's clients and by peers below that peer in the
   * tree of owners, never by a request from its level or above (two nodes that see different
   * lists would wait for each other); from upstream it is joined by anyone.
   */
  @Test
  void aDownloadFromAPeerIsJoinedOnlyFromBelowIt() {
    assertTrue(blob.mayJoin(3), "from upstream: anyone");
    blob.fromPeer(() -> { }, 2);
    assertTrue(blob.mayJoin(0), "this node's clients");
    assertTrue(blob.mayJoin(1), "a peer of the group, below the zone's owner it comes from");
    assertFalse(blob.mayJoin(2), "a request at the zone's level");
    assertFalse(blob.mayJoin(3), "a request at the cluster's level");
    blob.fromUpstream();
    assertTrue(blob.mayJoin(3), "switched over to upstream: anyone again");
  }
}
