package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.registrycache.server.CacheApplication;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * How long what upstream said about a tag is trusted, whatever the node's clock does: an
 * unknown tag never longer than a known one, and a check time in the future not at all.
 */
class TagClockTest extends CacheTestBase {
  private static final String REPO = "library/app";

  @Test
  void aTagPushedRightAfterA404IsFoundOnceTheRegistrysTagTtlHasPassed() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registryWithTagTtl("docker.io", upstream.url(), "300ms")
        .negativeTtl(Duration.ofSeconds(30)));
    CacheClient client = new CacheClient(cache.address());

    assertEquals(404, client.get("/v2/" + REPO + "/manifests/v1").statusCode(), "not pushed yet");
    assertEquals(404, client.get("/v2/" + REPO + "/manifests/v1").statusCode(), "remembered");
    assertEquals(1, upstream.count("GET", manifestPath(REPO, "v1")));
    byte[] manifest = TestContent.manifest(TestContent.OCI_MANIFEST, "pushed-late");
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, manifest);
    Thread.sleep(400); // past the tag TTL of 300 ms, far from the negative TTL of 30 s

    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/manifests/v1");
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    assertArrayEquals(manifest, r.body());
    assertEquals(2, upstream.count("GET", manifestPath(REPO, "v1")));
  }

  @Test
  void aTagCheckedInTheFutureIsRevalidatedNotTrustedForever() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] old = TestContent.manifest(TestContent.OCI_MANIFEST, "old");
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, old);
    CacheSetup setup = setup().registry("docker.io", upstream.url()).tagTtl(Duration.ofMinutes(5));
    try (CacheApplication first = CacheApplication.start(setup.config())) {
      assertArrayEquals(old, new CacheClient(first.address()).get("/v2/" + REPO + "/manifests/v1").body());
    }
    // the node's clock was a day ahead when the tag was checked (or the file came from such a node)
    Path tagFile = storage().resolve("repositories/docker.io/" + REPO + "/_manifests/tags/v1");
    String[] fields = Files.readString(tagFile).trim().split(" ");
    long dayAhead = System.currentTimeMillis() + Duration.ofDays(1).toMillis();
    Files.writeString(tagFile, fields[0] + " " + fields[1] + " " + fields[2] + " " + dayAhead + "\n");
    byte[] moved = TestContent.manifest(TestContent.OCI_MANIFEST, "moved");
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, moved);
    int asked = upstream.total();

    CacheApplication second = start(setup);
    HttpResponse<byte[]> r = new CacheClient(second.address()).get("/v2/" + REPO + "/manifests/v1");
    assertEquals(200, r.statusCode());
    assertArrayEquals(moved, r.body(), "the tag moved upstream; a future check time is no reason to trust it");
    assertEquals(1, upstream.count("HEAD", manifestPath(REPO, "v1")) , "revalidated: " + upstream.requests());
    assertEquals(asked + 2, upstream.total(), "one HEAD, one GET of the new manifest");
  }
}
