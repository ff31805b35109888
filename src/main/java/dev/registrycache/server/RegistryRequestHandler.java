package dev.registrycache.server;

import dev.registrycache.concurrent.Failures;
import dev.registrycache.cache.BlobService;
import dev.registrycache.cache.ManifestResult;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.oci.ByteRange;
import dev.registrycache.oci.DistributionRequest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.ManifestAccept;
import dev.registrycache.oci.OciError;
import dev.registrycache.oci.OciException;
import dev.registrycache.store.BlobIndex;
import dev.registrycache.store.ManifestStore.CachedManifest;
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
        ex.status = 200;
        FullHttpResponse r = Responses.full(HttpResponseStatus.OK, Responses.JSON, "{}".getBytes(), ex.head);
        respond(ex, r, true);
      }
      case CATALOG -> Catalog.answer(cache, d).whenComplete((r, e) -> onLoop(() -> answer(ex, r, e)));
      case TAGS_LIST -> TagList.answer(cache, registry(d.registry()), d)
          .whenComplete((r, e) -> onLoop(() -> answer(ex, r, e)));
      case MANIFEST -> {
        ManifestAccept accept = ManifestAccept.parse(ex.request.headers().getAll(HttpHeaderNames.ACCEPT));
        cache.manifests().get(registry(d.registry()), d, accept, ex.hop)
            .whenComplete((m, e) -> onLoop(() -> {
              if (e != null) {
                answer(ex, null, e);
              } else {
                sendManifest(ex, m);
              }
            }));
      }
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
    if (ex.head) {
      BlobIndex.Entry e = cache.blobs().peekStored(d.digest());
      if (e == null) {
        cache.metrics().lookup(reg.name(), "blob", "head-miss");
        HeadBlob.answer(cache, reg, d).whenComplete((r, err) -> onLoop(() -> answer(ex, r, err)));
        return;
      }
      ex.source = "hit";
      sender.head(ex, e);
      return;
    }
    BlobService.Lookup lookup = cache.blobs().lookup(reg, d.repository(), d.digest(), ex.hop);
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
      ex.source = "hit";
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
