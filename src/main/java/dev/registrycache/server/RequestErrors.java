package dev.registrycache.server;

import dev.registrycache.oci.OciError;
import io.netty.handler.codec.http.HttpRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Internal errors: the details in the log under an id, only the id in the body. */
final class RequestErrors {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryRequestHandler.class);

  private RequestErrors() {}

  /** A bug on our side: the details go to the log under an id; the client gets the id only. */
  static OciError internal(HttpRequest req, Throwable e) {
    String id = OciError.newIncidentId();
    LOG.error("internal error {} on {} {}", id, req.method(), req.uri(), e);
    return OciError.internal(id);
  }
}
