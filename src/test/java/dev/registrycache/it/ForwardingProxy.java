package dev.registrycache.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A forward proxy on {@code 127.0.0.1}, as companies run them: {@code CONNECT host:port}
 * tunnels (https upstreams) and absolute-form requests ({@code GET http://host/...}, plain
 * http upstreams) really forwarded to the origin. It resolves host names and addresses through
 * its own table only (anything else gets a 502, as from a proxy that cannot reach the host), so
 * an upstream the cache cannot resolve itself ({@code registry.test}) is reachable only through
 * it. Records every request line it receives.
 */
final class ForwardingProxy implements AutoCloseable {
  private static final int MAX_HEAD = 64 * 1024;
  private static final int SOCKET_TIMEOUT_MS = 30_000;
  private static final int CONNECT_TIMEOUT_MS = 5_000;

  private final ServerSocket server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final List<String> requestLines = new CopyOnWriteArrayList<>();
  private final Map<String, String> hosts;
  private volatile boolean wantsCredentials;
  /** The {@code Proxy-Authorization} value accepted, or null to refuse every request while {@link #wantsCredentials}. */
  private volatile String accepted;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();

  /** {@code hosts}: the hosts this proxy reaches (name or address to an IP address). */
  ForwardingProxy(Map<String, String> hosts) throws IOException {
    this.hosts = Map.copyOf(hosts);
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    threads.execute(this::acceptLoop);
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  int port() {
    return server.getLocalPort();
  }

  /** From now on, answers every request with {@code 407 Proxy Authentication Required}. */
  void requireCredentials() {
    wantsCredentials = true;
    accepted = null;
  }

  /** From now on, answers {@code 407} unless a request carries Basic credentials of this user and password. */
  void requireCredentials(String user, String password) {
    accepted = "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password)
        .getBytes(StandardCharsets.UTF_8));
    wantsCredentials = true;
  }

  /** Every {@code Proxy-Authorization} value received (empty for a request without one). */
  List<String> authorizations() {
    return List.copyOf(authorizations);
  }

  /** Every request line received, e.g. {@code CONNECT registry.test:443 HTTP/1.1}. */
  List<String> requestLines() {
    return List.copyOf(requestLines);
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        open.add(client);
        threads.execute(() -> serve(client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket client) {
    Socket origin = null;
    try (client) {
      client.setSoTimeout(SOCKET_TIMEOUT_MS);
      String head = readHead(client.getInputStream());
      if (head == null) {
        return;
      }
      int eol = head.indexOf("\r\n");
      String requestLine = head.substring(0, eol);
      requestLines.add(requestLine);
      String[] parts = requestLine.split(" ");
      OutputStream toClient = client.getOutputStream();
      String auth = "";
      for (String line : head.substring(eol + 2).split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("proxy-authorization:")) {
          auth = line.substring(line.indexOf(':') + 1).strip();
        }
      }
      authorizations.add(auth);
      if (wantsCredentials && !auth.equals(accepted)) {
        toClient.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n"
            + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        toClient.flush();
        return;
      }
      if (parts[0].equals("CONNECT")) {
        int colon = parts[1].lastIndexOf(':');
        origin = connectOrAnswer502(parts[1].substring(0, colon), Integer.parseInt(parts[1].substring(colon + 1)),
            toClient);
        if (origin == null) {
          return;
        }
        toClient.write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        toClient.flush();
      } else {
        URI target = URI.create(parts[1]);
        origin = connectOrAnswer502(target.getHost(), target.getPort() < 0 ? 80 : target.getPort(), toClient);
        if (origin == null) {
          return;
        }
        String path = target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
        StringBuilder forwarded = new StringBuilder(parts[0] + " " + path + " " + parts[2] + "\r\n");
        for (String line : head.substring(eol + 2).split("\r\n")) {
          String name = line.substring(0, Math.max(0, line.indexOf(':'))).toLowerCase(Locale.ROOT);
          if (!line.isEmpty() && !name.equals("connection") && !name.equals("proxy-connection")
              && !name.equals("proxy-authorization")) {
            forwarded.append(line).append("\r\n");
          }
        }
        forwarded.append("Connection: close\r\n\r\n"); // one request per connection: no response parsing
        origin.getOutputStream().write(forwarded.toString().getBytes(StandardCharsets.ISO_8859_1));
        origin.getOutputStream().flush();
      }
      Socket o = origin;
      threads.execute(() -> pipe(client, o));
      pipe(o, client);
    } catch (IOException | RuntimeException e) {
      // the client sees its connection closed
    } finally {
      if (origin != null) {
        close(origin);
      }
      open.remove(client);
    }
  }

  /** A connection to the origin, or null after answering 502 as proxies do when they cannot reach it. */
  private Socket connectOrAnswer502(String host, int port, OutputStream toClient) throws IOException {
    Socket s = new Socket();
    open.add(s);
    try {
      String ip = hosts.get(host);
      if (ip == null) {
        throw new UnknownHostException(host); // tests have no DNS: the table is all there is
      }
      s.connect(new InetSocketAddress(InetAddress.getByName(ip), port), CONNECT_TIMEOUT_MS);
      s.setSoTimeout(SOCKET_TIMEOUT_MS);
      return s;
    } catch (IOException e) {
      close(s);
      toClient.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      toClient.flush();
      return null;
    }
  }

  /** Copies until {@code from} ends, then closes {@code to}'s output so the other side sees the end. */
  private void pipe(Socket from, Socket to) {
    byte[] buf = new byte[16 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
      to.shutdownOutput();
    } catch (IOException e) {
      close(to);
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (head.size() < MAX_HEAD) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
      if (matched == 4) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  private void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    open.remove(s);
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : open) {
      close(s);
    }
    threads.shutdownNow();
    try {
      threads.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
