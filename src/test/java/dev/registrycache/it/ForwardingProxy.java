package dev.registrycache.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A forward HTTP proxy on 127.0.0.1 for plain-http upstreams (absolute-form requests, as a
 * client configured with HTTP_PROXY sends them): every host name it is asked for is served by
 * the registry at 127.0.0.1:{@code targetPort}, so upstream URLs can use names nothing else
 * resolves. Records the absolute URIs it forwarded.
 */
final class ForwardingProxy implements AutoCloseable {
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "proxy-connection", "keep-alive",
      "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "host", "content-length");
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER).build();
  private final int targetPort;
  final List<String> forwarded = new CopyOnWriteArrayList<>();

  ForwardingProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(executor);
    server.createContext("/", this::forward);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void forward(HttpExchange ex) throws IOException {
    try {
      URI asked = ex.getRequestURI();
      forwarded.add(asked.toString());
      URI to = URI.create("http://127.0.0.1:" + targetPort + asked.getRawPath()
          + (asked.getRawQuery() == null ? "" : "?" + asked.getRawQuery()));
      HttpRequest.Builder b = HttpRequest.newBuilder(to).timeout(Duration.ofSeconds(10))
          .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
      ex.getRequestHeaders().forEach((name, values) -> {
        if (!HOP_BY_HOP.contains(name.toLowerCase())) {
          values.forEach(v -> b.header(name, v));
        }
      });
      HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      r.headers().map().forEach((name, values) -> {
        if (!HOP_BY_HOP.contains(name.toLowerCase()) && !name.startsWith(":")) {
          values.forEach(v -> ex.getResponseHeaders().add(name, v));
        }
      });
      boolean head = ex.getRequestMethod().equals("HEAD");
      ex.sendResponseHeaders(r.statusCode(), head || r.body().length == 0 ? -1 : r.body().length);
      if (!head) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(r.body());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      ex.close();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
