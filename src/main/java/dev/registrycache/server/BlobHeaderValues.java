package dev.registrycache.server;

import dev.registrycache.store.BlobIndex;
import io.netty.util.AsciiString;

/**
 * The header values of every answer about one blob, as bytes ready for the wire: made once per
 * stored blob and kept with its index entry, so a hit does not format them again.
 */
record BlobHeaderValues(long size, AsciiString digest, AsciiString etag, AsciiString contentLength) {
  static BlobHeaderValues of(String digest, long size) {
    return new BlobHeaderValues(size, new AsciiString(digest), new AsciiString(Responses.etag(digest)),
        new AsciiString(Long.toString(size)));
  }

  /** The values of a stored blob, made on its first answer. */
  static BlobHeaderValues of(BlobIndex.Entry e) {
    return e.derived(BlobHeaderValues.class, b -> of(b.digest().toString(), b.size()));
  }
}
