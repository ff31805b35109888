package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.registrycache.server.CacheApplication;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * File work that blocks holds up a disk thread, never an event loop: while one request waits
 * for its file, every other client is still answered. The blocking file is a FIFO, whose open
 * waits until someone opens the other end, standing in for a disk that does not answer.
 */
class EventLoopBlockingTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final Duration PROBE = Duration.ofSeconds(2);

  @ParameterizedTest
  @ValueSource(ints = {1000, 300_000}) // loaded into memory / sent with sendfile
  void aStoredBlobWhoseFileBlocksHoldsUpNoOtherClient(int size) throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    byte[] blob = TestContent.random(size, size);
    String digest = upstream.blob(REPO, blob);
    String target = "/v2/" + REPO + "/blobs/" + digest;
    assertArrayEquals(blob, new CacheClient(cache.address()).get(target).body());
    awaitIndexed(cache, digest);
    Path file = storedFile(digest);
    Files.delete(file);
    mkfifo(file);

    ExecutorService client = Executors.newSingleThreadExecutor();
    closeAfter(client::shutdownNow);
    Future<RawHttp.Response> waiting = client.submit(() -> RawHttp.get(cache.address(), target, Duration.ofSeconds(20)));
    try {
      Thread.sleep(300); // the request reaches the open of the FIFO
      assertEveryEventLoopAnswers(cache);
    } finally {
      release(file, new byte[0]); // a FIFO cannot be sent: that answer breaks off
    }
    try {
      waiting.get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException brokenOff) {
      // expected: what counts is that the other clients were answered meanwhile
    }
  }

  @Test
  void aPasswordFileThatBlocksHoldsUpNoOtherClient() throws Exception {
    BasicAuthCache basic = basicAuthCache();
    FakeUpstream upstream = basic.upstream();
    Path password = basic.passwordFile();
    CacheApplication cache = basic.cache();
    CacheClient client = basic.client();
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, TestContent.manifest(TestContent.OCI_MANIFEST, "p"));
    assertEquals(200, client.get("/v2/" + REPO + "/manifests/v1").statusCode(), "credentials sent from now on");
    upstream.tagList(REPO, "{\"name\":\"" + REPO + "\",\"tags\":[\"v1\"]}", null);
    String digest = upstream.blob(REPO, TestContent.random(100, 3));
    ExecutorService background = Executors.newSingleThreadExecutor();
    closeAfter(background::shutdownNow);

    // a HEAD of an uncached blob, then a tag list: each starts an upstream request
    for (String[] request : new String[][] {{"HEAD", "/v2/" + REPO + "/blobs/" + digest},
        {"GET", "/v2/" + REPO + "/tags/list"}}) {
      Files.delete(password);
      mkfifo(password);
      Future<RawHttp.Response> waiting = background.submit(() -> RawHttp.exchange(cache.address(),
          request[0], request[1], Duration.ofSeconds(20)));
      try {
        Thread.sleep(300); // the request reaches the password file
        assertEveryEventLoopAnswers(cache);
      } finally {
        release(password, PASSWORD.getBytes(StandardCharsets.UTF_8));
      }
      assertEquals(200, waiting.get(20, TimeUnit.SECONDS).status(),
          request[0] + " " + request[1] + " answered once the password could be read");
    }
  }

  /** Fresh connections, more than there are event loops: each must be answered at once. */
  private static void assertEveryEventLoopAnswers(CacheApplication cache) throws IOException {
    int probes = 2 * Runtime.getRuntime().availableProcessors() + 2;
    for (int i = 0; i < probes; i++) {
      try {
        int status = RawHttp.get(cache.address(), "/v2/", PROBE).status();
        // 200, or the ping's challenge where a registry without credentials verifies private content
        assertTrue(status == 200 || status == 401, "probe " + i + ": " + status);
      } catch (SocketTimeoutException e) {
        throw new AssertionError("probe " + i + " not answered within " + PROBE + ": an event loop is blocked", e);
      }
    }
  }

  private static void mkfifo(Path p) throws IOException, InterruptedException {
    boolean made;
    try {
      Process mk = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
      made = mk.waitFor(5, TimeUnit.SECONDS) && mk.exitValue() == 0;
    } catch (IOException noMkfifo) {
      made = false;
    }
    assumeTrue(made, "mkfifo is needed to make a file whose open blocks");
  }

  /**
   * Opens the FIFO's other end (read-write, which does not block), so that the open waiting on
   * it returns, writes {@code content}, and closes it a moment later, so that the read ends.
   */
  private static void release(Path fifo, byte[] content) throws IOException, InterruptedException {
    try (RandomAccessFile other = new RandomAccessFile(fifo.toFile(), "rw")) {
      other.write(content);
      Thread.sleep(500); // the waiting reader opens and reads before the write end goes
    }
  }
}
