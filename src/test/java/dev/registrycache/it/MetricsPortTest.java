package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.config.HostPort;
import dev.registrycache.metrics.AccessDecision;
import dev.registrycache.metrics.AccessReviewer;
import dev.registrycache.server.CacheApplication;
import dev.registrycache.server.MetricsServer;
import dev.registrycache.upstream.UpstreamTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/**
 * The metrics port off the loopback: TLS, and only a token that the API server accepts and
 * authorizes gets the metrics (here a reviewer that answers as the API server would, counting
 * the reviews); answers are remembered, so repeated scrapes cost one review. Plain when told.
 */
class MetricsPortTest extends CacheTestBase {
  private static final Map<String, AccessDecision> TOKENS = Map.of("prometheus-token", AccessDecision.ALLOWED,
      "someone-else", AccessDecision.FORBIDDEN);

  private final AtomicInteger reviews = new AtomicInteger();
  private final AccessReviewer apiServer = token -> {
    reviews.incrementAndGet();
    if (token.equals("api-down")) {
      throw new IllegalStateException("connection refused");
    }
    return TOKENS.getOrDefault(token, AccessDecision.UNAUTHENTICATED);
  };

  @Test
  void onlyAnAuthorizedTokenGetsTheMetricsOverTls() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = closeAfter(CacheApplication.start(setup().registry("docker.io", upstream.url()).config(),
        new MetricsServer.Settings(new HostPort("127.0.0.1", 0), apiServer)));
    assertTrue(cache.metricsServer().secure());
    String url = "https://127.0.0.1:" + cache.metricsServer().address().getPort() + "/metrics";
    HttpClient https = HttpClient.newBuilder().sslContext(trustAnything()).connectTimeout(Duration.ofSeconds(5)).build();

    HttpResponse<String> none = https.send(get(url, null), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, none.statusCode());
    assertTrue(none.headers().firstValue("www-authenticate").orElse("").startsWith("Bearer"), none.headers().toString());
    assertEquals(0, reviews.get(), "no token, no review");
    assertEquals(401, https.send(get(url, "Basic cHJvbTpwYXNz"), HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(401, https.send(get(url, "Bearer made-up"), HttpResponse.BodyHandlers.ofString()).statusCode());
    HttpResponse<String> forbidden = https.send(get(url, "Bearer someone-else"), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, forbidden.statusCode());
    assertFalse(forbidden.body().contains("registry_cache_"), forbidden.body());

    for (int i = 0; i < 20; i++) {
      HttpResponse<String> ok = https.send(get(url, "Bearer prometheus-token"), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode());
      assertTrue(ok.body().contains("registry_cache_store_limit_bytes"), ok.body());
    }
    assertEquals(3, reviews.get(), "one review per token: 20 scrapes with the same token cost one");
    assertEquals(3, cache.metricsServer().reviews());

    // the operator asks for only what it gathers
    HttpResponse<String> some = https.send(get(url + "?name[]=registry_cache_store_limit_bytes",
        "Bearer prometheus-token"), HttpResponse.BodyHandlers.ofString());
    assertTrue(some.body().contains("registry_cache_store_limit_bytes"), some.body());
    assertFalse(some.body().contains("registry_cache_store_blobs"), some.body());

    // the API server cannot be asked: 503, and that is not remembered
    assertEquals(503, https.send(get(url, "Bearer api-down"), HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(503, https.send(get(url, "Bearer api-down"), HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(5, reviews.get());
    assertEquals(404, https.send(get(url.replace("/metrics", "/status"), "Bearer prometheus-token"),
        HttpResponse.BodyHandlers.ofString()).statusCode());

    // no plain HTTP on the secure port
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try {
      HttpResponse<String> r = plain.send(get(url.replace("https:", "http:"), "Bearer prometheus-token"),
          HttpResponse.BodyHandlers.ofString());
      assertFalse(r.statusCode() == 200 && r.body().contains("registry_cache_"), "metrics over plain http");
    } catch (java.io.IOException expected) {
      // the TLS handler closes the connection
    }
  }

  @Test
  void plainWhenToldServesWithoutToken() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = closeAfter(CacheApplication.start(setup().registry("docker.io", upstream.url()).config(),
        new MetricsServer.Settings(new HostPort("127.0.0.1", 0), null)));
    assertFalse(cache.metricsServer().secure());
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> r = plain.send(get("http://127.0.0.1:" + cache.metricsServer().address().getPort()
        + "/metrics", null), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.body().contains("registry_cache_store_limit_bytes"), r.body());
  }

  private static HttpRequest get(String url, String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return b.build();
  }

  /** Scrapers skip verifying the per-pod self-signed certificate, as they do for controller-runtime's. */
  static SSLContext trustAnything() throws Exception {
    return UpstreamTls.context(null, true);
  }
}
