package dev.registrycache.it;

import dev.registrycache.oci.Digest;
import dev.registrycache.store.BlobStore;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.DiskUsage;
import dev.registrycache.store.StoredBlob;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;

/** A store that passes everything to another one; tests override what they want to watch or break. */
abstract class ForwardingBlobStore implements BlobStore {
  private final BlobStore delegate;

  ForwardingBlobStore(BlobStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public Optional<StoredBlob> find(Digest d) throws IOException {
    return delegate.find(d);
  }

  @Override
  public BlobWriter create(Digest d) throws IOException {
    return delegate.create(d);
  }

  @Override
  public boolean delete(Digest d) throws IOException {
    return delegate.delete(d);
  }

  @Override
  public void forEach(Consumer<StoredBlob> visitor) throws IOException {
    delegate.forEach(visitor);
  }

  @Override
  public DiskUsage diskUsage() throws IOException {
    return delegate.diskUsage();
  }
}
