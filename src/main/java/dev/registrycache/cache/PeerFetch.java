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
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One blob download that asks the blob's owner among the peers first. The owner answers from its
 * disk, or fetches from upstream once for everyone who asks and streams it on. Should the owner
 * not answer (in the short connect timeout: it is then skipped for a while), refuse, or answer
 * anything but the blob, the download goes upstream itself before any byte reached its clients;
 * should it break off, stall or trickle halfway, the rest comes from upstream (a {@code Range}
 * from where the peer stopped). The clients see one answer either way, and the digest is checked
 * over all of it.
 */
final class PeerFetch {
  private static final Logger LOG = LoggerFactory.getLogger(PeerFetch.class);

  private final Peers peers;
  private final PeerDirectory.Next owner;
  private final InFlightBlob blob;
  private final RegistryConfig reg;
  private final String repository;
  private final String path;
  private final UpstreamClient upstream;
  private final CacheMetrics metrics;

  PeerFetch(Peers peers, PeerDirectory.Next owner, InFlightBlob blob, RegistryConfig reg, String repository,
      String path, UpstreamClient upstream, CacheMetrics metrics) {
    this.peers = peers;
    this.owner = owner;
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
    FailoverSink sink = new FailoverSink(download);
    blob.fromPeer(sink::abandonSource, owner.hop());
    blob.via("peer " + owner.peer().name());
    CompletableFuture<HttpResponse<Void>> fromPeer = peers.transport().get(
        peers.uri(owner.peer(), reg.name(), repository + "/blobs/" + blob.digest()), peers.headers(owner),
        peers.headersWithin(), info -> {
          answered.apply(info);
          return sink;
        });
    return fromPeer.handle((r, err) -> {
      boolean whole = err == null && r.statusCode() / 100 == 2 && !sink.broke();
      if (whole) {
        metrics.peerFetch("blob", "fetched");
        return CompletableFuture.completedFuture(r);
      }
      blob.fromUpstream();
      if (blob.state() == InFlightBlob.State.FAILED) {
        return err != null ? CompletableFuture.<HttpResponse<Void>>failedFuture(err) : CompletableFuture.completedFuture(r);
      }
      if (!sink.started()) {
        String why = err == null ? "status-" + r.statusCode() : reason(err);
        if ("unreachable".equals(why)) {
          peers.directory().markDown(owner.peer());
        }
        metrics.peerFetch("blob", why);
        LOG.info("peer {} did not send {} ({}): fetching it from {}", owner.peer().name(), blob.digest(), why, reg.name());
        blob.via(null);
        return upstream.stream(reg, repository, path, null, info -> {
          answered.apply(info);
          return sink.continueWith(200);
        });
      }
      long have = sink.passed();
      metrics.peerFetch("blob", "resumed");
      LOG.info("peer {} broke off {} after {} bytes: the rest from {}", owner.peer().name(), blob.digest(), have, reg.name());
      blob.via("peer " + owner.peer().name() + " and " + reg.name());
      return upstream.stream(reg, repository, path, null, "bytes=" + have + "-", info -> sink.continueWith(info.statusCode()));
    }).thenCompose(f -> f);
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
