package dev.registrycache.it;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/**
 * Test data: random blobs, digests computed independently of the code under test, and
 * manifests of every kind the cache must keep byte for byte (odd whitespace on purpose, so
 * that any re-serialisation would change the digest).
 */
final class TestContent {
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  static final String DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";
  static final String DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
  /** containers/image 5.23 (skopeo, podman, CRI-O): six separate Accept lines, in this order. */
  static final java.util.List<String> CONTAINERS_IMAGE_ACCEPT_LINES = java.util.List.of(
      "Accept: " + OCI_MANIFEST, "Accept: " + DOCKER_MANIFEST, "Accept: " + DOCKER_SCHEMA1_SIGNED,
      "Accept: " + DOCKER_SCHEMA1, "Accept: " + DOCKER_MANIFEST_LIST, "Accept: " + OCI_INDEX);
  /** containerd 1.6 resolving a tag (HEAD, then GET by digest): one line. */
  static final String CONTAINERD_RESOLVE_ACCEPT = String.join(", ", DOCKER_MANIFEST,
      DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX, "*/*");
  /** What containerd sends. */
  static final String ACCEPT_ALL = String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST,
      DOCKER_MANIFEST, "*/*");

  private TestContent() {}

  /** The digest of the {@code linux/arch} entry of a list or index made by {@link #manifest}. */
  static String platformDigest(byte[] list, String arch) {
    String s = new String(list, StandardCharsets.UTF_8);
    int at = s.indexOf("\"architecture\": \"" + arch + "\"");
    if (at < 0) {
      return null;
    }
    int d = s.lastIndexOf("\"digest\": \"", at);
    return d < 0 ? null : s.substring(d + 11, s.indexOf('"', d + 11));
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String sha256(byte[] data) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(String digest) {
    return digest.substring(digest.indexOf(':') + 1);
  }

  /** A manifest of {@code mediaType} referring to made-up content; {@code salt} varies it. */
  static byte[] manifest(String mediaType, String salt) {
    String a = sha256(("a" + salt).getBytes(StandardCharsets.UTF_8));
    String b = sha256(("b" + salt).getBytes(StandardCharsets.UTF_8));
    String json = switch (mediaType) {
      case OCI_INDEX, DOCKER_MANIFEST_LIST -> "{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"" + mediaType
          + "\",\n   \"manifests\": [\n      {\"mediaType\": \""
          + (mediaType.equals(OCI_INDEX) ? OCI_MANIFEST : DOCKER_MANIFEST)
          + "\", \"size\": 7143, \"digest\": \"" + a
          + "\", \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"}},\n      {\"mediaType\": \""
          + (mediaType.equals(OCI_INDEX) ? OCI_MANIFEST : DOCKER_MANIFEST)
          + "\", \"size\": 7682, \"digest\": \"" + b
          + "\", \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": \"v8\"}}\n   ],\n"
          + "   \"annotations\": {\"salt\": \"" + salt + "\"}\n}\n";
      default -> {
        boolean oci = mediaType.equals(OCI_MANIFEST);
        yield "{\"schemaVersion\":2,  \"mediaType\":\"" + mediaType + "\",\"config\":{\"mediaType\":\""
            + (oci ? "application/vnd.oci.image.config.v1+json"
                : "application/vnd.docker.container.image.v1+json")
            + "\",\"size\":1469,\"digest\":\"" + a + "\"},\"layers\":[{\"mediaType\":\""
            + (oci ? "application/vnd.oci.image.layer.v1.tar+gzip"
                : "application/vnd.docker.image.rootfs.diff.tar.gzip")
            + "\",\"size\":3370706,\"digest\":\"" + b + "\"}],\"annotations\":{\"salt\":\"" + salt + "\"}}";
      }
    };
    return json.getBytes(StandardCharsets.UTF_8);
  }
}
