package dev.registrycache.server;

import dev.registrycache.concurrent.Failures;
import dev.registrycache.cache.BasicCredentials;
import dev.registrycache.cache.BlobService;
import dev.registrycache.cache.ManifestResult;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.oci.ByteRange;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.DistributionRequest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.ManifestAccept;
import dev.registrycache.oci.OciError;
import dev.registrycache.oci.OciException;
import dev.registrycache.store.BlobIndex;
import dev.registrycache.store.ManifestStore.CachedManifest;
import dev.registrycache.upstream.UpstreamException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per connection: parses each request into a {@link DistributionRequest} and answers it
 * from the store (zero-copy), from an in-flight download, or via upstream. Requests are
 * answered in order; a client that pipelines waits its turn (and stops being read after a few).
 */
final class RegistryRequestHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryRequestHandler.class);
  private static final int MAX_QUEUED = 8;
  /** Lookups of a blob that was evicted again before its answer began, before giving up. */
  private static final int MAX_LOOKUPS = 3;
  /** What a client without credentials is asked for when it wants private content. */
  static final String CHALLENGE = "Basic realm=\"registry-cache\", charset=\"UTF-8\"";

  private final CacheContext cache;
  /** Non-null on the peer endpoint: who may come in, and from how far. */
  private final PeerGate peers;
  private final ArrayDeque<HttpRequest> queued = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private StoredBlobSender sender;
  /** The request being answered; volatile only so that a draining shutdown can look. */
  private volatile Exchange current;
  private GrowingBlobResponder streaming;
  private boolean discardBody;
  private String client;

  RegistryRequestHandler(CacheContext cache) {
    this(cache, null);
  }

  RegistryRequestHandler(CacheContext cache, PeerGate peers) {
    this.peers = peers;
    this.cache = cache;
  }

  /** True while a request on this connection is being answered (a blob may be streaming). */
  boolean busy() {
    return current != null;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.sender = new StoredBlobSender(this, ctx, cache);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest req) {
      if (current != null) {
        queued.add(req);
        if (queued.size() >= MAX_QUEUED) {
          ctx.channel().config().setAutoRead(false);
        }
      } else {
        handle(req);
      }
    }
    if (msg instanceof HttpContent) {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (streaming != null) {
      streaming.abort();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof IOException)) {
      LOG.warn("closing connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
    }
    ctx.close();
  }

  private void handle(HttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    Exchange ex = new Exchange(req, keepAlive);
    current = ex;
    if (!req.decoderResult().isSuccess()) {
      OciError err = RequestErrors.undecodable(req.decoderResult().cause());
      ex.status = err.status();
      respond(ex, Responses.error(err, false), false);
      return;
    }
    boolean hasBody = HttpUtil.isContentLengthSet(req) && HttpUtil.getContentLength(req, 0L) > 0
        || HttpUtil.isTransferEncodingChunked(req);
    try {
      if (peers != null) {
        OciError refused = peers.refusal(req);
        if (refused != null) {
          cache.metrics().peerRequest("unauthorized");
          ex.status = refused.status();
          FullHttpResponse r = Responses.error(refused, ex.head);
          r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, PeerGate.REALM);
          respond(ex, r, !hasBody);
          return;
        }
        ex.hop = PeerGate.hop(req);
      }
      DistributionRequest d = cache.parser().parse(req.method().name(), req.uri());
      ex.kind = d.kind().label();
      ex.registry = d.registry();
      OciError notForPeers = peers == null ? null : PeerGate.unsupported(d);
      if (notForPeers != null) {
        fail(ex, notForPeers, !hasBody);
        return;
      }
      dispatch(ex, d);
    } catch (OciException e) {
      fail(ex, e.error(), !hasBody);
    } catch (RejectedExecutionException busy) {
      fail(ex, Responses.DISK_BUSY, true);
    } catch (RuntimeException e) {
      fail(ex, RequestErrors.internal(req, e), true);
    }
  }

  private RegistryConfig registry(String name) {
    RegistryConfig r = cache.registries().get(name);
    if (r == null) {
      throw new OciException(ErrorCode.NAME_UNKNOWN, "registry " + name
          + " is not mirrored by this cache (configured: " + cache.registries().keySet() + ")");
    }
    return r;
  }

  private void dispatch(Exchange ex, DistributionRequest d) {
    switch (d.kind()) {
      case BASE -> {
        if (peers == null && cache.verifiesCallers() && !ex.request.headers().contains(HttpHeaderNames.AUTHORIZATION)) {
          // as an authenticating registry answers: clients of containers/image (podman, skopeo, CRI-O)
          // send credentials only where the ping challenged them, and private content needs them
          FullHttpResponse r = Responses.error(new OciError(ErrorCode.UNAUTHORIZED, "send the credentials you have"
              + " for the registry; public content needs none"), ex.head);
          r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, CHALLENGE);
          respond(ex, r, true);
          return;
        }
        ex.status = 200;
        FullHttpResponse r = Responses.full(HttpResponseStatus.OK, Responses.JSON, "{}".getBytes(), ex.head);
        respond(ex, r, true);
      }
      case CATALOG -> Catalog.answer(cache, d).whenComplete((r, e) -> onLoop(() -> answer(ex, r, e)));
      case TAGS_LIST -> TagList.answer(cache, registry(d.registry()), d)
          .whenComplete((r, e) -> onLoop(() -> answer(ex, r, e)));
      case MANIFEST -> manifest(ex, d);
      case BLOB -> blob(ex, d);
      default -> throw new IllegalStateException(d.kind().toString());
    }
  }

  private void onLoop(Runnable r) {
    if (ctx.executor().inEventLoop()) {
      r.run();
    } else {
      ctx.executor().execute(r);
    }
  }

  private void answer(Exchange ex, FullHttpResponse r, Throwable e) {
    if (e != null) {
      Throwable c = Failures.unwrap(e);
      if (c instanceof OciException oe) {
        fail(ex, oe.error(), true);
      } else if (c instanceof RejectedExecutionException) {
        fail(ex, Responses.DISK_BUSY, true);
      } else {
        fail(ex, RequestErrors.internal(ex.request, c), true);
      }
      return;
    }
    ex.status = r.status().code();
    if (ex.head) {
      r.content().clear();
    }
    respond(ex, r, true);
  }

  private void manifest(Exchange ex, DistributionRequest d) {
    RegistryConfig reg = registry(d.registry());
    boolean unchecked = ex.as == null && reg.verifiesCallers();
    if (unchecked && (d.byDigest() && cache.privacy().isPrivate(d.digest())
        || cache.privacy().knownPrivate(reg, d.repository()))) {
      checkThen(ex, d, reg, "manifests", () -> manifest(ex, d));
      return;
    }
    ManifestAccept accept = ManifestAccept.parse(ex.request.headers().getAll(HttpHeaderNames.ACCEPT));
    cache.manifests().get(ex.as != null ? ex.as : reg, ex.resolved != null ? ex.resolved : d, accept, ex.hop)
        .whenComplete((m, e) -> onLoop(() -> {
          if (e != null) {
            if (unchecked && refusedAnonymously(e)) {
              cache.privacy().rememberPrivate(reg, d.repository());
              checkThen(ex, d, reg, "manifests", () -> manifest(ex, d));
            } else {
              answer(ex, null, e);
            }
          } else if (unchecked && cache.privacy().isPrivate(m.manifest().digest())) {
            checkThen(ex, d, reg, "manifests", () -> manifest(ex, d)); // a tag of a private manifest
          } else {
            sendManifest(ex, m);
          }
        }));
  }

  /** Upstream refused the cache's anonymous request (it maps 401 and 403 to DENIED). */
  private static boolean refusedAnonymously(Throwable e) {
    return Failures.unwrap(e) instanceof OciException oe && oe.error().code() == ErrorCode.DENIED;
  }

  /**
   * Private content (or content of a repository that refused an anonymous request): asks upstream,
   * with the client's own Basic credentials if it sent any, whether this client may have it, and
   * goes on with {@code then} only if upstream said yes. Without credentials the client gets
   * {@code 401} with a Basic challenge, which makes its runtime send the pod's pull credentials.
   */
  private void checkThen(Exchange ex, DistributionRequest d, RegistryConfig reg, String kind, Runnable then) {
    if (peers != null) { // private content never leaves its node
      fail(ex, new OciError(kind.equals("blobs") ? ErrorCode.BLOB_UNKNOWN : ErrorCode.MANIFEST_UNKNOWN,
          d.reference() + " is not shared with peers"), true);
      return;
    }
    BasicCredentials c = BasicCredentials.parse(ex.request.headers().get(HttpHeaderNames.AUTHORIZATION));
    RegistryConfig as = c == null ? reg : cache.privacy().as(reg, c);
    cache.upstreamOffLoop(() -> cache.privacy().check(as, d.repository(), kind, d.reference()))
        .whenComplete((decision, err) -> onLoop(() -> {
          if (err != null) {
            answer(ex, null, new OciException(new OciError(ErrorCode.UNAVAILABLE,
                UpstreamException.gatewayStatus(err), Failures.unwrap(err).getMessage())));
          } else if (!decision.allowed()) {
            refuse(ex, d, kind, decision.status());
          } else {
            if (as.isCaller()) {
              cache.privacy().rememberPrivate(reg, d.repository()); // its blobs follow: fetched the same way
            }
            ex.as = as;
            ex.resolved = resolvedByDigest(d, decision.digest());
            ex.source = "checked";
            then.run();
          }
        }));
  }

  /** A tag becomes the digest upstream just named to this client: the cache never keeps private tags. */
  private static DistributionRequest resolvedByDigest(DistributionRequest d, String digest) {
    if (d.byDigest() || d.kind() != DistributionRequest.Kind.MANIFEST || digest == null) {
      return null;
    }
    try {
      Digest parsed = Digest.parse(digest);
      return new DistributionRequest(d.kind(), d.head(), d.registry(), d.repository(), parsed.toString(), parsed,
          d.pageSize(), d.last());
    } catch (IllegalArgumentException e) {
      return null; // asked by tag then, with the client's credentials, and not remembered
    }
  }

  /** Upstream's no to this client, as upstream said it: 401 (with a challenge), 403 or 404. */
  private void refuse(Exchange ex, DistributionRequest d, String kind, int status) {
    String what = d.registry() + "/" + d.repository() + (d.byDigest() ? "@" : ":") + d.reference();
    OciError err = switch (status) {
      case 401 -> new OciError(ErrorCode.UNAUTHORIZED, what + " is not public upstream: authentication required"
          + " (the credentials you would use for " + d.registry() + ")");
      case 403 -> new OciError(ErrorCode.DENIED, d.registry() + " denied these credentials access to " + what);
      case 404 -> new OciError(kind.equals("blobs") ? ErrorCode.BLOB_UNKNOWN : ErrorCode.MANIFEST_UNKNOWN,
          what + " not found upstream for these credentials");
      case 429 -> new OciError(ErrorCode.TOOMANYREQUESTS, d.registry() + " is rate limiting (429)");
      default -> new OciError(ErrorCode.UNAVAILABLE, status >= 500 ? 503 : 502,
          d.registry() + " answered " + status + " when asked whether this client may have " + what);
    };
    ex.status = err.status();
    FullHttpResponse r = Responses.error(err, ex.head);
    if (status == 401) {
      r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, CHALLENGE);
    }
    respond(ex, r, true);
  }

  private void sendManifest(Exchange ex, ManifestResult result) {
    CachedManifest m = result.manifest();
    ex.source = result.source();
    ex.status = 200;
    ByteBuf body = Unpooled.EMPTY_BUFFER;
    if (!ex.head) {
      body = cache.hot().get(m.digest());
      if (body == null) {
        body = cache.hot().put(m.digest(), m.bytes());
      }
    }
    FullHttpResponse r = Responses.full(HttpResponseStatus.OK, m.mediaType(), body, m.bytes().length);
    String digest = m.digest().toString();
    r.headers().set(Responses.CONTENT_DIGEST, digest);
    r.headers().set(HttpHeaderNames.ETAG, Responses.etag(digest));
    if (ex.hop > 0 && result.checkedAtMillis() != ManifestResult.UNCHECKED) {
      // how long ago upstream confirmed the tag: the asking peer trusts it for the rest of the TTL only
      long age = Math.max(0, System.currentTimeMillis() - result.checkedAtMillis()) / 1000;
      r.headers().set(HttpHeaderNames.AGE, age);
    }
    respond(ex, r, true);
  }

  private void blob(Exchange ex, DistributionRequest d) {
    RegistryConfig reg = registry(d.registry());
    boolean unchecked = ex.as == null && reg.verifiesCallers();
    if (unchecked && (cache.privacy().isPrivate(d.digest()) || cache.blobs().peekStored(d.digest()) == null
        && cache.privacy().knownPrivate(reg, d.repository()))) {
      checkThen(ex, d, reg, "blobs", () -> privateBlob(ex, d));
      return;
    }
    RegistryConfig use = ex.as != null ? ex.as : reg;
    if (ex.head) {
      BlobIndex.Entry e = cache.blobs().peekStored(d.digest());
      if (e == null) {
        cache.metrics().lookup(reg.name(), "blob", "head-miss");
        HeadBlob.answer(cache, use, d).whenComplete((r, err) -> onLoop(() -> answer(ex, r, err)));
        return;
      }
      ex.source = ex.as == null ? "hit" : "checked-hit";
      sender.head(ex, e);
      return;
    }
    BlobService.Lookup lookup = cache.blobs().lookup(use, d.repository(), d.digest(), ex.hop);
    if (unchecked && cache.privacy().isPrivate(d.digest())) {
      // marked while we looked: a client's private download began meanwhile; never join it unchecked
      if (lookup instanceof BlobService.Hit hit) {
        hit.entry().release();
      }
      checkThen(ex, d, reg, "blobs", () -> privateBlob(ex, d));
      return;
    }
    if (lookup instanceof BlobService.Busy) {
      cache.metrics().peerRequest("busy");
      fail(ex, new OciError(ErrorCode.UNAVAILABLE, 503, d.digest() + " is itself being fetched from a peer"), true);
      return;
    }
    if (peers != null) {
      cache.metrics().peerRequest("served");
    }
    if (lookup instanceof BlobService.Hit hit) {
      cache.metrics().lookup(reg.name(), "blob", "hit");
      ex.source = ex.as == null ? "hit" : "checked-hit";
      sender.send(ex, hit.entry(), d);
    } else if (lookup instanceof BlobService.Fetching f) {
      cache.metrics().lookup(reg.name(), "blob", f.joined() ? "join" : "miss");
      ex.source = f.joined() ? "join" : "miss";
      streaming = new GrowingBlobResponder(ctx, ex, f.blob(),
          ex.request.headers().get(HttpHeaderNames.RANGE), cache.metrics(), cache.disk(), this::streamDone,
          () -> lookAgain(ex, d));
      if (!streaming.start()) {
        streaming = null; // a relay that let go of its first bytes: a download of our own
        blob(ex, d);
      }
    }
  }

  /**
   * A blob this client may have (upstream said so): a miss is fetched with the client's
   * credentials, and marked private first, off the event loop (the mark is fsynced).
   */
  private void privateBlob(Exchange ex, DistributionRequest d) {
    if (!ex.as.isCaller() || cache.blobs().peekStored(d.digest()) != null) {
      blob(ex, d); // an anonymous yes (public after all), or stored already
      return;
    }
    CompletableFuture.runAsync(() -> {
      try {
        cache.privacy().markBeforeFetch(d.digest());
      } catch (IOException e) {
        throw new OciException(new OciError(ErrorCode.UNAVAILABLE, 503,
            "cannot record " + d.digest() + " as private in the storage: " + e.getMessage()));
      }
    }, cache.disk()).whenComplete((v, err) -> onLoop(() -> {
      if (err != null) {
        answer(ex, null, err);
      } else {
        blob(ex, d);
      }
    }));
  }

  /** The blob a stream waited for was stored and evicted before its answer began. */
  private void lookAgain(Exchange ex, DistributionRequest d) {
    streaming = null;
    if (++ex.lookups > MAX_LOOKUPS) {
      fail(ex, new OciError(ErrorCode.UNAVAILABLE, 503, "blob " + d.digest()
          + " was evicted again before it could be sent; the cache is too small for what is pulled"), ex.keepAlive);
      return;
    }
    blob(ex, d);
  }

  private void streamDone(Exchange ex) {
    streaming = null;
    finish(ex);
  }

  /** The stored blob vanished from disk: answer as if it had never been stored. */
  void retry(Exchange ex, DistributionRequest d) {
    blob(ex, d);
  }

  static void blobHeaders(HttpHeaders h, String digest, long size, ByteRange range) {
    blobHeaders(h, BlobHeaderValues.of(digest, size), range);
  }

  static void blobHeaders(HttpHeaders h, BlobHeaderValues v, ByteRange range) {
    h.set(HttpHeaderNames.CONTENT_TYPE, Responses.OCTET_STREAM);
    h.set(Responses.CONTENT_DIGEST, v.digest());
    h.set(HttpHeaderNames.ETAG, v.etag());
    h.set(HttpHeaderNames.ACCEPT_RANGES, Responses.BYTES);
    if (range != null) {
      h.set(HttpHeaderNames.CONTENT_RANGE, range.contentRange(v.size()));
      h.set(HttpHeaderNames.CONTENT_LENGTH, range.length());
    } else {
      h.set(HttpHeaderNames.CONTENT_LENGTH, v.contentLength());
    }
  }

  void rangeNotSatisfiable(Exchange ex, OciError err, long size) {
    ex.status = 416;
    FullHttpResponse r = Responses.error(err, ex.head);
    r.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
    respond(ex, r, true);
  }

  void fail(Exchange ex, OciError err, boolean keepAlive) {
    ex.status = err.status();
    respond(ex, Responses.error(err, ex.head), keepAlive);
  }

  private void respond(Exchange ex, FullHttpResponse r, boolean keepAlive) {
    ex.status = r.status().code();
    ex.bytes = r.content().readableBytes();
    log(ex); // counted before the client can have the answer
    ex.logged = true;
    if (!keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, "close");
      ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
      current = null;
      return;
    }
    complete(ex, ctx.writeAndFlush(r));
  }

  /** The answer to {@code ex} is fully written (queued): log it and go on with the next one. */
  void complete(Exchange ex, ChannelFuture last) {
    if (!ex.keepAlive) {
      last.addListener(ChannelFutureListener.CLOSE);
    }
    finish(ex);
  }

  private void finish(Exchange ex) {
    if (!ex.logged) {
      log(ex);
    }
    current = null;
    if (!ex.keepAlive) {
      return;
    }
    HttpRequest next = queued.poll();
    if (next != null) {
      handle(next);
    } else if (!ctx.channel().config().isAutoRead()) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  private void log(Exchange ex) {
    cache.metrics().request(ex.registry, ex.kind, ex.status); // unmirrored names count as 'other'
    AccessLog log = cache.accessLog();
    if (log != null) {
      log.log(client(), ex.request.method().name(), ex.request.uri(), ex.status, ex.bytes,
          System.nanoTime() - ex.startNanos, ex.registry, ex.source);
    }
  }

  /** The client's address as the access log writes it; the same for every request of the connection. */
  private String client() {
    if (client == null) {
      client = ctx.channel().remoteAddress() instanceof InetSocketAddress a
          ? a.getAddress().getHostAddress() : String.valueOf(ctx.channel().remoteAddress());
    }
    return client;
  }

  static void closeQuietly(FileChannel f) {
    try {
      f.close();
    } catch (IOException ignored) {
      // nothing left to do with a file we only read
    }
  }
}
