package dev.registrycache.oci;

/**
 * A validated pull-side request: which registry it is for, which repository (normalised, e.g.
 * {@code library/nginx} for Docker Hub) and which manifest reference or blob digest.
 *
 * @param reference a tag or a digest string for manifests; the digest string for blobs
 * @param digest the parsed digest when the reference is one, else null
 * @param pageSize the {@code n} query parameter of list endpoints, or -1
 * @param last the {@code last} query parameter of list endpoints, or null
 */
public record DistributionRequest(
    Kind kind, boolean head, String registry, String repository, String reference, Digest digest,
    int pageSize, String last) {

  public enum Kind {
    BASE, CATALOG, MANIFEST, BLOB, TAGS_LIST;

    private final String label = name().toLowerCase(java.util.Locale.ROOT);

    /** The name in lower case, as metrics label it. */
    public String label() {
      return label;
    }
  }

  public boolean byDigest() {
    return digest != null;
  }

  /** {@code registry/repository}, the key we cache tags and catalog entries under. */
  public String qualifiedName() {
    return registry + "/" + repository;
  }
}
