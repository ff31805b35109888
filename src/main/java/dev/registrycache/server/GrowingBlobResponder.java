package dev.registrycache.server;

import dev.registrycache.cache.InFlightBlob;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.ByteRange;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import dev.registrycache.oci.OciException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Answers one GET from a blob that is still downloading: headers as soon as upstream's
 * answer says how long the blob is, then {@code sendfile} regions of the growing file as bytes
 * arrive, one region in flight at a time (the next is sent when the previous was written, so
 * a slow client holds no memory). Readers share the read channel the download opened; only
 * when there is none (the download ended meanwhile) is the file opened, on the disk executor,
 * never on the event loop. A failed download before the headers becomes an OCI error;
 * after them, the connection is closed so the client sees a truncated body, never a wrong one.
 * Bytes of a relayed blob (one the store could not take) that are not in the file are written
 * from the relay's memory, and each write done tells the relay how far this client got. A
 * blob stored and evicted again before its answer began is looked up afresh.
 */
final class GrowingBlobResponder implements InFlightBlob.Listener {
  private final ChannelHandlerContext ctx;
  private final Exchange ex;
  private final InFlightBlob blob;
  private final String rangeHeader;
  private final CacheMetrics metrics;
  private final Executor disk;
  private final Consumer<Exchange> done;
  /** Called when the blob was stored and is gone from disk before this answer began (evicted). */
  private final Runnable lookAgain;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private FileChannel file;
  /** {@link #file} is the download's shared read channel, not our own. */
  private boolean shared;
  private boolean opening;
  private boolean headersSent;
  private boolean writing;
  private boolean finished;
  private long position;
  private long end;

  GrowingBlobResponder(ChannelHandlerContext ctx, Exchange ex, InFlightBlob blob, String rangeHeader,
      CacheMetrics metrics, Executor disk, Consumer<Exchange> done, Runnable lookAgain) {
    this.ctx = ctx;
    this.ex = ex;
    this.blob = blob;
    this.rangeHeader = rangeHeader;
    this.metrics = metrics;
    this.disk = disk;
    this.done = done;
    this.lookAgain = lookAgain;
  }

  /** @return false when the download cannot be read from its start any more: look the blob up again */
  boolean start() {
    return blob.addListener(this);
  }

  @Override
  public void changed() {
    if (scheduled.compareAndSet(false, true)) {
      ctx.executor().execute(this::pump);
    }
  }

  @Override
  public void cut() {
    ctx.executor().execute(() -> {
      if (!finished) {
        failed(new OciError(ErrorCode.UNAVAILABLE, 503, "too slow a reader"));
      }
    });
  }

  /** The client went away. */
  void abort() {
    if (!finished) {
      finished = true;
      blob.removeListener(this);
      closeFile();
      ex.status = headersSent ? ex.status : 499;
      done.accept(ex);
    }
  }

  private void pump() {
    scheduled.set(false);
    if (finished || writing) {
      return;
    }
    InFlightBlob.State state = blob.state();
    if (state == InFlightBlob.State.FAILED) {
      failed(blob.failure());
      return;
    }
    if (!headersSent) {
      if (state == InFlightBlob.State.CONNECTING
          || (blob.size() < 0 && state != InFlightBlob.State.COMPLETE)) {
        return; // wait for upstream's headers (or, without a length, for the whole blob)
      }
      if (file == null && blob.fileBytes() > 0) { // a blob relayed from its first byte has no file
        file = blob.retainReader();
        shared = file != null;
        if (file == null) {
          open();
          return; // pumped again once the file is open
        }
      }
      if (!sendHeaders(state)) {
        return;
      }
      blob.readerAt(this, position);
    }
    long visible = Math.min(blob.visibleBytes(), end);
    if (position < visible) {
      long at = position;
      long fileEnd = blob.fileBytes();
      Object piece;
      long count;
      if (at < fileEnd) {
        count = Math.min(visible, fileEnd) - at;
        piece = new SharedFileRegion(file, at, count);
      } else {
        ByteBuffer relayed = blob.relayedBytes(at, visible - at);
        if (relayed == null) {
          failed(new OciError(ErrorCode.UNAVAILABLE, 503, "lost track of " + blob.digest()));
          return;
        }
        count = relayed.remaining();
        piece = Unpooled.wrappedBuffer(relayed);
      }
      writing = true;
      ctx.writeAndFlush(piece).addListener(f -> {
        writing = false;
        if (!f.isSuccess()) {
          abort();
          return;
        }
        position = at + count;
        ex.bytes += count;
        metrics.bytesServed(ex.registry, "upstream", count);
        blob.readerAt(this, position);
        pump();
      });
    } else if (position >= end) {
      finished = true;
      blob.removeListener(this);
      closeFile();
      var last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      if (!ex.keepAlive) {
        last.addListener(ChannelFutureListener.CLOSE);
      }
      done.accept(ex);
    }
  }

  private boolean sendHeaders(InFlightBlob.State state) {
    long size = state == InFlightBlob.State.COMPLETE ? blob.stored().size() : blob.size();
    ByteRange range;
    try {
      range = ByteRange.parse(rangeHeader, size);
    } catch (OciException e) {
      finished = true;
      blob.removeListener(this);
      closeFile();
      ex.status = 416;
      var r = Responses.error(e.error(), false);
      r.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
      ctx.writeAndFlush(r);
      done.accept(ex);
      return false;
    }
    HttpResponse r = Responses.head(range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT);
    RegistryRequestHandler.blobHeaders(r.headers(), blob.digest().toString(), size, range);
    ex.status = r.status().code();
    // flushed now, not with the first bytes: a download that breaks off before any byte must
    // still leave the client a started (then truncated) answer, not a bare connection close
    ctx.writeAndFlush(r);
    headersSent = true;
    position = range == null ? 0 : range.start();
    end = range == null ? size : range.endInclusive() + 1;
    return true;
  }

  /** Opens the growing file on the disk executor, then pumps again on the event loop. */
  private void open() {
    if (opening) {
      return;
    }
    opening = true;
    try {
      disk.execute(() -> {
        FileChannel f;
        try {
          f = blob.openReader();
        } catch (IOException e) {
          f = null; // failed meanwhile (or renamed into the store): the next change tells
        }
        FileChannel opened = f;
        ctx.executor().execute(() -> {
          opening = false;
          if (finished) {
            if (opened != null) {
              RegistryRequestHandler.closeQuietly(opened);
            }
            return;
          }
          file = opened;
          if (opened == null && blob.state() == InFlightBlob.State.COMPLETE) {
            finished = true; // stored, then evicted before this answer began: as if never stored
            blob.removeListener(this);
            lookAgain.run();
          } else if (opened != null || blob.state() != InFlightBlob.State.STREAMING) {
            pump();
          }
        });
      });
    } catch (java.util.concurrent.RejectedExecutionException busy) {
      opening = false;
      failed(Responses.DISK_BUSY);
    }
  }

  private void failed(OciError error) {
    finished = true;
    blob.removeListener(this);
    closeFile();
    if (!headersSent) {
      ex.status = error.status();
      var r = Responses.error(error, false);
      var f = ctx.writeAndFlush(r);
      if (!ex.keepAlive) {
        f.addListener(ChannelFutureListener.CLOSE);
      }
    } else {
      ctx.close(); // the client sees a short body and retries; it never gets wrong bytes
    }
    done.accept(ex);
  }

  private void closeFile() {
    if (file != null) {
      if (shared) {
        blob.releaseReader();
      } else {
        RegistryRequestHandler.closeQuietly(file);
      }
      file = null;
    }
  }
}
