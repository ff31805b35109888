package dev.registrycache.cache;

import dev.registrycache.config.RegistryConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.peer.PeerDirectory;
import dev.registrycache.peer.Peers;
import dev.registrycache.upstream.BodySink;
import dev.registrycache.upstream.UpstreamClient;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.ResponseInfo;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One blob download that asks the blob's owner among the peers first. The owner answers from its
 * disk, or fetches from upstream once for everyone who asks and streams it on. Should the owner
 * not answer (in the short connect timeout), refuse, answer anything but the blob, or break off
 * halfway (a node drained or killed in the middle of a rollout), it is skipped for a while and
 * the blob's next owner is asked, once, for what is still missing (a {@code Range}); so the
 * nodes that were waiting on a vanished owner converge on one new owner instead of all going
 * upstream. Should that fail too, or no other peer own the blob, the rest comes from upstream.
 * A peer that stalls or trickles is given up the same way. The clients see one answer
 * whichever sources it took, and the digest is checked over all of it.
 */
final class PeerFetch {
  private static final Logger LOG = LoggerFactory.getLogger(PeerFetch.class);
  /** How long the next owner is given to notice that the peer it waited on is gone, too. */
  static final Duration NEXT_OWNER_DELAY = Duration.ofMillis(50);

  private final Peers peers;
  private final PeerDirectory.Next owner;
  private final int hop;
  private final InFlightBlob blob;
  private final RegistryConfig reg;
  private final String repository;
  private final String path;
  private final UpstreamClient upstream;
  private final CacheMetrics metrics;

  /**
   * @param owner the peer to ask first
   * @param hop the level the request for the blob reached (0 for this node's own client)
   */
  PeerFetch(Peers peers, PeerDirectory.Next owner, int hop, InFlightBlob blob, RegistryConfig reg,
      String repository, String path, UpstreamClient upstream, CacheMetrics metrics) {
    this.peers = peers;
    this.owner = owner;
    this.hop = hop;
    this.blob = blob;
    this.reg = reg;
    this.repository = repository;
    this.path = path;
    this.upstream = upstream;
    this.metrics = metrics;
  }

  /**
   * @param download the blob's download
   * @param answered turns the first source's answer into the download (its length announced)
   * @return the exchange that ends with the last source's answer
   */
  CompletableFuture<HttpResponse<Void>> start(BodySink download, Function<ResponseInfo, BodySink> answered) {
    return ask(owner, new FailoverSink(download), answered, true);
  }

  private CompletableFuture<HttpResponse<Void>> ask(PeerDirectory.Next from, FailoverSink sink,
      Function<ResponseInfo, BodySink> answered, boolean first) {
    blob.fromPeer(sink::abandonSource, from.hop());
    blob.via("peer " + from.peer().name());
    long have = sink.passed();
    Map<String, String> headers = peers.headers(from);
    if (have > 0) {
      headers = new HashMap<>(headers);
      headers.put("Range", "bytes=" + have + "-");
    }
    CompletableFuture<HttpResponse<Void>> fromPeer = peers.transport().get(
        peers.uri(from.peer(), reg.name(), repository + "/blobs/" + blob.digest()), headers,
        peers.headersWithin(), info -> next(sink, answered, info, false));
    return fromPeer.handle((r, err) -> {
      boolean whole = err == null && r.statusCode() / 100 == 2 && !sink.broke();
      if (whole) {
        metrics.peerFetch("blob", first ? "fetched" : "fetched-from-next-owner");
        return CompletableFuture.completedFuture(r);
      }
      blob.fromUpstream();
      if (blob.state() == InFlightBlob.State.FAILED) {
        return err != null ? CompletableFuture.<HttpResponse<Void>>failedFuture(err) : CompletableFuture.completedFuture(r);
      }
      String why = sink.passed() > have || sink.broke() ? "broke" : err != null ? reason(err) : "status-" + r.statusCode();
      if (!why.startsWith("status-")) {
        peers.directory().markDown(from.peer()); // gone, or going: skipped for a while
      }
      metrics.peerFetch("blob", why);
      Optional<PeerDirectory.Next> other = first ? peers.owner(blob.digest().toString(), hop) : Optional.empty();
      if (other.isPresent() && !other.get().peer().equals(from.peer())) {
        LOG.info("peer {} did not send {} ({}, {} bytes passed): asking peer {}", from.peer().name(), blob.digest(),
            why, sink.passed(), other.get().peer().name());
        // the next owner was most likely waiting on the same peer: it gets a moment to notice
        // and go upstream itself, so that it answers instead of calling the blob busy
        return CompletableFuture.supplyAsync(() -> ask(other.get(), sink, answered, false),
            CompletableFuture.delayedExecutor(NEXT_OWNER_DELAY.toMillis(), TimeUnit.MILLISECONDS)).thenCompose(f -> f);
      }
      long at = sink.passed();
      LOG.info("peer {} did not send {} ({}, {} bytes passed): {} from {}", from.peer().name(), blob.digest(), why,
          at, at > 0 ? "the rest" : "fetching it", reg.name());
      blob.via(at > 0 ? "peer " + from.peer().name() + " and " + reg.name() : null);
      return upstream.stream(reg, repository, path, null, at > 0 ? "bytes=" + at + "-" : null,
          info -> next(sink, answered, info, true));
    }).thenCompose(f -> f);
  }

  /** The sink for the next source's answer; the first answer that has a body announces the length. */
  private static BodySink next(FailoverSink sink, Function<ResponseInfo, BodySink> answered, ResponseInfo info,
      boolean last) {
    if (!sink.started()) {
      answered.apply(info);
    }
    return sink.continueWith(info.statusCode(), last);
  }

  /** How a peer failed, as a metric label. */
  static String reason(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException
          || t instanceof io.netty.channel.ConnectTimeoutException) {
        return "unreachable";
      }
    }
    return "failed";
  }
}
