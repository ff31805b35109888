package dev.registrycache.config;

import java.util.Map;

/**
 * The HTTP(S) proxy for upstream requests: the config file's {@code upstreamProxy}, else the
 * usual environment variables ({@code HTTPS_PROXY}, {@code HTTP_PROXY}, {@code NO_PROXY}, upper
 * or lower case).
 *
 * @param httpsProxy proxy URL for https upstreams, e.g. {@code http://proxy.example:3128}
 *     ({@code http://user:password@proxy.example:3128} also works, but keeps the password in
 *     the environment or the file; prefer {@code username} and {@code passwordFile})
 * @param httpProxy proxy URL for plain-http upstreams
 * @param noProxy comma-separated hosts and domains ({@code example.com}, {@code .example.com}
 *     and {@code *.example.com} also match subdomains), IP addresses, CIDR networks, any of
 *     them with {@code :PORT}, or {@code *}: reached directly
 * @param username the user the proxy asks for ({@code Proxy-Authorization: Basic}), if any
 * @param passwordFile a file holding that user's password (e.g. a mounted Secret), read at
 *     every new proxy connection, so a rotated password is used without a restart
 */
public record UpstreamProxy(String httpsProxy, String httpProxy, String noProxy, String username,
    String passwordFile) {
  public static final UpstreamProxy NONE = new UpstreamProxy(null, null, null);

  public UpstreamProxy(String httpsProxy, String httpProxy, String noProxy) {
    this(httpsProxy, httpProxy, noProxy, null, null);
  }

  /** {@code configured} where it says something, the environment otherwise. */
  public static UpstreamProxy resolve(UpstreamProxy configured, Map<String, String> env) {
    UpstreamProxy c = configured == null ? NONE : configured;
    return new UpstreamProxy(
        first(c.httpsProxy, env.get("HTTPS_PROXY"), env.get("https_proxy")),
        first(c.httpProxy, env.get("HTTP_PROXY"), env.get("http_proxy")),
        first(c.noProxy, env.get("NO_PROXY"), env.get("no_proxy")), c.username, c.passwordFile);
  }

  public boolean isNone() {
    return httpsProxy == null && httpProxy == null;
  }

  private static String first(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.strip();
      }
    }
    return null;
  }

  /** Proxy URLs may carry credentials: never print them. */
  @Override
  public String toString() {
    return "UpstreamProxy[https=" + redact(httpsProxy) + ", http=" + redact(httpProxy) + ", noProxy=" + noProxy
        + (username != null ? ", username=" + username + ", passwordFile=" + passwordFile : "") + "]";
  }

  /** The URL with any user and password replaced. */
  public static String redact(String url) {
    if (url == null) {
      return null;
    }
    int at = url.indexOf('@');
    int scheme = url.indexOf("://");
    return at < 0 ? url : url.substring(0, scheme < 0 ? 0 : scheme + 3) + "<redacted>" + url.substring(at);
  }
}
