package dev.registrycache.oci;

import java.util.List;
import java.util.regex.Pattern;

/** Manifest media types: the ones the cache asks upstream for, and what makes a valid one. */
public final class MediaTypes {
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_SCHEMA1_SIGNED =
      "application/vnd.docker.distribution.manifest.v1+prettyjws";
  public static final String DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
  public static final String OCTET_STREAM = "application/octet-stream";

  /**
   * Every manifest type the cache stores, in the order it asks for them. A tag is always
   * requested with all of them, whatever the client sent, so that what is cached under the tag
   * is what upstream publishes (an index stays an index) rather than what the first client
   * happened to accept. Schema 1 is listed so that old images are served as they are instead
   * of being refused; the cache never asks an upstream to convert anything.
   */
  public static final List<String> STORED_MANIFESTS = List.of(OCI_INDEX, OCI_MANIFEST,
      DOCKER_MANIFEST_LIST, DOCKER_MANIFEST, DOCKER_SCHEMA1_SIGNED, DOCKER_SCHEMA1);
  public static final String UPSTREAM_ACCEPT = String.join(", ", STORED_MANIFESTS);

  /** RFC 6838 type/subtype: restricted-name characters only, at most 127 each. */
  private static final Pattern MEDIA_TYPE = Pattern.compile(
      "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");

  private MediaTypes() {}

  /** The bare media type of a header value: parameters dropped, trimmed, lower case. */
  public static String bare(String headerValue) {
    if (headerValue == null) {
      return null;
    }
    int semi = headerValue.indexOf(';');
    return (semi >= 0 ? headerValue.substring(0, semi) : headerValue).trim()
        .toLowerCase(java.util.Locale.ROOT);
  }

  /** True when {@code type} is a syntactically valid media type, safe to put in a header. */
  public static boolean isValid(String type) {
    return type != null && MEDIA_TYPE.matcher(type).matches();
  }

  public static boolean isSchema1(String type) {
    return DOCKER_SCHEMA1_SIGNED.equals(type) || DOCKER_SCHEMA1.equals(type);
  }
}
