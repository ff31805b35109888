package dev.registrycache.server;

import dev.registrycache.concurrent.Failures;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.oci.DistributionRequest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.JsonBodies;
import dev.registrycache.oci.OciError;
import dev.registrycache.oci.OciException;
import dev.registrycache.upstream.UpstreamException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /v2/NAME/tags/list}: passed through to upstream (with {@code n}/{@code last});
 * when upstream cannot answer, the tags this cache knows are listed instead.
 */
final class TagList {
  /** A page of tags upstream may send; the largest public repositories need well under 1 MiB. */
  static final int MAX_BYTES = 8 * 1024 * 1024;

  private TagList() {}

  static CompletableFuture<FullHttpResponse> answer(CacheContext cache, RegistryConfig reg,
      DistributionRequest d) {
    StringBuilder path = new StringBuilder("/v2/").append(d.repository()).append("/tags/list");
    String sep = "?";
    if (d.pageSize() >= 0) {
      path.append(sep).append("n=").append(d.pageSize());
      sep = "&";
    }
    if (d.last() != null) {
      path.append(sep).append("last=").append(URLEncoder.encode(d.last(), StandardCharsets.UTF_8));
    }
    // off the event loop: starting may read a password file, and the fallback reads the disk
    return cache.upstreamOffLoop(() -> cache.upstream().fetch(reg, d.repository(), path.toString(),
            "application/json", false, MAX_BYTES))
        .handleAsync((r, err) -> {
          if (err == null && r.status() == 200 && !r.tooLarge()) {
            FullHttpResponse out = Responses.full(HttpResponseStatus.OK, Responses.JSON, r.body(), false);
            String link = r.header("Link");
            if (link != null) {
              out.headers().set("Link", rewriteLink(link, cache, d.registry()));
            }
            return out;
          }
          if (err == null && r.status() == 404) {
            throw new OciException(ErrorCode.NAME_UNKNOWN,
                "repository " + d.repository() + " not found upstream at " + reg.name());
          }
          String why = err != null ? Failures.unwrap(err).getMessage()
              : r.tooLarge() ? "its tag list is larger than " + MAX_BYTES + " bytes" : "answered " + r.status();
          return cached(cache, reg, d, why, err != null ? UpstreamException.gatewayStatus(err) : 503);
        }, cache.disk());
  }

  private static FullHttpResponse cached(CacheContext cache, RegistryConfig reg,
      DistributionRequest d, String why, int status) {
    List<String> tags;
    try {
      tags = cache.tags().tags(d.registry(), d.repository());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (tags.isEmpty()) {
      throw new OciException(new OciError(ErrorCode.UNAVAILABLE, status,
          "cannot list tags of " + d.repository() + ": upstream " + reg.name() + " " + why));
    }
    cache.metrics().staleServed(reg.name(), "tags-list");
    return Responses.full(HttpResponseStatus.OK, Responses.JSON, JsonBodies.tagList(d.repository(), tags), false);
  }

  /** Upstream's next-page link names its own path; clients must come back to us with our prefix. */
  static String rewriteLink(String link, CacheContext cache, String registry) {
    if (registry.equals(cache.config().defaultRegistry())) {
      return link;
    }
    return link.replace("</v2/", "</v2/" + registry + "/");
  }
}
