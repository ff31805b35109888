package dev.registrycache.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for what {@code java.net.http} hides: request targets sent
 * byte for byte ({@code ..}, {@code %2e%2e}), and bodies that end early (how many bytes
 * arrived before the server closed the connection). Every read is bounded.
 */
final class RawHttp {
  /**
   * @param declaredLength the Content-Length, or -1
   * @param closedEarly the server closed the connection before sending declaredLength bytes
   */
  record Response(int status, Map<String, String> headers, byte[] body, long declaredLength,
      boolean closedEarly) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    boolean complete() {
      return !closedEarly && declaredLength == body.length;
    }
  }

  private RawHttp() {}

  static Response get(InetSocketAddress server, String target, Duration timeout) throws IOException {
    return exchange(server, "GET", target, timeout);
  }

  static Response exchange(InetSocketAddress server, String method, String target, Duration timeout)
      throws IOException {
    return exchange(server, method, target, timeout, java.util.List.of());
  }

  /**
   * One request with extra header lines sent exactly as given, one line each (repeated names
   * stay repeated, as containers/image sends {@code Accept}).
   */
  static Response exchange(InetSocketAddress server, String method, String target, Duration timeout,
      java.util.List<String> headerLines) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.getPort()), (int) timeout.toMillis());
      s.setSoTimeout((int) timeout.toMillis());
      OutputStream out = s.getOutputStream();
      out.write((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.getPort()
          + "\r\nConnection: close\r\n" + headerLines.stream().map(h -> h + "\r\n")
          .collect(java.util.stream.Collectors.joining()) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String statusLine = line(in);
      if (statusLine == null) {
        throw new IOException("connection closed before a status line");
      }
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new HashMap<>();
      for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
        int colon = h.indexOf(':');
        headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      long declared = headers.containsKey("content-length")
          ? Long.parseLong(headers.get("content-length")) : -1;
      long want = method.equals("HEAD") ? 0 : declared;
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      byte[] buf = new byte[65536];
      boolean eof = false;
      while (want < 0 || body.size() < want) {
        if (System.nanoTime() > deadline) {
          throw new SocketTimeoutException("body not complete within " + timeout);
        }
        int n = in.read(buf, 0, want < 0 ? buf.length : (int) Math.min(buf.length, want - body.size()));
        if (n < 0) {
          eof = true;
          break;
        }
        body.write(buf, 0, n);
      }
      return new Response(status, headers, body.toByteArray(), declared, eof && want >= 0);
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int len = sb.length();
        return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }
}
