package dev.registrycache.upstream;

import java.net.URI;
import java.util.Locale;
import java.util.Set;

/**
 * Which redirects an upstream may send the cache to: never from https down to http, and never to
 * the node itself, link-local addresses or cloud metadata services, unless the configured
 * upstream is itself such an address (a registry on the node's loopback, as in tests). Hosts
 * are judged by their literal name or address; names are not resolved.
 */
final class RedirectPolicy {
  private static final Set<String> METADATA_HOSTS = Set.of("metadata.google.internal", "metadata",
      "metadata.azure.internal", "instance-data", "instance-data.ec2.internal");

  private RedirectPolicy() {}

  /** Why following {@code from -> to} is refused, or null when it is allowed. */
  static String refusal(URI from, URI to, URI registry) {
    if (!"http".equals(to.getScheme()) && !"https".equals(to.getScheme())) {
      return "not an http(s) location";
    }
    if ("https".equals(from.getScheme()) && "http".equals(to.getScheme())) {
      return "downgrade from https to http";
    }
    if (to.getHost() == null) {
      return "no host";
    }
    if (isInternal(to.getHost()) && !isInternal(registry.getHost())) {
      return "to a local, link-local or metadata address (" + to.getHost() + ")";
    }
    return null;
  }

  static boolean isInternal(String host) {
    if (host == null) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost") || h.endsWith(".localhost") || METADATA_HOSTS.contains(h)) {
      return true;
    }
    if (h.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      String[] o = h.split("\\.");
      int a = Integer.parseInt(o[0]);
      int b = Integer.parseInt(o[1]);
      return a == 127 || a == 0 || a == 169 && b == 254 || h.equals("100.100.100.200");
    }
    if (h.contains(":")) { // IPv6 literal
      return h.equals("::1") || h.equals("::") || h.startsWith("fe8") || h.startsWith("fe9") || h.startsWith("fea")
          || h.startsWith("feb") || h.startsWith("::ffff:127.") || h.startsWith("fd00:ec2::254");
    }
    return false;
  }
}
