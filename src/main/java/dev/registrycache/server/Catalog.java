package dev.registrycache.server;

import dev.registrycache.oci.DistributionRequest;
import dev.registrycache.oci.JsonBodies;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /v2/_catalog}: the repositories this cache can serve (at least one tag whose
 * manifest is stored), as {@code REGISTRY/REPO}
 * (which are valid path-prefix names: {@code /v2/quay.io/org/app/...} reaches them), with the
 * spec's {@code n}/{@code last} pagination and {@code Link} header.
 */
final class Catalog {
  private Catalog() {}

  static CompletableFuture<FullHttpResponse> answer(CacheContext cache, DistributionRequest d) {
    return CompletableFuture.supplyAsync(() -> {
      List<String> all = cache.tags().repositories();
      int from = 0;
      if (d.last() != null) {
        while (from < all.size() && all.get(from).compareTo(d.last()) <= 0) {
          from++;
        }
      }
      int to = d.pageSize() < 0 ? all.size() : Math.min(all.size(), from + d.pageSize());
      FullHttpResponse r = Responses.full(HttpResponseStatus.OK, Responses.JSON,
          JsonBodies.catalog(all.subList(from, to)), false);
      if (to < all.size() && to > from) {
        r.headers().set("Link", "</v2/_catalog?last="
            + URLEncoder.encode(all.get(to - 1), StandardCharsets.UTF_8) + "&n=" + d.pageSize()
            + ">; rel=\"next\"");
      }
      return r;
    }, cache.disk());
  }
}
