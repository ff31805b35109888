package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A fetch that fails while it is being started (here: the registry's password file became
 * unreadable) fails that request with an OCI error and leaves nothing behind: the next
 * request for the same manifest is answered too, instead of waiting forever on a single-flight
 * entry nobody completes, and it succeeds once the file is back.
 */
class FetchStartFailureTest extends CacheTestBase {
  private static final String REPO = "library/app";

  @Test
  void anUnreadablePasswordFileFailsRequestsWithoutWedgingTheTag() throws Exception {
    BasicAuthCache basic = basicAuthCache();
    FakeUpstream upstream = basic.upstream();
    Path password = basic.passwordFile();
    CacheClient client = basic.client();
    byte[] first = TestContent.manifest(TestContent.OCI_MANIFEST, "first");
    byte[] second = TestContent.manifest(TestContent.OCI_MANIFEST, "second");
    upstream.manifest(REPO, "one", TestContent.OCI_MANIFEST, first);
    upstream.manifest(REPO, "two", TestContent.OCI_MANIFEST, second);
    assertEquals(200, client.get("/v2/" + REPO + "/manifests/one").statusCode(), "Basic auth works");

    Files.delete(password);
    for (int i = 0; i < 3; i++) { // each answered within CacheClient.TIMEOUT, or the test fails
      HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/manifests/two");
      assertNotEquals(200, r.statusCode());
      String body = new String(r.body());
      assertFalse(body.contains("Exception") || body.contains("java."), body);
      CacheClient.errorCode(r.body()); // an OCI error body
    }

    Files.writeString(password, PASSWORD);
    HttpResponse<byte[]> back = client.get("/v2/" + REPO + "/manifests/two");
    assertEquals(200, back.statusCode(), new String(back.body()));
  }
}
