package dev.registrycache.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One upstream exchange on a connection, driven byte by byte without sockets. */
class StreamExchangeTest {
  private static final URI BLOB = URI.create("http://registry.test:5000/v2/library/app/blobs/sha256:abc?x=1");
  private final UpstreamChannels channels = new UpstreamChannels(null, null, Runnable::run, Duration.ofSeconds(1), null);
  private final UpstreamChannels.Route route = new UpstreamChannels.Route("http", "registry.test", 5000, null, null);
  private final EmbeddedChannel ch = new EmbeddedChannel(new HttpClientCodec());
  private final RecordingSink sink = new RecordingSink();

  @AfterEach
  void close() {
    ch.finishAndReleaseAll();
  }

  private CompletableFuture<StreamExchange.UpstreamAnswer> send(HttpRequest request) {
    UpstreamChannels.attach(ch, route);
    CompletableFuture<StreamExchange.UpstreamAnswer> f = StreamExchange.sendOn(CompletableFuture.completedFuture(ch),
        route, channels, request, info -> sink, Runnable::run);
    ch.runPendingTasks();
    return f;
  }

  private static HttpRequest get(Duration timeout) {
    return HttpRequest.newBuilder(BLOB).GET().timeout(timeout).header("User-Agent", "registry-cache/test")
        .header("Authorization", "Bearer t0ken").build();
  }

