package dev.registrycache.oci;

import java.util.List;

/** Manifest media types, and matching them against a client's {@code Accept} header. */
public final class MediaTypes {
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_SCHEMA1_SIGNED =
      "application/vnd.docker.distribution.manifest.v1+prettyjws";
  public static final String OCTET_STREAM = "application/octet-stream";

  /** What we ask upstream for when a client sends no Accept header at all. */
  public static final List<String> ALL_MANIFESTS =
      List.of(OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST);
  public static final String ALL_MANIFESTS_ACCEPT = String.join(", ", ALL_MANIFESTS);

  private MediaTypes() {}

  /**
   * True when {@code accept} (a raw header value, possibly null) admits {@code mediaType}.
   * A missing header, {@code *}/{@code *} and {@code application/*} admit everything.
   */
  public static boolean accepts(String accept, String mediaType) {
    if (accept == null || accept.isBlank()) {
      return true;
    }
    int start = 0;
    int len = accept.length();
    while (start < len) {
      int comma = accept.indexOf(',', start);
      int end = comma < 0 ? len : comma;
      int semi = accept.indexOf(';', start);
      int typeEnd = semi >= 0 && semi < end ? semi : end;
      String type = accept.substring(start, typeEnd).trim();
      if (type.equals("*/*") || type.equals("application/*") || type.equalsIgnoreCase(mediaType)) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /** Infers the media type of a manifest body that has no (or a generic) Content-Type. */
  public static String sniff(byte[] manifest) {
    String s = new String(manifest, 0, Math.min(manifest.length, 4096),
        java.nio.charset.StandardCharsets.UTF_8);
    int i = s.indexOf("\"mediaType\"");
    if (i >= 0) {
      int q1 = s.indexOf('"', s.indexOf(':', i) + 1);
      int q2 = q1 < 0 ? -1 : s.indexOf('"', q1 + 1);
      if (q2 > q1) {
        return s.substring(q1 + 1, q2);
      }
    }
    return s.contains("\"manifests\"") ? OCI_INDEX : OCI_MANIFEST;
  }

  public static boolean isManifestType(String contentType) {
    if (contentType == null) {
      return false;
    }
    return contentType.contains("manifest") || contentType.contains("index");
  }
}
