package dev.registrycache.it;

import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.StoredBlob;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** A writer that passes everything to another one; tests override what they want to watch or hold. */
class ForwardingBlobWriter implements BlobWriter {
  private final BlobWriter delegate;

  ForwardingBlobWriter(BlobWriter delegate) {
    this.delegate = delegate;
  }

  @Override
  public Path tempPath() {
    return delegate.tempPath();
  }

  @Override
  public void write(ByteBuffer buffer) throws IOException {
    delegate.write(buffer);
  }

  @Override
  public void hashOnly(ByteBuffer buffer) {
    delegate.hashOnly(buffer);
  }

  @Override
  public long written() {
    return delegate.written();
  }

  @Override
  public boolean digestMatches() {
    return delegate.digestMatches();
  }

  @Override
  public void sync() throws IOException {
    delegate.sync();
  }

  @Override
  public StoredBlob commit() throws IOException {
    return delegate.commit();
  }

  @Override
  public void abort() {
    delegate.abort();
  }
}
