package dev.registrycache.upstream;

import dev.registrycache.config.UpstreamProxy;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The user and password a proxy asks for: {@code username} and {@code passwordFile} of the
 * config (the file read at every use, so a rotated Secret takes effect without a restart), else
 * the user information of the proxy's URL. Never printed.
 */
final class ProxyCredentials {
  /** A user and password; {@link #toString()} shows the user only. */
  record Login(String user, String password) {
    String basic() {
      return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return "Login[" + user + ", <redacted>]";
    }
  }

  private final UpstreamProxy config;

  ProxyCredentials(UpstreamProxy config) {
    this.config = config;
  }

  /** The login for the proxy of {@code proxyUrl}, or {@code null} when it needs none. */
  Login forProxy(String proxyUrl) throws IOException {
    if (config.username() != null) {
      String password = config.passwordFile() == null ? ""
          : Files.readString(Path.of(config.passwordFile()), StandardCharsets.UTF_8).strip();
      return new Login(config.username(), password);
    }
    if (proxyUrl == null) {
      return null;
    }
    String info = URI.create(proxyUrl.contains("://") ? proxyUrl : "http://" + proxyUrl).getRawUserInfo();
    if (info == null || info.isEmpty()) {
      return null;
    }
    int colon = info.indexOf(':');
    String user = colon < 0 ? info : info.substring(0, colon);
    String password = colon < 0 ? "" : info.substring(colon + 1);
    return new Login(URLDecoder.decode(user, StandardCharsets.UTF_8), URLDecoder.decode(password, StandardCharsets.UTF_8));
  }
}
