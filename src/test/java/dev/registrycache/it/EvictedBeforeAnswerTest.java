package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.registrycache.oci.Digest;
import dev.registrycache.store.BlobStore;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.StoredBlob;
import dev.registrycache.server.CacheApplication;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A blob stored and evicted again before its client's answer began (a small cache under
 * pressure evicts what has no reader yet): the client is answered as if the blob had never
 * been stored, with a fresh download, instead of waiting forever for a file that is gone.
 */
class EvictedBeforeAnswerTest extends CacheTestBase {
  private static final String REPO = "library/app";

  @Test
  void aBlobEvictedBetweenStoringAndAnsweringIsFetchedAgain() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] bytes = TestContent.random(300_000, 23);
    String digest = upstream.blob(REPO, bytes);
    AtomicInteger evictOnStore = new AtomicInteger(1);
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()),
        store -> new EvictingOnStore(store, evictOnStore));

    HttpResponse<byte[]> r = new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest);

    assertEquals(200, r.statusCode(), new String(r.body()));
    assertArrayEquals(bytes, r.body());
    assertEquals(2, upstream.count("GET", blobPath(REPO, digest)), "fetched again once it was gone");
  }

  /**
   * Readers cannot read the temp file along (they wait for the stored one), and the first blob
   * stored is deleted right after it was renamed into place, as an eviction would.
   */
  private static final class EvictingOnStore extends ForwardingBlobStore {
    private final AtomicInteger evictions;

    EvictingOnStore(BlobStore delegate, AtomicInteger evictions) {
      super(delegate);
      this.evictions = evictions;
    }

    @Override
    public BlobWriter create(Digest d) throws IOException {
      return new ForwardingBlobWriter(super.create(d)) {
        @Override
        public Path tempPath() {
          return null;
        }

        @Override
        public StoredBlob commit() throws IOException {
          StoredBlob s = super.commit();
          if (evictions.getAndDecrement() > 0) {
            Files.delete(s.path());
          }
          return s;
        }
      };
    }
  }
}
