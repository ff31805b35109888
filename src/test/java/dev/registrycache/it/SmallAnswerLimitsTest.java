package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import dev.registrycache.store.ManifestStore;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Small answers (manifests, tag lists, tokens) are held in memory, so no more than their limit
 * is ever read: a body announced larger is not read at all, one that turns out larger is cut
 * off at the limit.
 */
class SmallAnswerLimitsTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final int LIMIT = ManifestStore.MAX_MANIFEST_BYTES;
  /** What the endless upstream would send if nobody stopped reading. */
  private static final long ENDLESS = 256L * 1024 * 1024;

  private static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  @Test
  void aManifestAnnouncedLargerThanTheLimitIsRefused() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] huge = new byte[LIMIT + 1];
    java.util.Arrays.fill(huge, (byte) ' ');
    upstream.manifest(REPO, "huge", TestContent.OCI_MANIFEST, huge);
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));

    HttpResponse<byte[]> r = new CacheClient(cache.address()).get("/v2/" + REPO + "/manifests/huge");
    assertEquals(502, r.statusCode(), body(r));
    assertEquals("MANIFEST_INVALID", CacheClient.errorCode(r.body()));
    assertTrue(body(r).contains("larger than " + LIMIT + " bytes"), body(r));
  }

  @Test
  void aManifestWithoutLengthIsCutOffAtTheLimit() throws Exception {
    FakeUpstream upstream = upstream();
    AtomicLong sent = new AtomicLong();
    upstream.behave(manifestPath(REPO, "endless"), reply -> {
      reply.exchange().getResponseHeaders().set("Content-Type", TestContent.OCI_MANIFEST);
      reply.exchange().sendResponseHeaders(200, 0); // chunked: no length announced
      byte[] chunk = new byte[64 * 1024];
      java.util.Arrays.fill(chunk, (byte) ' ');
      try (OutputStream out = reply.exchange().getResponseBody()) {
        while (sent.get() < ENDLESS) {
          out.write(chunk);
          out.flush();
          sent.addAndGet(chunk.length);
        }
      } catch (IOException cutOff) {
        // the cache closed the connection: what this test wants
      }
    });
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));

    HttpResponse<byte[]> r = new CacheClient(cache.address()).get("/v2/" + REPO + "/manifests/endless");
    assertEquals(502, r.statusCode(), body(r));
    assertEquals("MANIFEST_INVALID", CacheClient.errorCode(r.body()));
    assertTrue(body(r).contains("larger than " + LIMIT + " bytes"), body(r));
    awaitTrue("the upstream stops sending", () -> !stillGrowing(sent));
    assertTrue(sent.get() < 4L * LIMIT, "the cache stopped reading near the limit; upstream sent " + sent.get());
  }

  /** Whether {@code n} grows within 200 ms. */
  private static boolean stillGrowing(AtomicLong n) {
    long before = n.get();
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return n.get() != before;
  }
}
