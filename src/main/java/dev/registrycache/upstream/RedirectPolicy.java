package dev.registrycache.upstream;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;

/**
 * Which redirects an upstream may send the cache to: never from https down to http, and never to
 * the node itself, link-local addresses or cloud metadata services, unless the configured
 * upstream is itself such an address (a registry on the node's loopback, as in tests). A host
 * name is judged by its name and by every address it resolves to, so a public name pointing at
 * 127.0.0.1 or 169.254.169.254 is refused too.
 */
final class RedirectPolicy {
  /** Resolves a host name (tests give their own). */
  interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private static final Resolver DNS = InetAddress::getAllByName;

  /** Judges names by themselves (for targets a proxy resolves: this node may not even reach DNS). */
  static final Resolver NAME_ONLY = host -> {
    throw new UnknownHostException(host);
  };

  private static final Set<String> METADATA_HOSTS = Set.of("metadata.google.internal", "metadata",
      "metadata.azure.internal", "instance-data", "instance-data.ec2.internal");

  private RedirectPolicy() {}

  /** Why following {@code from -> to} is refused, or null when it is allowed. */
  static String refusal(URI from, URI to, URI registry) {
    return refusal(from, to, registry, DNS);
  }

  static String refusal(URI from, URI to, URI registry, Resolver resolver) {
    if (!"http".equals(to.getScheme()) && !"https".equals(to.getScheme())) {
      return "not an http(s) location";
    }
    if ("https".equals(from.getScheme()) && "http".equals(to.getScheme())) {
      return "downgrade from https to http";
    }
    if (to.getHost() == null) {
      return "no host";
    }
    if (!isInternal(registry.getHost()) && (isInternal(to.getHost()) || resolvesInternal(to.getHost(), resolver))) {
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

  /** Whether a host name (not a literal address) resolves to an internal address. */
  private static boolean resolvesInternal(String host, Resolver resolver) {
    String h = host.startsWith("[") ? host : host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") || h.matches("[0-9.]+")) {
      return false; // a literal, judged by isInternal already
    }
    try {
      for (InetAddress a : resolver.resolve(h)) {
        if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()
            || isInternal(a.getHostAddress())) {
          return true;
        }
      }
      return false;
    } catch (UnknownHostException e) {
      return false; // the request itself fails on the name
    }
  }
}
