package dev.registrycache.cache;

import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import dev.registrycache.upstream.UpstreamException;

/** Maps upstream trouble to the error a client gets. */
final class Errors {
  private Errors() {}

  static OciError fromStatus(int status, String registry, ErrorCode notFound, String what) {
    return switch (status) {
      case 404 -> new OciError(notFound, what + " not found upstream at " + registry);
      case 401, 403 -> new OciError(ErrorCode.DENIED, 403, registry + " refused access to " + what
          + " (" + status + "); check the registry's credentials");
      case 429 -> new OciError(ErrorCode.TOOMANYREQUESTS, registry + " is rate limiting (429)");
      default -> new OciError(ErrorCode.UNAVAILABLE, status >= 500 ? 503 : 502,
          registry + " answered " + status + " for " + what);
    };
  }

  static OciError fromUpstream(UpstreamException e, ErrorCode notFound, String what) {
    if (e.status() == 0) {
      return new OciError(ErrorCode.UNAVAILABLE, e.timedOut() ? 504 : 503, e.getMessage());
    }
    return fromStatus(e.status(), e.getMessage(), notFound, what);
  }
}
