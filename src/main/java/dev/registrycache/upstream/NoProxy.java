package dev.registrycache.upstream;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The hosts reached without the proxy, read from a {@code NO_PROXY} list as curl and Go read it:
 * {@code *} (no proxy at all), a host name that matches itself and its subdomains
 * ({@code example.com}, {@code .example.com}, {@code *.example.com}), an IP address, or a CIDR
 * network ({@code 10.0.0.0/8}, {@code fd00::/8}); names and addresses may carry {@code :PORT}
 * ({@code [::1]:5000} for IPv6). {@code localhost} and loopback addresses are always direct.
 * Names are compared as written: no DNS lookups.
 */
final class NoProxy {
  /** One entry: a domain, or an address with the number of leading bits that must match. */
  private record Entry(String domain, byte[] network, int prefixBits, int port) {}

  private final boolean everything;
  private final List<Entry> entries;

  private NoProxy(boolean everything, List<Entry> entries) {
    this.everything = everything;
    this.entries = entries;
  }

  /** Entries that cannot match anything (a malformed network or port) are left out, as Go does. */
  static NoProxy parse(String list) {
    List<Entry> entries = new ArrayList<>();
    boolean everything = false;
    for (String raw : list == null ? new String[0] : list.split(",")) {
      String e = raw.strip().toLowerCase(Locale.ROOT);
      if (e.equals("*")) {
        everything = true;
      } else if (!e.isEmpty()) {
        Entry parsed = entry(e);
        if (parsed != null) {
          entries.add(parsed);
        }
      }
    }
    return new NoProxy(everything, List.copyOf(entries));
  }

  private static Entry entry(String e) {
    int slash = e.indexOf('/');
    if (slash > 0) {
      InetAddress net = literal(e.substring(0, slash));
      int bits = number(e.substring(slash + 1));
      return net == null || bits < 0 || bits > net.getAddress().length * 8 ? null
          : new Entry(null, net.getAddress(), bits, -1);
    }
    String host = e;
    int port = -1;
    int colon = e.lastIndexOf(':');
    boolean hostPort = e.startsWith("[") ? colon > 0 && e.charAt(colon - 1) == ']' : colon > 0 && e.indexOf(':') == colon;
    if (hostPort) {
      port = number(e.substring(colon + 1));
      if (port < 0 || port > 65535) {
        return null;
      }
      host = e.substring(0, colon);
    }
    InetAddress ip = literal(host);
    if (ip != null) {
      return new Entry(null, ip.getAddress(), ip.getAddress().length * 8, port);
    }
    String domain = withoutTrailingDot(host.startsWith("*.") ? host.substring(2) : host.startsWith(".") ? host.substring(1) : host);
    return domain.isEmpty() ? null : new Entry(domain, null, 0, port);
  }

  /** Whether a request to {@code host:port} goes direct. */
  boolean bypass(String host, int port) {
    if (host == null || everything) {
      return true;
    }
    String h = withoutTrailingDot(host.toLowerCase(Locale.ROOT));
    InetAddress ip = literal(h);
    if (h.equals("localhost") || ip != null && ip.isLoopbackAddress()) {
      return true;
    }
    for (Entry e : entries) {
      if (e.port >= 0 && e.port != port) {
        continue;
      }
      if (e.network != null ? ip != null && inNetwork(ip.getAddress(), e.network, e.prefixBits)
          : ip == null && (h.equals(e.domain) || h.endsWith("." + e.domain))) {
        return true;
      }
    }
    return false;
  }

  /** An IPv4 or IPv6 literal ({@code [::1]} too), or null for anything else; never looks a name up. */
  static InetAddress literal(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    try {
      if (h.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
        byte[] b = new byte[4];
        String[] octets = h.split("\\.");
        for (int i = 0; i < 4; i++) {
          int v = Integer.parseInt(octets[i]);
          if (v > 255) {
            return null;
          }
          b[i] = (byte) v;
        }
        return InetAddress.getByAddress(b);
      }
      if (h.indexOf(':') >= 0 && h.matches("[0-9a-f:.]+")) {
        return InetAddress.getByName("[" + h + "]"); // brackets: parsed as IPv6, never resolved
      }
    } catch (UnknownHostException e) {
      return null; // not a valid address
    }
    return null;
  }

  private static boolean inNetwork(byte[] address, byte[] network, int bits) {
    if (address.length != network.length) {
      return false;
    }
    for (int i = 0; i < bits; i++) {
      int mask = 0x80 >> (i % 8);
      if ((address[i / 8] & mask) != (network[i / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  private static int number(String s) {
    return s.matches("\\d{1,5}") ? Integer.parseInt(s) : -1;
  }

  private static String withoutTrailingDot(String h) {
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }
}
