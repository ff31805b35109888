package dev.registrycache.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.registrycache.testing.Schema1Manifests;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestDocumentTest {
  private static ManifestDocument doc(String json) {
    return ManifestDocument.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void typeFromTheContent() {
    assertEquals(MediaTypes.DOCKER_MANIFEST_LIST,
        doc("{\"schemaVersion\":2,\"mediaType\": \"" + MediaTypes.DOCKER_MANIFEST_LIST + "\"}").inferredType());
    assertEquals(MediaTypes.OCI_INDEX, doc("{\"schemaVersion\":2,\"manifests\":[]}").inferredType());
    assertEquals(MediaTypes.OCI_MANIFEST, doc("{\"schemaVersion\":2,\"layers\":[]}").inferredType());
    assertEquals(MediaTypes.DOCKER_SCHEMA1, doc("{\"schemaVersion\":1,\"fsLayers\":[]}").inferredType());
    assertEquals(MediaTypes.OCI_MANIFEST,
        doc("{\"schemaVersion\":2,\"mediaType\":\"text/html\\r\\nX-Evil: 1\",\"layers\":[]}").inferredType(),
        "an invalid declared type never becomes a header");
  }

  @Test
  void notJsonIsManifestInvalid() {
    OciException e = assertThrows(OciException.class, () -> doc("<html>"));
    assertEquals(ErrorCode.MANIFEST_INVALID, e.error().code());
    assertEquals(ErrorCode.MANIFEST_INVALID, assertThrows(OciException.class, () -> doc("[1]")).error().code());
  }

  @Test
  void signedSchema1DigestCoversThePayloadWithoutSignatures() {
    byte[] payload = Schema1Manifests.payload("library/old", "v1", "sha256:" + "a".repeat(64));
    byte[] signed = Schema1Manifests.signed(payload);
    ManifestDocument d = ManifestDocument.parse(signed);
    assertEquals(MediaTypes.DOCKER_SCHEMA1_SIGNED, d.inferredType());
    assertArrayEquals(payload, d.digestedBytes());
    assertNotEquals(Digest.sha256Of(signed), Digest.sha256Of(d.digestedBytes()));
    byte[] plain = "{\"schemaVersion\":2,\"layers\":[]}".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(plain, ManifestDocument.parse(plain).digestedBytes());
  }

  @Test
  void platformOfAList() {
    String a = "sha256:" + "a".repeat(64);
    String b = "sha256:" + "b".repeat(64);
    ManifestDocument list = doc("{\"schemaVersion\":2,\"manifests\":["
        + "{\"digest\":\"" + b + "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
        + "{\"digest\":\"" + a + "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}");
    assertEquals(Digest.parse(a), list.platformManifest("linux", "amd64"));
    assertNull(list.platformManifest("windows", "amd64"));
  }
}
