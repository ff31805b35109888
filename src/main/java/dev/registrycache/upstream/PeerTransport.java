package dev.registrycache.upstream;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.ResponseInfo;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Requests to other caches (their peer endpoints): the same Netty connections and body handling
 * as upstream requests, kept connections included, but direct (never through the upstream
 * proxy), plain HTTP inside the cluster, with a connect timeout of their own (tens of
 * milliseconds: a peer that does not answer at once is skipped) and the headers the caller gives.
 */
public final class PeerTransport implements AutoCloseable {
  private static final String USER_AGENT = "registry-cache-peer";
  private final UpstreamChannels channels;
  private final Executor callbacks;

  public PeerTransport(EventLoopGroup loops, Class<? extends SocketChannel> socketType, Executor callbacks,
      Duration connectTimeout) {
    this.channels = new UpstreamChannels(loops, socketType, callbacks, connectTimeout, null);
    this.callbacks = callbacks;
  }

  /**
   * GET {@code uri}; a 2xx body goes to the sink {@code onSuccess} makes. Completes once the
   * answer was read to its end; an answer that is not 2xx arrives without a body.
   *
   * @param headersWithin how long until the answer's headers (a peer fetching from upstream
   *     answers once upstream did)
   */
  public CompletableFuture<HttpResponse<Void>> get(URI uri, Map<String, String> headers, Duration headersWithin,
      Function<ResponseInfo, BodySink> onSuccess) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().timeout(headersWithin).header("User-Agent", USER_AGENT);
    headers.forEach(b::header);
    return StreamExchange.send(channels, channels.route(uri, null), b.build(), onSuccess, callbacks)
        .thenApply(a -> a);
  }

  /**
   * GET or HEAD {@code uri} and the whole answer, its body read up to {@code maxBytes} (a
   * manifest): as {@link UpstreamClient#fetch} answers, but from a peer.
   */
  public CompletableFuture<UpstreamClient.Response> fetch(URI uri, boolean head, Map<String, String> headers,
      Duration headersWithin, int maxBytes) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(head ? "HEAD" : "GET",
        HttpRequest.BodyPublishers.noBody()).timeout(headersWithin).header("User-Agent", USER_AGENT);
    headers.forEach(b::header);
    BytesSink body = new BytesSink(maxBytes, headersWithin);
    return StreamExchange.send(channels, channels.route(uri, null), b.build(), body::forAnswer, callbacks)
        .thenApply(r -> new UpstreamClient.Response(r.statusCode(), r.headers(), body.bytes(), r.uri(),
            body.tooLarge()));
  }

  @Override
  public void close() {
    channels.close();
  }
}
