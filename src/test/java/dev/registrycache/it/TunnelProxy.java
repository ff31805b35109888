package dev.registrycache.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A forward proxy on 127.0.0.1 for https upstreams: it answers {@code CONNECT host:port} (as a
 * client configured with HTTPS_PROXY sends it) by opening a tunnel to the registry at
 * 127.0.0.1:{@code targetPort}, whatever host was asked for, so upstream URLs can use names
 * nothing else resolves. Records the CONNECT targets; refuses every other method with 405.
 */
final class TunnelProxy implements AutoCloseable {
  private final ServerSocket socket = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final int targetPort;
  final List<String> tunnels = new CopyOnWriteArrayList<>();

  TunnelProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    threads.execute(this::accept);
  }

  String url() {
    return "http://127.0.0.1:" + socket.getLocalPort();
  }

  private void accept() {
    while (!socket.isClosed()) {
      try {
        Socket client = socket.accept();
        threads.execute(() -> tunnel(client));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void tunnel(Socket client) {
    try (client) {
      String head = readHead(client.getInputStream());
      String[] line = head.split("\r\n", 2)[0].split(" ");
      OutputStream toClient = client.getOutputStream();
      if (!line[0].equals("CONNECT")) {
        toClient.write("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return;
      }
      tunnels.add(line[1]);
      try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort)) {
        toClient.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        toClient.flush();
        threads.execute(() -> pipe(upstream, client));
        pipe(client, upstream);
      }
    } catch (IOException e) {
      // the client or the registry went away: the tunnel ends
    }
  }

  private static void pipe(Socket from, Socket to) {
    try {
      from.getInputStream().transferTo(to.getOutputStream());
      to.shutdownOutput();
    } catch (IOException e) {
      // one side closed
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0 && b.size() < 8192) {
      b.write(c);
      byte[] a = b.toByteArray();
      int n = a.length;
      if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
        break;
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
    threads.shutdownNow();
  }
}
