package dev.registrycache.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.registrycache.config.HostPort;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The admin port, apart from client traffic: {@code /metrics} (Prometheus text),
 * {@code /healthz} (the process is alive), {@code /readyz} (the cache answers; a storage that
 * takes no writes is named but does not make it unready, since what is stored is still served)
 * and {@code /status} (the state in words: the node's mirror entries, the storage).
 */
public final class AdminServer implements AutoCloseable {
  private final HttpServer server;

  /**
   * @param readyDetail why not ready, or what limits the cache while ready, in one line (may be empty)
   * @param status the state in words, lines below "ready" or "not ready"
   */
  AdminServer(HostPort listen, PrometheusMeterRegistry prometheus, BooleanSupplier ready,
      Supplier<String> readyDetail, Supplier<String> status) throws IOException {
    server = HttpServer.create(new InetSocketAddress(listen.host(), listen.port()), 64);
    server.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "admin-http");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
        prometheus.scrape()));
    server.createContext("/healthz", ex -> send(ex, 200, "text/plain", "ok\n"));
    server.createContext("/readyz", ex -> {
      boolean ok = ready.getAsBoolean();
      String detail = readyDetail.get();
      send(ex, ok ? 200 : 503, "text/plain", (ok ? "ready" : "not ready")
          + (detail.isEmpty() ? "" : ": " + detail) + "\n");
    });
    server.createContext("/status", ex -> send(ex, 200, "text/plain",
        (ready.getAsBoolean() ? "ready" : "not ready") + "\n" + status.get() + "\n"));
    server.start();
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : b.length);
    try (OutputStream out = ex.getResponseBody()) {
      if (!head) {
        out.write(b);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
