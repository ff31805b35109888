package dev.registrycache.server;

import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Errors written for people: never an exception's text, class name or stack in a body. */
final class RequestErrors {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryRequestHandler.class);

  private RequestErrors() {}

  /** A request the HTTP decoder refused: 414, 431 or 400. */
  static OciError undecodable(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return new OciError(ErrorCode.NAME_INVALID, 414, "the request line is longer than "
          + CacheServerInitializer.MAX_LINE_BYTES + " bytes");
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return new OciError(ErrorCode.UNSUPPORTED, 431, "the request headers are larger than "
          + CacheServerInitializer.MAX_HEADER_BYTES + " bytes");
    }
    return new OciError(ErrorCode.UNSUPPORTED, 400, "malformed HTTP request");
  }

  /** A bug on our side: the details go to the log under an id; the client gets the id only. */
  static OciError internal(HttpRequest req, Throwable e) {
    String id = OciError.newIncidentId();
    LOG.error("internal error {} on {} {}", id, req.method(), req.uri(), e);
    return OciError.internal(id);
  }
}
