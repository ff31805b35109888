package dev.registrycache.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;

/**
 * What the cache needs to know from a manifest's JSON: its media type when upstream did not
 * say, the platform manifests of a list, and the digest of a signed schema 1 manifest, which
 * covers the payload without the signatures. The bytes themselves are never re-serialised.
 */
public final class ManifestDocument {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final byte[] bytes;
  private final JsonNode root;

  private ManifestDocument(byte[] bytes, JsonNode root) {
    this.bytes = bytes;
    this.root = root;
  }

  /** Parses a manifest; anything but a JSON object is {@code MANIFEST_INVALID}. */
  public static ManifestDocument parse(byte[] bytes) {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw invalid("is not JSON");
    }
    if (root == null || !root.isObject()) {
      throw invalid("is not a JSON object");
    }
    return new ManifestDocument(bytes, root);
  }

  private static OciException invalid(String why) {
    return new OciException(new OciError(ErrorCode.MANIFEST_INVALID, 502, "upstream's manifest " + why));
  }

  /**
   * The manifest's type from its content: its {@code mediaType} field when that is a valid
   * media type, else by structure (schema 1 signed or not, index, image manifest).
   */
  public String inferredType() {
    String declared = root.path("mediaType").asText(null);
    if (MediaTypes.isValid(declared)) {
      return declared;
    }
    if (root.path("schemaVersion").asInt() == 1) {
      return root.has("signatures") ? MediaTypes.DOCKER_SCHEMA1_SIGNED : MediaTypes.DOCKER_SCHEMA1;
    }
    return root.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
  }

  /**
   * The bytes the manifest's digest is computed over: for a signed schema 1 manifest (JWS),
   * the payload without the {@code signatures} (its first {@code formatLength} bytes plus
   * {@code formatTail}, both from the protected header); for every other manifest, all of it.
   */
  public byte[] digestedBytes() {
    JsonNode signatures = root.path("signatures");
    if (root.path("schemaVersion").asInt() != 1 || !signatures.isArray() || signatures.isEmpty()) {
      return bytes;
    }
    String protectedHeader = signatures.get(0).path("protected").asText(null);
    if (protectedHeader == null) {
      throw invalid("is a schema 1 manifest whose signature has no protected header");
    }
    try {
      Base64.Decoder b64 = Base64.getUrlDecoder();
      JsonNode header = JSON.readTree(b64.decode(protectedHeader));
      int formatLength = header.path("formatLength").asInt(-1);
      byte[] tail = b64.decode(header.path("formatTail").asText(""));
      if (formatLength < 0 || formatLength > bytes.length) {
        throw invalid("is a schema 1 manifest with a formatLength outside the document");
      }
      byte[] payload = Arrays.copyOf(bytes, formatLength + tail.length);
      System.arraycopy(tail, 0, payload, formatLength, tail.length);
      return payload;
    } catch (IllegalArgumentException | IOException e) {
      throw invalid("is a schema 1 manifest with an unreadable protected header");
    }
  }

  /** The digest of the first manifest of a list or index for {@code os}/{@code arch}, or null. */
  public Digest platformManifest(String os, String arch) {
    for (JsonNode m : root.path("manifests")) {
      JsonNode p = m.path("platform");
      if (os.equals(p.path("os").asText()) && arch.equals(p.path("architecture").asText())) {
        try {
          return Digest.parse(m.path("digest").asText(""));
        } catch (IllegalArgumentException e) {
          throw invalid("lists a " + os + "/" + arch + " manifest with an invalid digest");
        }
      }
    }
    return null;
  }
}
