package dev.registrycache.upstream;

import java.net.URI;

/** How upstream URLs appear in messages: never with a query, which may carry a signature. */
final class UpstreamUris {
  private UpstreamUris() {}

  /** {@code scheme://host[:port]} (never user information). */
  static String origin(URI u) {
    return u.getScheme() + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "");
  }

  /** {@code scheme://host[:port]/path}, without query and fragment. */
  static String safe(URI u) {
    if (u.getScheme() == null || u.getHost() == null) {
      return "(a relative or opaque URL)";
    }
    return origin(u) + (u.getRawPath() == null ? "" : u.getRawPath());
  }
}
