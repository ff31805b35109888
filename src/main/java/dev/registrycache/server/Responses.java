package dev.registrycache.server;

import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/** Building responses: the headers every answer carries, and OCI error bodies. */
final class Responses {
  static final AsciiString API_VERSION = AsciiString.cached("Docker-Distribution-API-Version");
  static final AsciiString API_VERSION_VALUE = AsciiString.cached("registry/2.0");
  static final AsciiString CONTENT_DIGEST = AsciiString.cached("Docker-Content-Digest");
  static final AsciiString OCTET_STREAM = AsciiString.cached("application/octet-stream");
  static final AsciiString JSON = AsciiString.cached("application/json");
  static final AsciiString BYTES = AsciiString.cached("bytes");
  /** Our own headers are well-formed by construction: skip Netty's per-header validation. */
  private static final HttpHeadersFactory HEADERS =
      DefaultHttpHeadersFactory.headersFactory().withValidation(false);
  private static final HttpHeadersFactory TRAILERS =
      DefaultHttpHeadersFactory.trailersFactory().withValidation(false);

  private Responses() {}

  static HttpResponse head(HttpResponseStatus status) {
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, HEADERS);
    r.headers().set(API_VERSION, API_VERSION_VALUE);
    return r;
  }

  /** A bodiless answer (HEAD) carrying only the headers every answer has. */
  static FullHttpResponse head(HttpResponseStatus status, io.netty.buffer.ByteBuf empty) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, empty, HEADERS, TRAILERS);
    r.headers().set(API_VERSION, API_VERSION_VALUE);
    return r;
  }

  static FullHttpResponse full(HttpResponseStatus status, CharSequence contentType, byte[] body,
      boolean headRequest) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        headRequest ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body), HEADERS, TRAILERS);
    HttpHeaders h = r.headers();
    h.set(API_VERSION, API_VERSION_VALUE);
    h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
    h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return r;
  }

  /** A response around a body buffer the caller hands over; {@code length} is the GET length. */
  static FullHttpResponse full(HttpResponseStatus status, CharSequence contentType,
      io.netty.buffer.ByteBuf body, long length) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body, HEADERS, TRAILERS);
    HttpHeaders h = r.headers();
    h.set(API_VERSION, API_VERSION_VALUE);
    h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
    h.set(HttpHeaderNames.CONTENT_LENGTH, length);
    return r;
  }

  static FullHttpResponse error(OciError e, boolean headRequest) {
    FullHttpResponse r = full(HttpResponseStatus.valueOf(e.status()), JSON, e.toJson(), headRequest);
    if (e.status() == 405) {
      r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
    }
    return r;
  }

  /** When the disk executor's queue is full: retry, the cache is overloaded, not broken. */
  static final OciError DISK_BUSY = new OciError(ErrorCode.UNAVAILABLE, 503,
      "the cache is too busy to read its disk; retry");

  static String etag(String digest) {
    return "\"" + digest + "\"";
  }
}
