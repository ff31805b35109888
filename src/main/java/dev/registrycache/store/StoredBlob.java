package dev.registrycache.store;

import dev.registrycache.oci.Digest;
import java.nio.file.Path;

/**
 * A blob on disk: verified when it was stored, trusted again only once checked (see
 * {@link BlobIndex.Entry#verified()}).
 *
 * @param stamp the file as it was found or written (null when the store cannot tell)
 */
public record StoredBlob(Digest digest, Path path, long size, long lastUsedMillis, FileStamp stamp) {}
