package dev.registrycache.config;

/** A listen address such as {@code 127.0.0.1:5000}. */
public record HostPort(String host, int port) {
  public static HostPort parse(String s) {
    int colon = s.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("expected HOST:PORT, got " + s);
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected HOST:PORT, got " + s);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range in " + s);
    }
    return new HostPort(host.isEmpty() ? "0.0.0.0" : host, port);
  }

  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
