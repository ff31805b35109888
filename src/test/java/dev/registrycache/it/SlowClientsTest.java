package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.config.ClientLimits;
import dev.registrycache.server.CacheApplication;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Clients that open connections and do not use them: half a request and then nothing, a byte
 * now and then, thousands at once. Each is closed after the header timeout however it drips,
 * their number is bounded, and normal pulls are served meanwhile.
 */
class SlowClientsTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(1);

  @Test
  void connectionsThatDoNotSendAWholeHeaderInTimeAreClosedHoweverTheyDrip() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url())
        .clients(new ClientLimits(HEADER_TIMEOUT, Duration.ofMinutes(2), 1024)));
    List<Socket> halfRequests = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      halfRequests.add(send(connect(cache), "GET /v2/library/app/blobs/sha256:00"));
    }
    Socket silent = connect(cache);
    Socket keptAlive = connect(cache);
    send(keptAlive, "GET /v2/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Og==\r\n\r\n"); // podman's ping
    assertTrue(readUntil(keptAlive.getInputStream(), "{}"), "answered, then kept alive");
    Socket dripping = connect(cache);
    long t0 = System.nanoTime();
    byte[] header = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n".getBytes(StandardCharsets.US_ASCII);
    int dripped = 0;
    try {
      for (; dripped < header.length && System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(); dripped++) {
        dripping.getOutputStream().write(header[dripped]);
        dripping.getOutputStream().flush();
        Thread.sleep(100);
      }
    } catch (IOException closedUnderUs) {
      // what the header timeout is for
    }
    long drippedMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(dripped < header.length, "a byte every 100 ms does not keep a connection: " + dripped + " bytes");
    assertTrue(drippedMs < 3500, "closed after about the header timeout, not " + drippedMs + " ms");

    List<Socket> all = new ArrayList<>(halfRequests);
    all.addAll(List.of(silent, keptAlive));
    for (Socket s : all) {
      assertClosedByTheCache(s, Duration.ofSeconds(4));
    }
    awaitTrue("closed connections counted", () ->
        cache.metrics().count("connections_closed", "reason", "header-timeout") == 23.0);
    assertEquals(401, new CacheClient(cache.address()).get("/v2/").statusCode(), "a prompt client is served (the ping's challenge)");
  }

  @Test
  void anAnswerTakingLongerThanTheHeaderTimeoutIsNotCut() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url())
        .clients(new ClientLimits(HEADER_TIMEOUT, Duration.ofMinutes(2), 1024)));
    byte[] blob = TestContent.random(24 << 20, 91);
    String digest = upstream.blob(REPO, blob);
    assertArrayEquals(blob, RawHttp.get(cache.address(), "/v2/" + REPO + "/blobs/" + digest, CacheClient.TIMEOUT).body());
    awaitIndexed(cache, digest);

    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(64 * 1024);
      s.connect(new InetSocketAddress("127.0.0.1", cache.address().getPort()), 5000);
      s.setSoTimeout(10_000);
      send(s, "GET /v2/" + REPO + "/blobs/" + digest + " HTTP/1.1\r\nHost: x\r\n\r\n");
      InputStream in = s.getInputStream();
      long t0 = System.nanoTime();
      long body = readSlowly(in, blob.length, Duration.ofMillis(2500));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(blob.length, body, "the whole blob, read over " + ms + " ms");
      assertTrue(ms > HEADER_TIMEOUT.toMillis() * 2, "the read took longer than the header timeout: " + ms + " ms");
    }
    assertEquals(0.0, cache.metrics().count("connections_closed", "reason", "header-timeout"));
  }

  @Test
  void beyondTheConnectionLimitNewConnectionsGetA503UntilOthersClose() throws Exception {
    FakeUpstream upstream = upstream();
    int limit = 10;
    try (OutputCapture log = new OutputCapture()) {
      CacheApplication cache = start(setup().registry("docker.io", upstream.url())
          .clients(new ClientLimits(HEADER_TIMEOUT, Duration.ofMinutes(2), limit)));
      for (int i = 0; i < limit; i++) {
        send(connect(cache), "GET /v2/ HT");
      }
      awaitTrue("10 connections open", () -> connections(cache) == limit);

      RawHttp.Response refused = RawHttp.get(cache.address(), "/v2/", Duration.ofSeconds(5));
      assertEquals(503, refused.status());
      assertEquals("UNAVAILABLE", CacheClient.errorCode(refused.body()));
      assertTrue(new String(refused.body(), StandardCharsets.UTF_8).contains("clients.maxConnections"));
      assertEquals(1.0, cache.metrics().count("connections_closed", "reason", "limit"));
      awaitTrue("the limit logged", () -> log.text().contains("client connection limit reached: 10 connections open"));

      // the stalled ones go after the header timeout; then clients are served again
      awaitTrue("stalled connections closed", () -> connections(cache) == 0);
      assertEquals(401, new CacheClient(cache.address()).get("/v2/").statusCode()); // the ping's challenge
      assertTrue(log.text().contains("client connections below the limit of 10 again"), "recovery logged");
    }
  }

  @Test
  void pullsAreServedPromptlyWhile500ConnectionsStall() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    CacheClient client = new CacheClient(cache.address());
    String digest = Pulls.manifestAndBlob(upstream, client, REPO, 5);
    for (int i = 0; i < 500; i++) {
      send(connect(cache), "GET /v2/" + REPO + "/blobs/" + digest.substring(0, 20));
    }
    awaitTrue("500 stalled connections open", () -> connections(cache) >= 501);

    long[] ms = new long[200];
    for (int i = 0; i < ms.length; i++) {
      long t0 = System.nanoTime();
      HttpResponse<byte[]> m = client.get("/v2/" + REPO + "/manifests/v1", "Accept", TestContent.ACCEPT_ALL);
      HttpResponse<byte[]> b = client.get("/v2/" + REPO + "/blobs/" + digest);
      ms[i] = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(200, m.statusCode());
      assertEquals(200, b.statusCode());
      assertEquals(70_000, b.body().length);
    }
    Arrays.sort(ms);
    long p99 = ms[(int) Math.ceil(ms.length * 0.99) - 1];
    System.out.println("pulls (manifest + 70 kB blob) under 500 stalled connections: median " + ms[ms.length / 2]
        + " ms, p99 " + p99 + " ms");
    assertTrue(p99 < 250, "p99 " + p99 + " ms under 500 stalled connections");
    assertEquals(0.0, cache.metrics().count("connections_closed", "reason", "limit"), "below the default limit");
  }

  private static double connections(CacheApplication cache) {
    return cache.metrics().registry().find("registry_cache_client_connections").gauge().value();
  }

  private Socket connect(CacheApplication cache) throws IOException {
    Socket s = closeAfter(new Socket());
    s.connect(new InetSocketAddress("127.0.0.1", cache.address().getPort()), 5000);
    return s;
  }

  private static Socket send(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }

  /** Reads until {@code marker} arrived; false if the connection ended first. */
  private static boolean readUntil(InputStream in, String marker) throws IOException {
    StringBuilder seen = new StringBuilder();
    for (int c = in.read(); c >= 0 && seen.length() < 65536; c = in.read()) {
      seen.append((char) c);
      if (seen.indexOf(marker) >= 0) {
        return true;
      }
    }
    return false;
  }

  /** The cache closes {@code s} within {@code max}: a read sees the end (or a reset), not a timeout. */
  private static void assertClosedByTheCache(Socket s, Duration max) throws IOException {
    s.setSoTimeout((int) max.toMillis());
    try {
      InputStream in = s.getInputStream();
      while (in.read() >= 0) {
        // whatever was answered before; the end is what counts
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("still open after " + max, e);
    } catch (IOException reset) {
      // closed
    }
  }

  /** Reads the answer's body (after its headers) in pieces spread over about {@code over}. */
  private static long readSlowly(InputStream in, int length, Duration over) throws IOException, InterruptedException {
    StringBuilder head = new StringBuilder();
    while (head.indexOf("\r\n\r\n") < 0) {
      int c = in.read();
      if (c < 0) {
        return -1;
      }
      head.append((char) c);
    }
    byte[] buf = new byte[64 * 1024];
    long got = 0;
    int pieces = length / buf.length;
    long pause = Math.max(1, over.toMillis() / pieces);
    for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
      got += n;
      if (got >= length) {
        break;
      }
      Thread.sleep(pause);
    }
    return got;
  }
}
