package dev.registrycache.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A registry client of the cache under test ({@code java.net.http}), every call bounded by
 * {@link #TIMEOUT} from request to last body byte.
 */
final class CacheClient {
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER)
      .version(HttpClient.Version.HTTP_1_1)
      .build();
  private final String base;

  CacheClient(InetSocketAddress cache) {
    this.base = "http://127.0.0.1:" + cache.getPort();
  }

  HttpRequest.Builder request(String target, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + target)).timeout(TIMEOUT);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b;
  }

  /** GET; {@code headers} are name, value pairs. */
  HttpResponse<byte[]> get(String target, String... headers) {
    return send(request(target, headers).GET().build());
  }

  HttpResponse<byte[]> head(String target, String... headers) {
    return send(request(target, headers).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
  }

  HttpResponse<byte[]> send(HttpRequest request) {
    return await(http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()));
  }

  /** A GET whose body the caller reads as it arrives (headers are awaited here). */
  CompletableFuture<HttpResponse<InputStream>> stream(String target) {
    return http.sendAsync(request(target).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  static <T> T await(CompletableFuture<T> f) {
    try {
      return f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (ExecutionException e) {
      throw new AssertionError("request failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new AssertionError("no complete answer within " + TIMEOUT, e);
    }
  }

  /** The {@code code} of the first error in an OCI error body. */
  static String errorCode(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      return n.path("errors").path(0).path("code").asText(null);
    } catch (IOException e) {
      throw new AssertionError("not an OCI error body: " + new String(body), e);
    }
  }

  static JsonNode json(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + new String(body), e);
    }
  }
}
