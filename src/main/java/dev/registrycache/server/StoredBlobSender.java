package dev.registrycache.server;

import dev.registrycache.concurrent.Failures;
import dev.registrycache.oci.ByteRange;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.DistributionRequest;
import dev.registrycache.oci.OciError;
import dev.registrycache.oci.OciException;
import dev.registrycache.store.BlobIndex;
import dev.registrycache.store.CorruptBlobException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a GET or HEAD of a stored blob on one connection: small blobs from memory in one
 * write, the others with {@code sendfile} from a file kept open across answers. A hit on
 * something in memory or already open is answered right on the event loop; the first time,
 * the file is loaded or opened on the disk executor and the answer written once it is back on
 * the event loop. The blob's index entry is released when its answer is written.
 *
 * <p>Nothing on disk is sent unchecked: a small blob is hashed when it is loaded into memory; a
 * file sent with {@code sendfile} gets one {@code stat} per answer (its length, and whether it
 * was written to or replaced), and one not verified since the cache started (or since it
 * changed) is hashed before it is sent. A file that is not its blob is dropped, and the request
 * is answered as if the blob had never been stored: fetched from upstream again.
 */
final class StoredBlobSender {
  private static final Logger LOG = LoggerFactory.getLogger(StoredBlobSender.class);
  /** Bodies from this size on are sent corked: full segments, like nginx's tcp_nopush. */
  private static final long CORK_THRESHOLD = 256 * 1024;

  private final RegistryRequestHandler handler;
  private final ChannelHandlerContext ctx;
  private final CacheContext cache;

  StoredBlobSender(RegistryRequestHandler handler, ChannelHandlerContext ctx, CacheContext cache) {
    this.handler = handler;
    this.ctx = ctx;
    this.cache = cache;
  }

