package dev.registrycache.store;

import dev.registrycache.oci.Digest;
import java.nio.file.Path;

/** A verified, immutable blob on disk. */
public record StoredBlob(Digest digest, Path path, long size, long lastUsedMillis) {}