  private String sentRequest() {
    StringBuilder sb = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      sb.append(b.toString(StandardCharsets.US_ASCII));
      b.release();
    }
    return sb.toString();
  }

  private void answer(String raw) {
    ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    ch.runPendingTasks();
  }

  @Test
  void aSuccessfulBodyReachesTheSinkInOrderAndTheConnectionIsKept() throws Exception {
    var result = send(get(Duration.ofSeconds(5)));
    String req = sentRequest();
    assertTrue(req.startsWith("GET /v2/library/app/blobs/sha256:abc?x=1 HTTP/1.1\r\n"), req);
    assertTrue(req.contains("\r\nhost: registry.test:5000\r\n") || req.contains("\r\nHost: registry.test:5000\r\n"), req);
    assertTrue(req.contains("Authorization: Bearer t0ken\r\n") || req.contains("authorization: Bearer t0ken\r\n"), req);

    answer("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nDocker-Content-Digest: sha256:abc\r\n\r\nhello");
    assertFalse(result.isDone(), "the result waits for the end of the body");
    answer(" world");

    var a = result.get(1, TimeUnit.SECONDS);
    assertEquals(200, a.statusCode());
    assertEquals("sha256:abc", a.headers().firstValue("docker-content-digest").orElse(null));
    assertEquals("hello world", sink.body());
    assertTrue(sink.started && sink.completed && sink.error == null);
    assertTrue(ch.isActive(), "kept open");
    assertEquals(1, channels.idleCount(), "and ready for the next request");
    assertNull(ch.pipeline().get(StreamExchange.NAME), "the exchange left the pipeline");
  }

  @Test
  void anAnswerWithConnectionCloseIsNotKept() throws Exception {
    var result = send(get(Duration.ofSeconds(5)));
    answer("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
    assertEquals(200, result.get(1, TimeUnit.SECONDS).statusCode());
    assertEquals("abc", sink.body());
    assertFalse(ch.isOpen());
    assertEquals(0, channels.idleCount());
  }

  @Test
  void anotherStatusIsReturnedWithoutItsBodyReachingTheSink() throws Exception {
    var result = send(get(Duration.ofSeconds(5)));
    answer("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"errors\": []}");
    var a = result.get(1, TimeUnit.SECONDS);
    assertEquals(404, a.statusCode());
    assertFalse(sink.started, "no sink for a 404");
    assertEquals("", sink.body());
    assertEquals(1, channels.idleCount(), "the body was read to its end: the connection is reusable");
  }

  @Test
  void aConnectionClosedMidBodyFailsTheSinkAndTheResult() {
    var result = send(get(Duration.ofSeconds(5)));
    answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd");
    ch.close();
    ch.runPendingTasks();
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> result.get(1, TimeUnit.SECONDS));
    assertInstanceOf(IOException.class, e.getCause());
    assertEquals("abcd", sink.body());
    assertTrue(sink.error != null && !sink.completed, "the sink hears it broke off");
  }

  @Test
  void noAnswerWithinTheTimeoutEndsTheExchange() {
    ch.freezeTime();
    var result = send(get(Duration.ofSeconds(2)));
    ch.advanceTimeBy(1, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertFalse(result.isDone(), "still within the timeout");
    ch.advanceTimeBy(2, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    ch.runPendingTasks();
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> result.get(1, TimeUnit.SECONDS));
    assertInstanceOf(HttpTimeoutException.class, e.getCause());
    assertFalse(ch.isOpen());
  }

  @Test
  void theTimeoutDoesNotApplyOnceTheHeadersArrived() throws Exception {
    ch.freezeTime();
    var result = send(get(Duration.ofSeconds(2)));
    answer("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
    ch.advanceTimeBy(10, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertTrue(ch.isOpen() && !result.isDone(), "a slow body is the idle timeout's business, not this one");
    answer("def");
    assertEquals(200, result.get(1, TimeUnit.SECONDS).statusCode());
    assertEquals("abcdef", sink.body());
  }

  @Test
  void aSinkThatThrowsStopsTheTransfer() {
    sink.failAfter = 3;
    var result = send(get(Duration.ofSeconds(5)));
    answer("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nabcd");
    assertTrue(result.isCompletedExceptionally());
    assertFalse(ch.isOpen(), "closed, not left half read");
    assertTrue(sink.error != null && !sink.completed);
    assertEquals(0, channels.idleCount());
  }

  @Test
  void cancellingFromTheSinkClosesTheConnectionAndDeliversNothingMore() throws Exception {
    var result = send(get(Duration.ofSeconds(5)));
    answer("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nabcd");
    sink.transfer.cancel();
    answer("efgh");
    ch.runPendingTasks();
    assertEquals(200, result.get(1, TimeUnit.SECONDS).statusCode());
    assertEquals("abcd", sink.body());
    assertFalse(sink.completed, "a cancelled body does not complete");
    assertFalse(ch.isOpen());
    assertEquals(0, channels.idleCount());
  }

  @Test
  void throughAProxyPlainHttpUsesTheAbsoluteFormAndHttpsThePath() {
    HttpRequest r = get(Duration.ofSeconds(1));
    assertEquals("http://registry.test:5000/v2/library/app/blobs/sha256:abc?x=1",
        StreamExchange.nettyRequest(r, true).uri());
    assertEquals("/v2/library/app/blobs/sha256:abc?x=1", StreamExchange.nettyRequest(r, false).uri());
    assertEquals("registry.test:5000", StreamExchange.nettyRequest(r, false).headers().get("Host"));
    HttpRequest noPort = HttpRequest.newBuilder(URI.create("https://registry.test")).GET().build();
    assertEquals("/", StreamExchange.nettyRequest(noPort, false).uri());
    assertEquals("registry.test", StreamExchange.nettyRequest(noPort, false).headers().get("Host"));

    Proxy proxy = new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved("proxy.test", 3128));
    assertTrue(new UpstreamChannels.Route("http", "registry.test", 80, proxy, null).absoluteForm());
    assertFalse(new UpstreamChannels.Route("https", "registry.test", 443, proxy, null).absoluteForm(),
        "https goes through a CONNECT tunnel");
    assertFalse(route.absoluteForm(), "no proxy");
  }

  /** Records what a download would write. */
  private static final class RecordingSink implements BodySink {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Transfer transfer;
    boolean started;
    boolean completed;
    Throwable error;
    int failAfter = Integer.MAX_VALUE;

    @Override
    public void onStart(Transfer transfer) {
      this.transfer = transfer;
      started = true;
    }

    @Override
    public void onData(ByteBuffer data) throws IOException {
      if (bytes.size() + data.remaining() > failAfter) {
        throw new IOException("disk full");
      }
      byte[] b = new byte[data.remaining()];
      data.get(b);
      bytes.write(b);
    }

    @Override
    public void onComplete() {
      completed = true;
    }

    @Override
    public void onError(Throwable cause) {
      error = cause;
    }

    String body() {
      return bytes.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
