package dev.registrycache.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Upstream connections over real sockets: kept between requests, replaced when found closed. */
class UpstreamChannelsTest {
  private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final UpstreamChannels channels = new UpstreamChannels(loops, NioSocketChannel.class, executor,
      Duration.ofSeconds(5), null);
  private RawServer server;

  @AfterEach
  void stop() throws IOException {
    channels.close();
    if (server != null) {
      server.close();
    }
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    executor.shutdownNow();
  }

  private String get(String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + server.port() + path);
    HttpRequest r = HttpRequest.newBuilder(uri).GET().timeout(Duration.ofSeconds(5)).build();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    BodySink sink = new BodySink() {
      @Override
      public void onStart(Transfer transfer) {}

      @Override
      public void onData(ByteBuffer bytes) {
        byte[] b = new byte[bytes.remaining()];
        bytes.get(b);
        body.write(b, 0, b.length);
      }

      @Override
      public void onComplete() {}

      @Override
      public void onError(Throwable cause) {}
    };
    var a = StreamExchange.send(channels, channels.route(uri, null), r, info -> sink, executor).get(10, TimeUnit.SECONDS);
    assertEquals(200, a.statusCode());
    return body.toString(StandardCharsets.US_ASCII);
  }

  @Test
  void aConnectionIsKeptForTheNextRequestToTheSameHost() throws Exception {
    server = new RawServer(0);
    assertEquals("/a", get("/a"));
    assertEquals("/b", get("/b"));
    assertEquals("/c", get("/c"));
    assertEquals(1, server.connections.get(), "one connection for three requests");
    assertEquals(List.of("/a", "/b", "/c"), server.paths);
  }

  @Test
  void aKeptConnectionTheServerDroppedIsReplacedOnce() throws Exception {
    server = new RawServer(1); // answers one request per connection, then drops it unanswered
    assertEquals("/a", get("/a"));
    assertEquals("/b", get("/b"));
    assertEquals(2, server.connections.get(), "the second request went again, on a new connection");
    assertEquals(List.of("/a", "/b", "/b"), server.paths, "asked on the kept one, then on a new one");
  }

  @Test
  void aKeptConnectionThatReceivesBytesNobodyAskedForIsClosed() throws Exception {
    server = new RawServer(0);
    server.stray = true; // an answer without a request follows each answer
    assertEquals("/a", get("/a"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (channels.idleCount() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, channels.idleCount(), "not kept for the next request");
    assertEquals("/b", get("/b"));
    assertEquals(2, server.connections.get());
  }

  @Test
  void closingDropsTheKeptConnections() throws Exception {
    server = new RawServer(0);
    get("/a");
    assertEquals(1, channels.idleCount());
    channels.close();
    assertTrue(server.ended.poll(), "the server saw the connection end");
    assertEquals(0, channels.idleCount());
  }

  /**
   * A keep-alive HTTP/1.1 server that answers each GET with its path as the body; with
   * {@code answersPerConnection} > 0 it closes a connection, unanswered, on the request after that many.
   */
  private static final class RawServer implements AutoCloseable {
    final ServerSocket socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    final AtomicInteger connections = new AtomicInteger();
    final List<String> paths = new CopyOnWriteArrayList<>();
    final Ended ended = new Ended();
    private final int answersPerConnection;
    volatile boolean stray;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    RawServer(int answersPerConnection) throws IOException {
      this.answersPerConnection = answersPerConnection;
      threads.execute(this::accept);
    }

    int port() {
      return socket.getLocalPort();
    }

    private void accept() {
      while (!socket.isClosed()) {
        try {
          Socket s = socket.accept();
          connections.incrementAndGet();
          threads.execute(() -> serve(s));
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket s) {
      try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
        for (int n = 0; ; n++) {
          String head = readHead(in);
          if (head == null) {
            ended.mark();
            return;
          }
          String path = head.split(" ")[1];
          paths.add(path);
          if (answersPerConnection > 0 && n >= answersPerConnection) {
            return; // dropped with the request unanswered
          }
          out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + path.length() + "\r\n\r\n" + path)
              .getBytes(StandardCharsets.US_ASCII));
          out.flush();
          if (stray) {
            Thread.sleep(100); // after the client took the connection back
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
          }
        }
      } catch (IOException e) {
        ended.mark();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private static String readHead(InputStream in) throws IOException {
      StringBuilder sb = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0) {
        sb.append((char) c);
        if (sb.length() > 8192) {
          throw new IOException("head too long");
        }
        if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
          return sb.toString();
        }
      }
      return null;
    }

    @Override
    public void close() throws IOException {
      socket.close();
      threads.shutdownNow();
    }
  }

  /** Whether a connection ended, waited for at most 5 s. */
  private static final class Ended {
    private final java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(1);

    void mark() {
      latch.countDown();
    }

    boolean poll() throws InterruptedException {
      return latch.await(5, TimeUnit.SECONDS);
    }
  }
}
