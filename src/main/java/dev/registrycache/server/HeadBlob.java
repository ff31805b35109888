package dev.registrycache.server;

import dev.registrycache.concurrent.Failures;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.oci.DistributionRequest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import dev.registrycache.oci.OciException;
import dev.registrycache.upstream.UpstreamException;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.CompletableFuture;

/** {@code HEAD} of a blob we do not hold: asks upstream, downloads nothing. */
final class HeadBlob {
  private HeadBlob() {}

  static CompletableFuture<FullHttpResponse> answer(CacheContext cache, RegistryConfig reg,
      DistributionRequest d) {
    String path = "/v2/" + d.repository() + "/blobs/" + d.digest();
    return cache.upstreamOffLoop(() -> cache.upstream().fetch(reg, d.repository(), path, null, true, 0)).handle((r, err) -> {
      if (err != null) {
        throw new OciException(new OciError(ErrorCode.UNAVAILABLE, UpstreamException.gatewayStatus(err),
            Failures.unwrap(err).getMessage()));
      }
      if (r.status() == 404) {
        throw new OciException(ErrorCode.BLOB_UNKNOWN, "blob " + d.digest() + " not found upstream at " + reg.name());
      }
      if (r.status() != 200) {
        throw new OciException(new OciError(ErrorCode.UNAVAILABLE, r.status() >= 500 ? 503 : 502,
            reg.name() + " answered " + r.status() + " for blob " + d.digest()));
      }
      long size = r.headers().firstValueAsLong("Content-Length").orElse(-1);
      FullHttpResponse out = Responses.head(HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
      if (size >= 0) {
        RegistryRequestHandler.blobHeaders(out.headers(), d.digest().toString(), size, null);
      }
      return out;
    });
  }
}