  /** HEAD: the headers only; nothing is read. */
  void head(Exchange ex, BlobIndex.Entry e) {
    // one message, one write: the headers are the whole answer
    FullHttpResponse r = Responses.head(HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
    ex.status = 200;
    RegistryRequestHandler.blobHeaders(r.headers(), BlobHeaderValues.of(e), null);
    handler.complete(ex, ctx.writeAndFlush(r));
  }

  /** GET of a blob whose entry {@code e} the caller retained. */
  void send(Exchange ex, BlobIndex.Entry e, DistributionRequest d) {
    String rangeHeader = ex.request.headers().get(HttpHeaderNames.RANGE);
    if (rangeHeader == null && e.size() > 0 && e.size() <= HotContent.MAX_ENTRY_BYTES) {
      ByteBuf body = cache.hot().get(d.digest());
      if (body != null) {
        sendFromMemory(ex, e, body);
        return;
      }
      onDisk(ex, e, () -> cache.disk().execute(() -> {
        ByteBuf loaded = null;
        boolean corrupt = false;
        try {
          loaded = cache.hot().load(d.digest(), e.blob().path(), e.size());
        } catch (CorruptBlobException c) {
          cache.verifier().drop(e, c);
          corrupt = true;
        } catch (java.io.IOException | RuntimeException unreadable) {
          loaded = null; // gone or unreadable: the file path decides what to answer
        }
        ByteBuf b = loaded;
        boolean dropped = corrupt;
        backOnLoop(e, () -> {
          if (b != null) {
            sendFromMemory(ex, e, b);
          } else if (dropped) {
            e.release();
            handler.retry(ex, d); // fetched again
          } else {
            sendFile(ex, e, d, null);
          }
        }, b);
      }));
      return;
    }
    sendFile(ex, e, d, rangeHeader);
  }

  private void sendFromMemory(Exchange ex, BlobIndex.Entry e, ByteBuf body) {
    e.release();
    ex.status = 200;
    ex.bytes = e.size();
    cache.metrics().bytesServed(ex.registry, "cache", e.size());
    FullHttpResponse r = Responses.full(HttpResponseStatus.OK, Responses.OCTET_STREAM, body, e.size());
    RegistryRequestHandler.blobHeaders(r.headers(), BlobHeaderValues.of(e), null);
    handler.complete(ex, ctx.writeAndFlush(r));
  }

  private void sendFile(Exchange ex, BlobIndex.Entry e, DistributionRequest d, String rangeHeader) {
    ByteRange range;
    try {
      range = ByteRange.parse(rangeHeader, e.size());
    } catch (OciException bad) {
      e.release();
      handler.rangeNotSatisfiable(ex, bad.error(), e.size());
      return;
    }
    switch (cache.verifier().check(e)) { // one stat: still the file that was stored?
      case GONE -> {
        offLoopThenRetry(ex, e, d, () -> cache.blobs().forget(d.digest()));
        return;
      }
      case WRONG_SIZE -> {
        offLoopThenRetry(ex, e, d, () -> cache.verifier().dropWrongSize(e));
        return;
      }
      case CHANGED -> cache.files().close(d.digest()); // maybe another file: opened anew once hashed
      default -> { }
    }
    if (!e.verified()) {
      onDisk(ex, e, () -> cache.verifier().verify(e).whenComplete((ok, err) -> backOnLoop(e, () -> {
        if (Boolean.TRUE.equals(ok)) {
          sendVerifiedFile(ex, e, d, range);
        } else if (err == null) {
          e.release();
          handler.retry(ex, d); // dropped as corrupt (or gone): fetched again
        } else {
          unreadable(ex, e, d, err);
        }
      }, null)));
      return;
    }
    sendVerifiedFile(ex, e, d, range);
  }

  /** Drops what the disk no longer holds right (off the event loop), then answers as a miss. */
  private void offLoopThenRetry(Exchange ex, BlobIndex.Entry e, DistributionRequest d, Runnable drop) {
    onDisk(ex, e, () -> cache.disk().execute(() -> {
      drop.run();
      backOnLoop(e, () -> {
        e.release();
        handler.retry(ex, d);
      }, null);
    }));
  }

  private void sendVerifiedFile(Exchange ex, BlobIndex.Entry e, DistributionRequest d, ByteRange range) {
    Digest digest = d.digest();
    OpenBlobFiles.Handle open = cache.files().get(digest);
    if (open != null) {
      write(ex, e, open, range);
      return;
    }
    onDisk(ex, e, () -> cache.files().open(digest, e.blob().path()).whenComplete((opened, err) -> backOnLoop(e, () -> {
      if (err == null) {
        write(ex, e, opened, range);
      } else {
        unreadable(ex, e, d, err);
      }
    }, opened == null ? null : (Runnable) opened::release)));
  }

  /** Continues on the connection's event loop; if it is gone (shutdown), lets go of what was held. */
  private void backOnLoop(BlobIndex.Entry e, Runnable next, Object held) {
    try {
      ctx.executor().execute(next);
    } catch (RejectedExecutionException shuttingDown) {
      e.release();
      if (held instanceof Runnable release) {
        release.run();
      } else {
        io.netty.util.ReferenceCountUtil.release(held);
      }
    }
  }

  /** Hands file work to the disk executor; when its queue is full the client gets a 503. */
  private void onDisk(Exchange ex, BlobIndex.Entry e, Runnable submit) {
    try {
      submit.run();
    } catch (RejectedExecutionException busy) {
      e.release();
      handler.fail(ex, Responses.DISK_BUSY, true);
    }
  }

  private void unreadable(Exchange ex, BlobIndex.Entry e, DistributionRequest d, Throwable err) {
    Throwable c = Failures.unwrap(err);
    c = c.getCause() instanceof NoSuchFileException ? c.getCause() : c;
    if (c instanceof NoSuchFileException) { // deleted behind our back: fetch it again
      offLoopThenRetry(ex, e, d, () -> cache.blobs().forget(d.digest()));
    } else {
      e.release();
      String id = OciError.newIncidentId();
      LOG.error("internal error {}: cannot read stored blob {}", id, d.digest(), c);
      handler.fail(ex, OciError.internal(id), true);
    }
  }

  private void write(Exchange ex, BlobIndex.Entry e, OpenBlobFiles.Handle file, ByteRange range) {
    HttpResponse r = Responses.head(range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT);
    ex.status = r.status().code();
    RegistryRequestHandler.blobHeaders(r.headers(), BlobHeaderValues.of(e), range);
    ctx.write(r);
    long start = range == null ? 0 : range.start();
    long len = range == null ? e.size() : range.length();
    ex.bytes = len;
    cache.metrics().bytesServed(ex.registry, "cache", len);
    boolean cork = len >= CORK_THRESHOLD && Cork.set(ctx.channel(), true);
    if (len > 0) {
      ctx.write(file.region(start, len)); // releases the file once written
    } else {
      file.release();
    }
    ChannelFuture last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    last.addListener(f -> {
      e.release();
      if (cork) {
        Cork.set(ctx.channel(), false); // sends the last partial segment now
      }
    });
    handler.complete(ex, last);
  }
}
