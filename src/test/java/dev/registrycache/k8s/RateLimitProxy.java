package dev.registrycache.k8s;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Between the cache and a local registry: adds Docker Hub's {@code ratelimit-remaining} header to
 * every answer (a local registry sends none), and answers manifest requests 503 while told to
 * (Docker Hub having trouble). Everything else passes as it is. On 127.0.0.1 only.
 */
final class RateLimitProxy implements AutoCloseable {
  static final String REMAINING = "97;w=21600";
  private static final List<String> FORWARDED = List.of("Accept", "Authorization", "Range", "If-None-Match");
  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(8);
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String upstream;
  private volatile boolean failManifests;

  private RateLimitProxy(String upstream) throws IOException {
    this.upstream = upstream;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(threads);
    server.createContext("/", this::forward);
    server.start();
  }

  static RateLimitProxy start(String upstream) throws IOException {
    return new RateLimitProxy(upstream);
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  void failManifests(boolean fail) {
    failManifests = fail;
  }

  private void forward(HttpExchange ex) throws IOException {
    try (ex) {
      boolean head = ex.getRequestMethod().equals("HEAD");
      ex.getResponseHeaders().set("ratelimit-remaining", REMAINING);
      if (failManifests && ex.getRequestURI().getPath().contains("/manifests/")) {
        ex.sendResponseHeaders(503, -1);
        return;
      }
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream + ex.getRequestURI()))
          .timeout(Duration.ofSeconds(60)).method(ex.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
      for (String h : FORWARDED) {
        String v = ex.getRequestHeaders().getFirst(h);
        if (v != null) {
          b.header(h, v);
        }
      }
      HttpResponse<InputStream> r;
      try {
        r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ex.sendResponseHeaders(502, -1);
        return;
      }
      r.headers().map().forEach((k, v) -> {
        if (!k.equalsIgnoreCase("content-length") && !k.equalsIgnoreCase("transfer-encoding")
            && !k.equalsIgnoreCase("connection") && !k.startsWith(":")) {
          ex.getResponseHeaders().put(k, v);
        }
      });
      long length = r.headers().firstValueAsLong("content-length").orElse(0);
      if (head) {
        r.headers().firstValue("content-length").ifPresent(v -> ex.getResponseHeaders().set("Content-Length", v));
      }
      ex.sendResponseHeaders(r.statusCode(), head || r.statusCode() == 204 || r.statusCode() == 304 ? -1 : length);
      try (InputStream in = r.body(); OutputStream out = ex.getResponseBody()) {
        if (!head) {
          in.transferTo(out);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
